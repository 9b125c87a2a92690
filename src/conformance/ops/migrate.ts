// Conformance group: page migration — how each op of src/scenario/ops/migrate.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import type { GuestGroup } from './types.js';

export const MIGRATE_GUEST = {
  migrate_page: { none: 'kernel-only entry point' },
} satisfies GuestGroup<'migrate'>;
