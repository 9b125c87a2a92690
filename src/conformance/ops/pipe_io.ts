// Conformance group: page references that are not pins — the guest translation of each op of src/scenario/ops/pipe_io.ts
// (empty until its ops land): `name: { guest: '<driver cmd>', translate: (t) => ... }` or `name: { none: <reason> }`.
import type { GuestGroup } from './types.js';

export const PIPE_IO_GUEST = {} satisfies GuestGroup<'pipe_io'>;
