// Conformance group: memory blocks offline/online — the guest translation of each op of src/scenario/ops/memblock.ts
// (empty until its ops land): `name: { guest: '<driver cmd>', translate: (t) => ... }` or `name: { none: <reason> }`.
import type { GuestGroup } from './types.js';

export const MEMBLOCK_GUEST = {} satisfies GuestGroup<'memblock'>;
