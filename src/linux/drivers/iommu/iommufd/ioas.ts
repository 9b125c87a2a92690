/**
 * drivers/iommu/iommufd/ioas.c (Debian linux-source-6.12 6.12.118): the IOAS ioctls. Each
 * takes the kernel's copy of the command struct (main.ts did the size checks) and returns
 * 0 or -errno; `respond` copies the struct back to user space.
 */
import type { KThread } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import { WARN_ON } from '../../../include/linux/bug.js';
import { EFAULT, EINVAL, EMSGSIZE, ENOENT, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM, EBUSY } from '../../../include/uapi/linux/errno.js';
import { should_fail } from '../../../include/linux/fault_inject.js';
import { CAP_SYS_RESOURCE, capable } from '../../../include/linux/sched.js';
import { Mutex } from '../../../../sched/index.js';
import { IOMMU_CACHE, IOMMU_READ, IOMMU_WRITE } from '../iommu.js';
import {
  IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
  IOMMU_OPTION_OP_SET,
} from '../../../include/uapi/linux/iommufd.js';
import type {
  iommu_ioas_alloc, iommu_ioas_allow_iovas, iommu_ioas_copy, iommu_ioas_iova_ranges, iommu_ioas_map, iommu_ioas_unmap, iommu_option,
} from '../../../include/uapi/linux/iommufd.js';
import type { iommufd_ctx, iommufd_ioas, iopt_range } from './iommufd_private.js';
import { ULONG_MAX, iommufd_get_ioas, iommufd_object_alloc, iommufd_object_finalize } from './iommufd_private.js';
import type { iopt_pages_list } from './io_pagetable.js';
import {
  IOPT_ALLOC_IOVA, iopt_disable_large_pages, iopt_enable_large_pages, iopt_free_pages_list, iopt_get_pages, iopt_init_table,
  iopt_map_pages, iopt_map_user_pages, iopt_set_allow_iova, iopt_unmap_all, iopt_unmap_iova, iopt_usable_ranges,
} from './io_pagetable.js';

const FILE = 'drivers/iommu/iommufd/ioas.c';
const U64_MAX = ULONG_MAX;

/** iommufd_ioas_alloc(ictx): a new, empty IOAS (not yet published). */
export function iommufd_ioas_alloc(k: Kctx, ictx: iommufd_ctx): iommufd_ioas {
  const obj = iommufd_object_alloc(ictx, 'IOMMUFD_OBJ_IOAS');
  return { obj, iopt: iopt_init_table(k), mutex: new Mutex(`ioas->mutex(ioas#${obj.id})`), hwpt_list: [] };
}

/** iommufd_ioas_destroy(): unmap everything (a failure other than -ENOENT warns). */
export function* iommufd_ioas_destroy(k: Kctx, ioas: iommufd_ioas): KThread<void> {
  const rc = yield* iopt_unmap_all(k, ioas.iopt, { v: 0n });
  WARN_ON(k, rc !== 0 && rc !== -ENOENT, `${FILE}:iommufd_ioas_destroy`, `iopt_unmap_all = ${rc}`);
}

/** IOMMU_IOAS_ALLOC: flags must be 0 (-EOPNOTSUPP); returns the new id in out_ioas_id. */
export function iommufd_ioas_alloc_ioctl(k: Kctx, ictx: iommufd_ctx, cmd: iommu_ioas_alloc): number {
  if (cmd.flags) return -EOPNOTSUPP;
  if (should_fail(k, 'drivers/iommu/iommufd/main.c:_iommufd_object_alloc:kzalloc')) return -ENOMEM;
  const ioas = iommufd_ioas_alloc(k, ictx);
  cmd.out_ioas_id = ioas.obj.id;
  iommufd_object_finalize(ictx, ioas);
  return 0;
}

/**
 * IOMMU_IOAS_IOVA_RANGES: the holes of the reserved ranges, written up to num_iovas entries;
 * num_iovas becomes the total (more than given: -EMSGSIZE, after the struct was written back).
 */
