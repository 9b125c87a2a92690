/**
 * drivers/iommu/iommufd/main.c (Debian linux-source-6.12 6.12.118): /dev/iommu, the object
 * table of a context, IOMMU_DESTROY, IOMMU_OPTION and the ioctl dispatcher.
 *
 * Dispatch (iommufd_fops_ioctl): a command number outside the iommufd table goes to the VFIO
 * compat ioctls (vfio_compat.ts); inside it, the first u32 of the argument is the size user
 * space gives (unreadable → -EFAULT), smaller than the command's minimum → -EINVAL, larger
 * than the kernel's struct with non-zero extra bytes → -E2BIG (copy_struct_from_user).
 * A number in the table's range whose entry is another command (or none) → -ENOTTY (the
 * -ENOIOCTLCMD that vfs_ioctl turns into -ENOTTY).
 *
 * CONFIG_IOMMUFD registers /dev/iommu (mode 0660); CONFIG_IOMMUFD_VFIO_CONTAINER also
 * /dev/vfio/vfio (VFIO_MINOR, 0666) with the same file operations, and a context opened
 * through it accounts like VFIO (mm->locked_vm).
 *
 * MODEL: /dev/iommu's dynamic misc minor is IOMMUFD_MINOR; no "shortterm users" wait on
 * destroy (the model's ioctls do not keep objects across a scheduling point other threads
 * could destroy them at: destroy of a busy object is -EBUSY, as the kernel's refcount says).
 */
import type { KThread } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import { IS_ENABLED } from '../../../kctx.js';
import { WARN_ON, unsupported } from '../../../include/linux/bug.js';
import { E2BIG, EBADF, EBADFD, EBUSY, EFAULT, EINVAL, ENODEV, ENOENT, ENOTTY, EOPNOTSUPP } from '../../../include/uapi/linux/errno.js';
import type { file, file_operations, inode } from '../../../include/linux/fs.js';
import { fget, fput } from '../../../include/linux/fs.js';
import { should_fail } from '../../../include/linux/fault_inject.js';
import type { miscdevice } from '../../char/misc.js';
import { VFIO_MINOR, misc_register } from '../../char/misc.js';
import {
  IOMMUFD_CMD_BASE, IOMMUFD_CMD_DESTROY, IOMMUFD_CMD_IOAS_ALLOC, IOMMUFD_CMD_IOAS_ALLOW_IOVAS, IOMMUFD_CMD_IOAS_COPY,
  IOMMUFD_CMD_IOAS_IOVA_RANGES, IOMMUFD_CMD_IOAS_MAP, IOMMUFD_CMD_IOAS_UNMAP, IOMMUFD_CMD_OPTION,
  IOMMUFD_CMD_FAULT_QUEUE_ALLOC, IOMMUFD_CMD_GET_HW_INFO, IOMMUFD_CMD_HWPT_ALLOC, IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP,
  IOMMUFD_CMD_HWPT_INVALIDATE, IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING, IOMMUFD_CMD_HW_QUEUE_ALLOC, IOMMUFD_CMD_VEVENTQ_ALLOC, IOMMUFD_CMD_VIOMMU_ALLOC,
  IOMMUFD_CMD_VFIO_IOAS, IOMMUFD_CMD_IOAS_CHANGE_PROCESS, IOMMUFD_CMD_IOAS_MAP_FILE, IOMMUFD_CMD_VDEVICE_ALLOC, IOMMUFD_STRUCT_SIZE, IOMMUFD_TYPE, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_RLIMIT_MODE,
  IOMMU_VFIO_IOAS_CLEAR, IOMMU_VFIO_IOAS_GET, IOMMU_VFIO_IOAS_SET,
} from '../../../include/uapi/linux/iommufd.js';
import type {
  iommu_destroy, iommu_ioas_alloc, iommu_ioas_allow_iovas, iommu_ioas_change_process, iommu_ioas_copy, iommu_ioas_iova_ranges, iommu_ioas_map,
  iommu_ioas_map_file, iommu_ioas_unmap, iommu_option, iommu_vfio_ioas, iommufd_ucmd_header,
} from '../../../include/uapi/linux/iommufd.js';
import type { iommufd_any_object, iommufd_ctx, iommufd_subsys } from './iommufd_private.js';
import { iommufd_get_ioas } from './iommufd_private.js';
import {
  iommufd_ioas_alloc_ioctl, iommufd_ioas_allow_iovas, iommufd_ioas_change_process, iommufd_ioas_copy, iommufd_ioas_destroy,
  iommufd_ioas_iova_ranges, iommufd_ioas_map, iommufd_ioas_map_file, iommufd_ioas_option, iommufd_ioas_unmap, iommufd_option_rlimit_mode,
} from './ioas.js';
import { iommufd_access_destroy_object, iommufd_device_destroy, iommufd_hwpt_paging_destroy } from './device.js';
import { iommufd_vfio_ioctl } from './vfio_compat.js';

