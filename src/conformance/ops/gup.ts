// Conformance group: GUP entry points — how each op of src/scenario/ops/gup.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import type { GuestGroup } from './types.js';

export const GUP_GUEST = {
  get_user_pages: { none: 'kernel-only entry point' },
  pin_user_pages: { none: 'kernel-only entry point' },
  get_user_pages_remote: { none: 'kernel-only entry point' },
  pin_user_pages_remote: { none: 'kernel-only entry point' },
  get_user_pages_fast: { none: 'kernel-only entry point' },
  pin_user_pages_fast: { none: 'kernel-only entry point' },
  get_user_pages_unlocked: { none: 'kernel-only entry point' },
  pin_user_pages_unlocked: { none: 'kernel-only entry point' },
  unpin_user_pages: { none: 'kernel-only entry point' },
  put_pages: { none: 'kernel-only entry point' },
} satisfies GuestGroup<'gup'>;
