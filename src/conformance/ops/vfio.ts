// Conformance group: VFIO type1 container and group ioctls — how each op of src/scenario/ops/vfio.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import { UAPI, argFlags, checkIova, emit, fail, flagValue, intTok } from '../translate-core.js';
import type { GuestGroup } from './types.js';

export const VFIO_GUEST = {
  VFIO_GET_API_VERSION: {
    guest: 'vfio-ioctl0',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `vfio-ioctl0 ${as} ${fd('container')} get-api`), 'int');
    },
  },
  VFIO_CHECK_EXTENSION: {
    guest: 'vfio-ioctl0',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `vfio-ioctl0 ${as} ${fd('container')} check-ext ${argFlags(a.extension)}`), 'int');
    },
  },
  VFIO_GROUP_SET_CONTAINER: {
    guest: 'vfio-set-container',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `vfio-set-container ${as} ${fd('group')} ${fd('container')}`), 'int');
    },
  },
  VFIO_SET_IOMMU: {
    guest: 'vfio-ioctl0',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `vfio-ioctl0 ${as} ${fd('container')} set-iommu ${argFlags(a.type)}`), 'int');
    },
  },
  VFIO_GROUP_GET_DEVICE_FD: {
    guest: 'vfio-get-device-fd',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `vfio-get-device-fd ${as} ${fd('group')}`), 'okerr');
    },
  },
  VFIO_IOMMU_GET_INFO: {
    guest: 'vfio-get-info, vfio-get-info-caps',
    translate: ({ c, st, a, as, record, fd }) => {
      // Without an argsz (the default 16) the guest passes the bare struct and reads no chain.
      if (a.argsz === undefined || (a.argsz.kind === 'int' && a.argsz.value === 16n)) {
        record(emit(c, `vfio-get-info ${as} ${fd('container')}`), 'int');
        return;
      }
      const i = emit(c, `vfio-get-info-caps ${as} ${fd('container')} ${fd('argsz')}`);
      record(i, 'int');
      if (st.as !== null) {
        c.plan.push({ name: `${st.as}.argsz`, step: i, kind: 'kvint', field: 'argsz' });
        c.plan.push({ name: `${st.as}.caps`, step: i, kind: 'kvnames', field: 'caps' });
        c.plan.push({ name: `${st.as}.dma_avail`, step: i, kind: 'kvint', field: 'dma_avail' });
      }
    },
  },
  VFIO_IOMMU_MAP_DMA: {
    guest: 'vfio-map',
    translate: ({ c, a, as, record, fd }) => {
      checkIova(a.iova, a.size);
      record(emit(c, `vfio-map ${as} ${fd('container')} ${fd('vaddr')} ${fd('iova')} ${fd('size')} ${argFlags(a.flags)} ${fd('argsz')}`), 'int');
    },
  },
  VFIO_IOMMU_UNMAP_DMA: {
    guest: 'vfio-unmap',
    translate: ({ c, st, a, as, record, fd }) => {
      const i = emit(c, `vfio-unmap ${as} ${fd('container')} ${fd('iova')} ${fd('size')} ${argFlags(a.flags)} ${fd('argsz')}`);
      record(i, 'int');
      if (st.as !== null) c.plan.push({ name: `${st.as}.size`, step: i, kind: 'unmapsize' });
    },
  },
  VFIO_IOMMU_DIRTY_PAGES: {
    guest: 'vfio-dirty',
    translate: ({ c, st, a, as, record, fd }) => {
      // argsz defaults as in the model's step: the struct the flags need (8, or 8 + 40 with GET_BITMAP).
      const flags = a.flags?.kind === 'flags' ? flagValue(a.flags.names) : Number(intTok(c, a.flags, 'flags'));
      if (Number.isNaN(flags)) fail('VFIO_IOMMU_DIRTY_PAGES flags must be a constant');
      const argsz = a.argsz === undefined || a.argsz.kind === 'null' ? String((flags & (UAPI.VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP as number)) !== 0 ? 48 : 8) : fd('argsz');
      const i = emit(c, `vfio-dirty ${as} ${fd('container')} ${flags} ${fd('iova')} ${fd('size')} ${fd('pgsize')} ${argsz}`);
      record(i, 'int');
      if (st.as !== null) c.plan.push({ name: `${st.as}.dirty`, step: i, kind: 'kvlist', field: 'dirty' });
    },
  },
} satisfies GuestGroup<'vfio'>;