export function iommufd_ioas_iova_ranges(ictx: iommufd_ctx, cmd: iommu_ioas_iova_ranges, respond: () => number): number {
  if (cmd.__reserved) return -EOPNOTSUPP;
  const ioas = iommufd_get_ioas(ictx, cmd.ioas_id);
  if (typeof ioas === 'number') return ioas;
  const max = cmd.num_iovas;
  const out = cmd.allowed_iovas;
  cmd.num_iovas = 0;
  cmd.out_iova_alignment = BigInt(ioas.iopt.iova_alignment);
  for (const span of iopt_usable_ranges(ioas.iopt)) {
    if (cmd.num_iovas < max) {
      if (out === null) return -EFAULT;
      out[cmd.num_iovas] = { start: span.start, last: span.last };
    }
    cmd.num_iovas++;
  }
  const rc = respond();
  if (rc) return rc;
  return cmd.num_iovas > max ? -EMSGSIZE : 0;
}

/** IOMMU_IOAS_ALLOW_IOVAS: replace the allowed ranges (start >= last or overlapping entries: -EINVAL). */
export function* iommufd_ioas_allow_iovas(k: Kctx, ictx: iommufd_ctx, cmd: iommu_ioas_allow_iovas): KThread<number> {
  if (cmd.__reserved) return -EOPNOTSUPP;
  const ioas = iommufd_get_ioas(ictx, cmd.ioas_id);
  if (typeof ioas === 'number') return ioas;
  const ranges: iopt_range[] = [];
  for (let i = 0; i < cmd.num_iovas; i++) {
    const r = cmd.allowed_iovas?.[i];
    if (r === undefined) return -EFAULT;
    if (r.start >= r.last) return -EINVAL;
    if (ranges.some((x) => x.start <= r.last && r.start <= x.last)) return -EINVAL;
    ranges.push({ start: r.start, last: r.last, owner: null });
  }
  return yield* iopt_set_allow_iova(k, ioas.iopt, ranges);
}

/** conv_iommu_prot(map_flags): IOMMU_CACHE always, plus READ/WRITE as asked. */
function conv_iommu_prot(flags: number): number {
  let prot = IOMMU_CACHE;
  if (flags & IOMMU_IOAS_MAP_WRITEABLE) prot |= IOMMU_WRITE;
  if (flags & IOMMU_IOAS_MAP_READABLE) prot |= IOMMU_READ;
  return prot;
}

const MAP_FLAGS = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE;

/**
 * May a MAP/COPY go on with these flags? 6.12 and later need READABLE or WRITEABLE; 6.2 to 6.6
 * map such a range with IOMMU_CACHE alone.
 */
function map_has_rw(k: Kctx, flags: number): boolean {
  // PATCH(iommufd-prevent-align-overflow): stand-in for the READABLE/WRITEABLE check (UNVERIFIED fold, v6.7..v6.12)
  if (!k.patch('iommufd-prevent-align-overflow')) return true;
  return (flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) !== 0;
}

/**
 * IOMMU_IOAS_MAP: unknown flags or __reserved → -EOPNOTSUPP; iova or length = U64_MAX →
 * -EOVERFLOW; neither READABLE nor WRITEABLE → -EINVAL (6.12+); without FIXED_IOVA the kernel chooses
 * the IOVA and returns it in iova.
 */
export function* iommufd_ioas_map(k: Kctx, ictx: iommufd_ctx, cmd: iommu_ioas_map): KThread<number> {
  if ((cmd.flags & ~MAP_FLAGS) !== 0 || cmd.__reserved) return -EOPNOTSUPP;
  if (cmd.iova >= U64_MAX || cmd.length >= U64_MAX) return -EOVERFLOW;
  if (!map_has_rw(k, cmd.flags)) return -EINVAL;
  const ioas = iommufd_get_ioas(ictx, cmd.ioas_id);
  if (typeof ioas === 'number') return ioas;
  const iova = { v: cmd.iova };
  const rc = yield* iopt_map_user_pages(k, ictx, ioas.iopt, iova, cmd.user_va, cmd.length, conv_iommu_prot(cmd.flags), cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA ? 0 : IOPT_ALLOC_IOVA);
  if (rc) return rc;
  cmd.iova = iova.v;
  return 0;
}

/**
 * IOMMU_IOAS_COPY: map the pages behind [src_iova, +length) of one IOAS into another (the
 * same iopt_pages: no new pin where a domain already holds them).
 */