const FILE = 'drivers/iommu/iommufd/main.c';

/** MODEL: the minor misc_register gave /dev/iommu (MISC_DYNAMIC_MINOR). */
export const IOMMUFD_MINOR = 250;

/** The machine's iommufd state, created on first use. */
export function iommufd_subsys_of(k: Kctx): iommufd_subsys {
  if (k.m.iommufd === null) k.m.iommufd = { ctxs: [], iommu_inode_registered: false };
  return k.m.iommufd;
}

/** The context of an iommufd file (/dev/iommu, or /dev/vfio/vfio served by iommufd), or null. */
export function iommufd_ctx_of_file(f: file): iommufd_ctx | null {
  return f.f_op === iommufd_fops ? (f.private_data as iommufd_ctx | null) : null;
}

/** iommufd_ctx_from_fd(fd): -EBADF for no file, -EBADFD for a file that is not an iommufd. */
export function iommufd_ctx_from_fd(k: Kctx, fd: number): { ictx: iommufd_ctx; f: file } | number {
  const f = fget(k, fd);
  if (f === null) return -EBADF;
  const ictx = iommufd_ctx_of_file(f);
  if (ictx === null) return -EBADFD;
  return { ictx, f };
}

/** The destroy op of an object (iommufd_object_ops[type].destroy). */
function* destroy_object(k: Kctx, o: iommufd_any_object): KThread<void> {
  switch (o.obj.type) {
    case 'IOMMUFD_OBJ_IOAS':
      yield* iommufd_ioas_destroy(k, o as Parameters<typeof iommufd_ioas_destroy>[1]);
      return;
    case 'IOMMUFD_OBJ_HWPT_PAGING':
      yield* iommufd_hwpt_paging_destroy(k, o as Parameters<typeof iommufd_hwpt_paging_destroy>[1]);
      return;
    case 'IOMMUFD_OBJ_DEVICE':
      yield* iommufd_device_destroy(k, o as Parameters<typeof iommufd_device_destroy>[1]);
      return;
    case 'IOMMUFD_OBJ_ACCESS':
      yield* iommufd_access_destroy_object(k, o as Parameters<typeof iommufd_access_destroy_object>[1]);
      return;
  }
}

/**
 * iommufd_object_remove(ictx, to_destroy, id): a missing id → -ENOENT; an object others still
 * use (users > 1) → -EBUSY; else it leaves the table and is destroyed.
 */
export function* iommufd_object_remove(k: Kctx, ictx: iommufd_ctx, to_destroy: iommufd_any_object | null, id: number): KThread<number> {
  const o = to_destroy ?? ictx.objects.get(id) ?? null;
  if (o === null || !o.obj.finalized || ictx.objects.get(o.obj.id) !== o) return -ENOENT;
  if (to_destroy !== null) o.obj.users--;
  if (o.obj.users !== 1) {
    if (to_destroy !== null) o.obj.users++;
    return -EBUSY;
  }
  o.obj.users = 0;
  ictx.objects.delete(o.obj.id);
  if (ictx.vfio_ioas !== null && ictx.vfio_ioas === o) ictx.vfio_ioas = null;
  yield* destroy_object(k, o);
  k.m.event(k.tid, 'iommufd-destroy', [`ictx:${ictx.id}`, `obj:${o.obj.id}`], `${FILE}:iommufd_object_remove`, o.obj.type);
  return 0;
}

