// Conformance group: address-space changes under a pin — the guest translation of each op of
// src/scenario/ops/addrspace.ts (the driver side is conformance/guest/ops-addrspace.c).
import { argFlags, emit } from '../translate-core.js';
import type { GuestGroup } from './types.js';

export const ADDRSPACE_GUEST = {
  mremap: {
    guest: 'mremap',
    translate: ({ c, a, as, record, fd }) => {
      // The new address is kept as the guest slot <as> (a later `$as` names it).
      record(emit(c, `mremap ${as} ${fd('addr')} ${fd('old_len')} ${fd('new_len')} ${argFlags(a.flags)} ${fd('new_addr')}`), 'okerr');
    },
  },
} satisfies GuestGroup<'addrspace'>;