export function* iommufd_ioas_copy(k: Kctx, ictx: iommufd_ctx, cmd: iommu_ioas_copy): KThread<number> {
  if ((cmd.flags & ~MAP_FLAGS) !== 0) return -EOPNOTSUPP;
  if (cmd.length >= U64_MAX || cmd.src_iova >= U64_MAX || cmd.dst_iova >= U64_MAX) return -EOVERFLOW;
  if (!map_has_rw(k, cmd.flags)) return -EINVAL;
  const src = iommufd_get_ioas(ictx, cmd.src_ioas_id);
  if (typeof src === 'number') return src;
  const list: iopt_pages_list[] = [];
  let rc = yield* iopt_get_pages(k, src.iopt, cmd.src_iova, cmd.length, list);
  if (rc) return rc;
  const dst = iommufd_get_ioas(ictx, cmd.dst_ioas_id);
  if (typeof dst === 'number') rc = dst;
  else {
    const iova = { v: cmd.dst_iova };
    rc = yield* iopt_map_pages(k, dst.iopt, list, cmd.length, iova, conv_iommu_prot(cmd.flags), cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA ? 0 : IOPT_ALLOC_IOVA);
    if (!rc) cmd.dst_iova = iova.v;
  }
  yield* iopt_free_pages_list(k, list);
  return rc;
}

/**
 * IOMMU_IOAS_UNMAP: iova 0 + length U64_MAX unmaps everything; otherwise the range must
 * cover whole areas (-ENOENT if it cuts one or covers none); length returns the bytes unmapped.
 */
export function* iommufd_ioas_unmap(k: Kctx, ictx: iommufd_ctx, cmd: iommu_ioas_unmap): KThread<number> {
  const ioas = iommufd_get_ioas(ictx, cmd.ioas_id);
  if (typeof ioas === 'number') return ioas;
  const unmapped = { v: 0n };
  if (cmd.iova === 0n && cmd.length === U64_MAX) {
    const rc = yield* iopt_unmap_all(k, ioas.iopt, unmapped);
    if (rc) return rc;
  } else {
    if (cmd.iova >= U64_MAX || cmd.length >= U64_MAX) return -EOVERFLOW;
    const rc = yield* iopt_unmap_iova(k, ioas.iopt, cmd.iova, cmd.length, unmapped);
    if (rc) return rc;
    if (unmapped.v === 0n) return -ENOENT;
  }
  cmd.length = unmapped.v;
  return 0;
}

/**
 * IOMMU_OPTION_RLIMIT_MODE (object_id must be 0): GET gives 1 for mm->locked_vm accounting;
 * SET needs CAP_SYS_RESOURCE (-EPERM) and a context with no objects yet (-EBUSY); 0 = user,
 * 1 = mm, anything else -EINVAL.
 */
export function iommufd_option_rlimit_mode(k: Kctx, cmd: iommu_option, ictx: iommufd_ctx): number {
  if (cmd.object_id) return -EOPNOTSUPP;
  if (cmd.op === IOMMU_OPTION_OP_GET) {
    cmd.val64 = ictx.account_mode === 'IOPT_PAGES_ACCOUNT_MM' ? 1n : 0n;
    return 0;
  }
  if (cmd.op === IOMMU_OPTION_OP_SET) {
    if (!capable(k, CAP_SYS_RESOURCE)) return -EPERM;
    if (ictx.objects.size > 0) return -EBUSY;
    if (cmd.val64 === 0n) ictx.account_mode = 'IOPT_PAGES_ACCOUNT_USER';
    else if (cmd.val64 === 1n) ictx.account_mode = 'IOPT_PAGES_ACCOUNT_MM';
    else return -EINVAL;
    return 0;
  }
  return -EOPNOTSUPP;
}

/** IOMMU_OPTION_HUGE_PAGES on an IOAS: GET 1 unless disabled; SET 0 disables, 1 enables. */
export function* iommufd_ioas_option(k: Kctx, ictx: iommufd_ctx, cmd: iommu_option): KThread<number> {
  if (cmd.__reserved) return -EOPNOTSUPP;
  const ioas = iommufd_get_ioas(ictx, cmd.object_id);
  if (typeof ioas === 'number') return ioas;
  if (cmd.option_id !== IOMMU_OPTION_HUGE_PAGES) return -EOPNOTSUPP;
  if (cmd.op === IOMMU_OPTION_OP_GET) {
    cmd.val64 = ioas.iopt.disable_large_pages ? 0n : 1n;
    return 0;
  }
  if (cmd.op === IOMMU_OPTION_OP_SET) {
    if (cmd.val64 === 0n) return yield* iopt_disable_large_pages(k, ioas.iopt);
    if (cmd.val64 === 1n) {
      yield* iopt_enable_large_pages(k, ioas.iopt);
      return 0;
    }
    return -EINVAL;
  }
  return -EOPNOTSUPP;
}
