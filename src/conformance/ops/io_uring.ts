// Conformance group: io_uring rings and fixed buffers — how each op of src/scenario/ops/io_uring.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import { emit, fail, intTok } from '../translate-core.js';
import type { GuestGroup } from './types.js';

export const IO_URING_GUEST = {
  io_uring_setup: {
    guest: 'uring-setup',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `uring-setup ${as} ${fd('entries')}`), 'okerr');
    },
  },
  IORING_REGISTER_BUFFERS: {
    guest: 'uring-register',
    translate: ({ c, a, as, record, fd }) => {
      const iov = a.iovecs;
      if (iov?.kind !== 'list') fail('iovecs must be a list');
      const parts = iov.items.map((it) => {
        if (it.kind !== 'map') fail('iovecs items are { base, len }');
        return `${intTok(c, it.entries.base, 'base')} ${intTok(c, it.entries.len, 'len')}`;
      });
      record(emit(c, `uring-register ${as} ${fd('ring')} ${parts.join(' ')}`), 'int');
    },
  },
  IORING_UNREGISTER_BUFFERS: {
    guest: 'uring-unregister',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `uring-unregister ${as} ${fd('ring')}`), 'int');
    },
  },
} satisfies GuestGroup<'io_uring'>;
