// Conformance group: mdev vendor-driver pins — how each op of src/scenario/ops/mdev.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import type { GuestGroup } from './types.js';

export const MDEV_GUEST = {
  vfio_pin_pages: { none: 'kernel-only entry point' },
  vfio_unpin_pages: { none: 'kernel-only entry point' },
  iommufd_access_pin_pages: { none: 'kernel-only entry point' },
  iommufd_access_unpin_pages: { none: 'kernel-only entry point' },
} satisfies GuestGroup<'mdev'>;
