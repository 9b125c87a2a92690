// Conformance group: edu device DMA (the guest's edu bound to vfio-pci) — how each op of src/scenario/ops/device.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import { checkIova, emit, strArg, tagByte } from '../translate-core.js';
import type { GuestGroup } from './types.js';

export const DEVICE_GUEST = {
  device_dma_write: {
    guest: 'dma-write',
    translate: ({ c, a, as, record, fd }) => {
      checkIova(a.iova, a.length);
      record(emit(c, `dma-write ${as} ${fd('iova')} ${fd('length')} ${tagByte(c, strArg(a.content, 'content'))}`), 'int');
    },
  },
  device_dma_read: {
    guest: 'dma-read',
    translate: ({ c, st, a, as, record, fd }) => {
      checkIova(a.iova, { kind: 'int', value: 64n, at: st.at });
      record(emit(c, `dma-read ${as} ${fd('iova')}`), 'tag');
    },
  },
} satisfies GuestGroup<'device'>;