/** iommufd_fops_open(): a new context; through /dev/vfio/vfio it accounts to mm->locked_vm. */
function* iommufd_fops_open(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const viaVfio = IS_ENABLED(k, 'CONFIG_IOMMUFD_VFIO_CONTAINER') && f.private_data === vfio_misc_dev;
  const ictx: iommufd_ctx = {
    id: k.m.nextId('iommufd_ctx'), file: f, objects: new Map(), reserved: new Set(),
    account_mode: viaVfio ? 'IOPT_PAGES_ACCOUNT_MM' : 'IOPT_PAGES_ACCOUNT_USER', vfio_ioas: null,
  };
  f.private_data = ictx;
  iommufd_subsys_of(k).ctxs.push(ictx);
  k.m.event(k.tid, 'iommufd-open', [`ictx:${ictx.id}`, `file:${f.id}`], `${FILE}:iommufd_fops_open`, viaVfio ? 'vfio' : 'iommu');
  return 0;
}

/** iommufd_fops_release(): destroy leaf objects (users == 1) until none is left. */
function* iommufd_fops_release(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  const ictx = f.private_data as iommufd_ctx | null;
  if (ictx === null) return 0;
  while (ictx.objects.size > 0) {
    let destroyed = 0;
    for (const [id, o] of [...ictx.objects]) {
      if (o.obj.users !== 1) continue;
      o.obj.users = 0;
      ictx.objects.delete(id);
      destroyed++;
      yield* destroy_object(k, o);
    }
    if (WARN_ON(k, destroyed === 0, `${FILE}:iommufd_fops_release`, 'objects left with users')) break;
  }
  const subsys = iommufd_subsys_of(k);
  const at = subsys.ctxs.indexOf(ictx);
  if (at >= 0) subsys.ctxs.splice(at, 1);
  f.private_data = null;
  return 0;
}

/** IOMMU_OPTION: RLIMIT_MODE on the context, HUGE_PAGES on an IOAS; val64 is written back on success. */
function* iommufd_option(k: Kctx, ictx: iommufd_ctx, cmd: iommu_option): KThread<number> {
  if (cmd.__reserved) return -EOPNOTSUPP;
  switch (cmd.option_id) {
    case IOMMU_OPTION_RLIMIT_MODE:
      return iommufd_option_rlimit_mode(k, cmd, ictx);
    case IOMMU_OPTION_HUGE_PAGES:
      return yield* iommufd_ioas_option(k, ictx, cmd);
    default:
      return -EOPNOTSUPP;
  }
}

/** IOMMU_VFIO_IOAS (vfio_compat.c iommufd_vfio_ioas): get/set/clear the compat container's IOAS. */
function iommufd_vfio_ioas(ictx: iommufd_ctx, cmd: iommu_vfio_ioas): number {
  if (cmd.__reserved) return -EOPNOTSUPP;
  switch (cmd.op) {
    case IOMMU_VFIO_IOAS_GET: {
      const ioas = ictx.vfio_ioas;
      if (ioas === null) return -ENODEV;
      cmd.ioas_id = ioas.obj.id;
      return 0;
    }
    case IOMMU_VFIO_IOAS_SET: {
      const ioas = iommufd_get_ioas(ictx, cmd.ioas_id);
      if (typeof ioas === 'number') return ioas;
      ictx.vfio_ioas = ioas;
      return 0;
    }
    case IOMMU_VFIO_IOAS_CLEAR:
      ictx.vfio_ioas = null;
      return 0;
    default:
      return -EOPNOTSUPP;
  }
}

/** The fields each command writes back (iommufd_ucmd_respond copies the whole struct). */
function respond(user: iommufd_ucmd_header, cmd: iommufd_ucmd_header): number {
  Object.assign(user, cmd, { size: user.size, trailing: user.trailing });
  return 0;
}

/**
 * Has the release's iommufd_ioctl_ops table an entry for command number `nr`? The table is
 * indexed by number, so it ends at its highest entry (IOMMU_TEST_CMD, 0xa0, with
 * CONFIG_IOMMUFD_TEST): a number past the end goes to the VFIO compat ioctls and a hole is
 * -ENOIOCTLCMD, -ENOTTY either way. Read: 6.2.12 and 6.5.3 end at IOMMU_VFIO_IOAS (0x88), 6.6.9
 * at IOMMU_GET_HW_INFO (0x8a), 6.8.0 and 6.9.0 at IOMMU_HWPT_INVALIDATE (0x8d), 6.11.11 and
 * Debian 6.12.118 at IOMMU_FAULT_QUEUE_ALLOC (0x8e), 6.14.0 at IOMMU_IOAS_CHANGE_PROCESS (0x92),
 * 6.17.0 and 6.18.26 at IOMMU_HW_QUEUE_ALLOC (0x94).
 */
