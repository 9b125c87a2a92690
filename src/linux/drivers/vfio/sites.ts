/**
 * Where a VFIO core function lives in the release a profile models, for the kernel function an
 * errno reason names (src/linux/errno_reason.ts). The core moved twice:
 *   - up to 5.15 everything is in drivers/vfio/vfio.c;
 *   - 6.1: vfio.c is vfio_main.c, the container code (and vfio_pin_pages) is in container.c, and
 *     the group ioctls are one function each (vfio_group_ioctl_*);
 *   - 6.2: the group code moves to group.c (9eefba8002c2) and vfio_pin_pages() back to
 *     vfio_main.c (8da7a0e79f9b), in the same series.
 */
import type { Kctx } from '../../kctx.js';

/** Group code, container code, or the emulated-device pin API (vfio_pin_pages / vfio_unpin_pages). */
export type VfioCode = 'group' | 'container' | 'pin';

/** The group ioctls whose 6.1+ name differs: `set_container` → vfio_group_set_container / vfio_group_ioctl_set_container. */
export type VfioGroupIoctl = 'set_container' | 'unset_container' | 'get_device_fd';

function split_6_1(k: Kctx): boolean {
  // PATCH(vfio-dma-ownership) 70693f470848: STAND-IN: the vfio_main.c rename, the container.c split and the per-ioctl group functions (own commits UNVERIFIED, folds from v5.19 by v6.1)
  return k.patch('vfio-dma-ownership');
}

/** `drivers/vfio/<file>` holding `code` in this release. */
export function vfio_file(k: Kctx, code: VfioCode): string {
  // PATCH(vfio-group-c) 9eefba8002c2: group code in group.c, vfio_pin_pages() in vfio_main.c (6.2)
  const six2 = k.patch('vfio-group-c');
  if (!split_6_1(k)) return 'drivers/vfio/vfio.c';
  switch (code) {
    case 'group':
      return six2 ? 'drivers/vfio/group.c' : 'drivers/vfio/vfio_main.c';
    case 'container':
      return 'drivers/vfio/container.c';
    case 'pin':
      return six2 ? 'drivers/vfio/vfio_main.c' : 'drivers/vfio/container.c';
  }
}

/** `file.c:function` of a VFIO core function in this release. */
export function vfio_site(k: Kctx, code: VfioCode, fn: string): string {
  return `${vfio_file(k, code)}:${fn}`;
}

/** `file.c:function` of a group ioctl's handler in this release. */
export function vfio_group_ioctl_site(k: Kctx, ioctl: VfioGroupIoctl): string {
  return vfio_site(k, 'group', split_6_1(k) ? `vfio_group_ioctl_${ioctl}` : `vfio_group_${ioctl}`);
}
