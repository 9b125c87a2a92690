// Conformance group: remote access — the guest translation of each op of src/scenario/ops/remote.ts
// (empty until its ops land): `name: { guest: '<driver cmd>', translate: (t) => ... }` or `name: { none: <reason> }`.
import type { GuestGroup } from './types.js';

export const REMOTE_GUEST = {} satisfies GuestGroup<'remote'>;