function iommufd_cmd_present(k: Kctx, nr: number): boolean {
  switch (nr) {
    case IOMMUFD_CMD_HWPT_ALLOC:
      return k.patch('iommufd-hwpt-alloc'); // PATCH(iommufd-hwpt-alloc) 7074d7bd67d4
    case IOMMUFD_CMD_GET_HW_INFO:
      return k.patch('iommufd-get-hw-info'); // PATCH(iommufd-get-hw-info) 55dd4023cead
    case IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING:
      return k.patch('iommufd-hwpt-set-dirty-tracking'); // PATCH(iommufd-hwpt-set-dirty-tracking) e2a4b2947849
    case IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP:
      return k.patch('iommufd-hwpt-get-dirty-bitmap'); // PATCH(iommufd-hwpt-get-dirty-bitmap) b9a60d6f850e
    case IOMMUFD_CMD_HWPT_INVALIDATE:
      return k.patch('iommufd-hwpt-invalidate'); // PATCH(iommufd-hwpt-invalidate) 8ac8f36809a6
    case IOMMUFD_CMD_FAULT_QUEUE_ALLOC:
      return k.patch('iommufd-fault-queue-alloc'); // PATCH(iommufd-fault-queue-alloc) 07838f7fd529
    case IOMMUFD_CMD_IOAS_MAP_FILE:
    case IOMMUFD_CMD_VIOMMU_ALLOC:
    case IOMMUFD_CMD_VDEVICE_ALLOC:
      return k.patch('iommufd-map-file'); // PATCH(iommufd-map-file) f4986a72d6e4: MAP_FILE (VIOMMU, VDEVICE folded)
    case IOMMUFD_CMD_IOAS_CHANGE_PROCESS:
      return k.patch('iommufd-change-process'); // PATCH(iommufd-change-process) 829ed626499c
    case IOMMUFD_CMD_VEVENTQ_ALLOC:
      return k.patch('iommufd-veventq-alloc'); // PATCH(iommufd-veventq-alloc) e36ba5ab808e
    case IOMMUFD_CMD_HW_QUEUE_ALLOC:
      return k.patch('iommufd-hw-queue-alloc'); // PATCH(iommufd-hw-queue-alloc) 2238ddc2b056
    default:
      return nr >= IOMMUFD_CMD_DESTROY && nr <= IOMMUFD_CMD_VFIO_IOAS;
  }
}

/** The highest command number of the release's table (IOMMU_TEST_CMD apart). */
function iommufd_cmd_last(k: Kctx): number {
  let nr = IOMMUFD_CMD_HW_QUEUE_ALLOC;
  while (nr > IOMMUFD_CMD_VFIO_IOAS && !iommufd_cmd_present(k, nr)) nr--;
  return nr;
}

/**
 * iommufd_fops_ioctl(): validate the size header and dispatch. `arg` is the user's struct
 * (null: an unreadable pointer).
 */
