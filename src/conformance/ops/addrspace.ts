// Conformance group: address-space changes under a pin — the guest translation of each op of src/scenario/ops/addrspace.ts
// (empty until its ops land): `name: { guest: '<driver cmd>', translate: (t) => ... }` or `name: { none: <reason> }`.
import type { GuestGroup } from './types.js';

export const ADDRSPACE_GUEST = {} satisfies GuestGroup<'addrspace'>;
