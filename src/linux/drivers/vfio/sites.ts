/**
 * Where a VFIO core function lives in the release a profile models, for the kernel function an
 * errno reason names (src/linux/errno_reason.ts). The core moved twice:
 *   - up to 5.15 everything is in drivers/vfio/vfio.c;
 *   - 6.0: vfio.c is vfio_main.c (0f3e72b5c8cf);
 *   - 6.1: the container code (and vfio_pin_pages) is in container.c (cdc71fe4ecbf), and the group
 *     ioctls are one function each, vfio_group_ioctl_* (b3b43590fa27);
 *   - 6.2: the group code moves to group.c (9eefba8002c2) and vfio_pin_pages() back to
 *     vfio_main.c (8da7a0e79f9b), in the same series.
 */
import type { Kctx } from '../../kctx.js';

/** Group code, container code, or the emulated-device pin API (vfio_pin_pages / vfio_unpin_pages). */
export type VfioCode = 'group' | 'container' | 'pin';

/** The group ioctls whose 6.1+ name differs: `set_container` → vfio_group_set_container / vfio_group_ioctl_set_container. */
export type VfioGroupIoctl = 'set_container' | 'unset_container' | 'get_device_fd';

/** `drivers/vfio/<file>` holding `code` in this release. */
export function vfio_file(k: Kctx, code: VfioCode): string {
  // PATCH(vfio-group-c) 9eefba8002c2: group code in group.c, vfio_pin_pages() in vfio_main.c (6.2)
  const six2 = k.patch('vfio-group-c');
  // PATCH(vfio-main-rename) 0f3e72b5c8cf: vfio.c is vfio_main.c (6.0)
  const main = k.patch('vfio-main-rename') ? 'drivers/vfio/vfio_main.c' : 'drivers/vfio/vfio.c';
  // PATCH(vfio-container-c) cdc71fe4ecbf: the container code (with vfio_pin_pages) is in container.c (6.1)
  const container = k.patch('vfio-container-c') ? 'drivers/vfio/container.c' : main;
  switch (code) {
    case 'group':
      return six2 ? 'drivers/vfio/group.c' : main;
    case 'container':
      return container;
    case 'pin':
      return six2 ? main : container;
  }
}

/** `file.c:function` of a VFIO core function in this release. */
export function vfio_site(k: Kctx, code: VfioCode, fn: string): string {
  return `${vfio_file(k, code)}:${fn}`;
}

/** `file.c:function` of a group ioctl's handler in this release. */
export function vfio_group_ioctl_site(k: Kctx, ioctl: VfioGroupIoctl): string {
  // PATCH(vfio-group-ioctl-split) b3b43590fa27: one vfio_group_ioctl_<ioctl>() function per group ioctl (6.1)
  return vfio_site(k, 'group', k.patch('vfio-group-ioctl-split') ? `vfio_group_ioctl_${ioctl}` : `vfio_group_${ioctl}`);
}