function* iommufd_fops_ioctl(k: Kctx, f: file, cmd: number, arg: unknown): KThread<number> {
  const ictx = f.private_data as iommufd_ctx | null;
  if (ictx === null) return -EINVAL;
  const nr = cmd & 0xff;
  const last = iommufd_cmd_last(k);
  // The table ends at IOMMU_TEST_CMD (IOMMUFD_CMD_BASE + 32) with CONFIG_IOMMUFD_TEST.
  const tableEnd = IS_ENABLED(k, 'CONFIG_IOMMUFD_TEST') ? IOMMUFD_CMD_BASE + 32 : last;
  if (nr < IOMMUFD_CMD_BASE || nr > tableEnd) return yield* iommufd_vfio_ioctl(k, ictx, cmd, arg);
  const user = arg as iommufd_ucmd_header | null;
  if (user === null || typeof user !== 'object' || typeof user.size !== 'number') return -EFAULT;
  const sz = IOMMUFD_STRUCT_SIZE[nr];
  if ((cmd >> 8) !== IOMMUFD_TYPE) return -ENOTTY;
  if (nr !== IOMMUFD_CMD_BASE + 32 && !iommufd_cmd_present(k, nr)) return -ENOTTY;
  if (sz === undefined) return unsupported(k, `${FILE}:iommufd_fops_ioctl`, `iommufd command 0x${nr.toString(16)} (HWPT, hw info, dirty tracking, fault queues, vIOMMU objects and queues, the selftest command) is not modelled`);
  if (user.size >>> 0 < sz.min_size) return -EINVAL;
  if (user.size >>> 0 > sz.size && user.trailing === true) return -E2BIG;
  if (should_fail(k, 'drivers/iommu/iommufd/main.c:iommufd_fops_ioctl:copy_struct_from_user')) return -EFAULT;
  const ucmd = { ...user } as iommufd_ucmd_header;
  let rc: number;
  switch (nr) {
    case IOMMUFD_CMD_DESTROY:
      return yield* iommufd_object_remove(k, ictx, null, (ucmd as iommu_destroy).id);
    case IOMMUFD_CMD_IOAS_ALLOC:
      rc = iommufd_ioas_alloc_ioctl(k, ictx, ucmd as iommu_ioas_alloc);
      return rc ? rc : respond(user, ucmd);
    case IOMMUFD_CMD_IOAS_ALLOW_IOVAS:
      return yield* iommufd_ioas_allow_iovas(k, ictx, ucmd as iommu_ioas_allow_iovas);
    case IOMMUFD_CMD_IOAS_COPY:
      rc = yield* iommufd_ioas_copy(k, ictx, ucmd as iommu_ioas_copy);
      return rc ? rc : respond(user, ucmd);
    case IOMMUFD_CMD_IOAS_IOVA_RANGES:
      return iommufd_ioas_iova_ranges(ictx, ucmd as iommu_ioas_iova_ranges, () => respond(user, ucmd));
    case IOMMUFD_CMD_IOAS_MAP:
      rc = yield* iommufd_ioas_map(k, ictx, ucmd as iommu_ioas_map);
      return rc ? rc : respond(user, ucmd);
    case IOMMUFD_CMD_IOAS_UNMAP:
      rc = yield* iommufd_ioas_unmap(k, ictx, ucmd as iommu_ioas_unmap);
      return rc ? rc : respond(user, ucmd);
    case IOMMUFD_CMD_OPTION:
      rc = yield* iommufd_option(k, ictx, ucmd as iommu_option);
      if (rc) return rc;
      (user as iommu_option).val64 = (ucmd as iommu_option).val64;
      return 0;
    case IOMMUFD_CMD_VFIO_IOAS:
      rc = iommufd_vfio_ioas(ictx, ucmd as iommu_vfio_ioas);
      return rc ? rc : respond(user, ucmd);
    case IOMMUFD_CMD_IOAS_MAP_FILE:
      rc = yield* iommufd_ioas_map_file(k, ictx, ucmd as iommu_ioas_map_file);
      return rc ? rc : respond(user, ucmd);
    case IOMMUFD_CMD_IOAS_CHANGE_PROCESS:
      return yield* iommufd_ioas_change_process(k, ictx, ucmd as iommu_ioas_change_process);
    default:
      return -ENOTTY;
  }
}

export const iommufd_fops: file_operations = {
  owner: 'iommufd',
  open: iommufd_fops_open,
  unlocked_ioctl: iommufd_fops_ioctl,
  release: iommufd_fops_release,
};

const iommu_misc_dev: miscdevice = { minor: IOMMUFD_MINOR, name: 'iommu', fops: iommufd_fops, nodename: 'iommu', mode: 0o660 };
const vfio_misc_dev: miscdevice = { minor: VFIO_MINOR, name: 'vfio', fops: iommufd_fops, nodename: 'vfio/vfio', mode: 0o666 };

/**
 * iommufd_init(): /dev/iommu, and /dev/vfio/vfio when iommufd provides the VFIO container.
 * MODEL: module load, idempotent; -ENODEV without CONFIG_IOMMUFD (no node: open fails -ENOENT).
 */
export function iommufd_init(k: Kctx): number {
  if (!IS_ENABLED(k, 'CONFIG_IOMMUFD')) return -ENODEV;
  const sub = iommufd_subsys_of(k);
  if (sub.iommu_inode_registered) return 0;
  let ret = misc_register(k, iommu_misc_dev);
  if (ret) return ret;
  if (IS_ENABLED(k, 'CONFIG_IOMMUFD_VFIO_CONTAINER')) {
    ret = misc_register(k, vfio_misc_dev);
    if (ret) return ret;
  }
  sub.iommu_inode_registered = true;
  return 0;
}

/** iommufd_ctx_put(): drop the file reference iommufd_ctx_from_fd took. */
export function* iommufd_ctx_put(k: Kctx, f: file): KThread<void> {
  yield* fput(k, f);
}
