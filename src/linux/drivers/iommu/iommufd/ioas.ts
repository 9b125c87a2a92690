/**
 * drivers/iommu/iommufd/ioas.c (Debian linux-source-6.12 6.12.118): the IOAS ioctls. Each
 * takes the kernel's copy of the command struct (main.ts did the size checks) and returns
 * 0 or -errno; `respond` copies the struct back to user space.
 */
import type { KThread } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import { EBADF, EFAULT, EINVAL, EMSGSIZE, ENOENT, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM, EBUSY } from '../../../include/uapi/linux/errno.js';
import { WARN_ON, unsupported } from '../../../include/linux/bug.js';
import { fget, fput } from '../../../include/linux/fs.js';
import { current_user } from '../../../io_uring/io_uring.js';
import { mmdrop, mmgrab } from '../../../kernel/fork.js';
import { down_write, up_write } from '../../../kernel/locking/rwsem.js';
import { iopt_pages_update_pinned } from './pages.js';
import { should_fail } from '../../../include/linux/fault_inject.js';
import { CAP_SYS_RESOURCE, capable, get_current } from '../../../include/linux/sched.js';
import { Mutex } from '../../../../sched/index.js';
import { IOMMU_CACHE, IOMMU_READ, IOMMU_WRITE } from '../iommu.js';
import {
  IOMMU_IOAS_MAP_FIXED_IOVA, IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_OPTION_HUGE_PAGES, IOMMU_OPTION_OP_GET,
  IOMMU_OPTION_OP_SET,
} from '../../../include/uapi/linux/iommufd.js';
import type {
  iommu_ioas_alloc, iommu_ioas_allow_iovas, iommu_ioas_change_process, iommu_ioas_copy, iommu_ioas_iova_ranges, iommu_ioas_map,
  iommu_ioas_map_file, iommu_ioas_unmap, iommu_option,
} from '../../../include/uapi/linux/iommufd.js';
import type { iommufd_ctx, iommufd_ioas, iopt_area, iopt_pages, iopt_range } from './iommufd_private.js';
import { ULONG_MAX, iommufd_get_ioas, iommufd_object_alloc, iommufd_object_finalize } from './iommufd_private.js';
import type { iopt_pages_list } from './io_pagetable.js';
import {
  IOPT_ALLOC_IOVA, iopt_disable_large_pages, iopt_enable_large_pages, iopt_free_pages_list, iopt_get_pages, iopt_init_table,
  iopt_map_file_pages, iopt_map_pages, iopt_map_user_pages, iopt_set_allow_iova, iopt_unmap_all, iopt_unmap_iova, iopt_usable_ranges,
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
 * May a MAP/COPY go on with these flags? 6.11 and later need READABLE or WRITEABLE; 6.2 to 6.6.9
 * map such a range with IOMMU_CACHE alone.
 */
function map_has_rw(k: Kctx, flags: number): boolean {
  // PATCH(iommufd-map-needs-rw) 996dc53ac289: neither READABLE nor WRITEABLE is refused
  if (!k.patch('iommufd-map-needs-rw')) return true;
  return (flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)) !== 0;
}

/**
 * IOMMU_IOAS_MAP: unknown flags or __reserved → -EOPNOTSUPP; iova or length = U64_MAX →
 * -EOVERFLOW; neither READABLE nor WRITEABLE → -EINVAL (6.11+); without FIXED_IOVA the kernel chooses
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
 * IOMMU_IOAS_MAP_FILE (6.13+, PATCH(iommufd-map-file)): map [start, start + length) of a memfd.
 * Unknown flags → -EOPNOTSUPP; iova or length = U64_MAX → -EOVERFLOW; neither READABLE nor
 * WRITEABLE → -EINVAL; no IOAS → -ENOENT; no file → -EBADF. What the file is (shmem or
 * hugetlbfs) and whether the range is inside it are checked only when the pages are pinned
 * (memfd_pin_folios: -EINVAL), as for IOMMU_IOAS_MAP the pinning waits for a domain or an access.
 */
export function* iommufd_ioas_map_file(k: Kctx, ictx: iommufd_ctx, cmd: iommu_ioas_map_file): KThread<number> {
  if ((cmd.flags & ~MAP_FLAGS) !== 0) return -EOPNOTSUPP;
  if (cmd.iova >= U64_MAX || cmd.length >= U64_MAX) return -EOVERFLOW;
  if (!map_has_rw(k, cmd.flags)) return -EINVAL;
  const ioas = iommufd_get_ioas(ictx, cmd.ioas_id);
  if (typeof ioas === 'number') return ioas;
  const f = fget(k, cmd.fd);
  if (f === null) return -EBADF;
  const iova = { v: cmd.iova };
  const rc = yield* iopt_map_file_pages(k, ictx, ioas.iopt, iova, f, cmd.start, cmd.length, conv_iommu_prot(cmd.flags), cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA ? 0 : IOPT_ALLOC_IOVA);
  yield* fput(k, f);
  if (rc) return rc;
  cmd.iova = iova.v;
  return 0;
}

/** need_charge_update(pages): is the pages' charge on another owner than the caller? */
function need_charge_update(k: Kctx, pages: iopt_pages): boolean {
  const cur = get_current(k);
  switch (pages.account_mode) {
    case 'IOPT_PAGES_ACCOUNT_NONE':
      return false;
    case 'IOPT_PAGES_ACCOUNT_MM':
      return pages.source_mm !== cur.mm;
    case 'IOPT_PAGES_ACCOUNT_USER':
      // USER also accounts mm->pinned_vm, so a new mm is a new owner too.
      return pages.source_user !== current_user(k) || pages.source_mm !== cur.mm;
  }
}

const ACCOUNT_MODES = ['IOPT_PAGES_ACCOUNT_NONE', 'IOPT_PAGES_ACCOUNT_USER', 'IOPT_PAGES_ACCOUNT_MM'] as const;

/**
 * charge_current(npinned): charge the caller for each account mode's pages (a temporary
 * iopt_pages whose source is the caller); a failure undoes the modes charged before it.
 */
function* charge_current(k: Kctx, npinned: readonly number[]): KThread<number> {
  const cur = get_current(k);
  const mm = cur.mm;
  if (mm === null) return -EFAULT;
  const tmp = (mode: number): iopt_pages => ({
    id: 0, refs: 0, mutex: new Mutex('change_process tmp'), source_mm: mm, source_task: cur.group_leader, source_user: current_user(k),
    type: 'IOPT_ADDRESS_FILE', uptr: 0, file: null, start: 0, npages: 0, writable: false, account_mode: ACCOUNT_MODES[mode] as iopt_pages['account_mode'],
    npinned: 0, last_npinned: 0, domain_areas: [], accesses: [], pinned_pfns: new Map(),
  });
  for (let mode = 0; mode < ACCOUNT_MODES.length; mode++) {
    const n = npinned[mode] ?? 0;
    if (!n) continue;
    const rc = yield* iopt_pages_update_pinned(k, tmp(mode), n, true);
    if (rc) {
      for (let m = mode - 1; m >= 0; m--) if (npinned[m]) yield* iopt_pages_update_pinned(k, tmp(m), npinned[m] as number, false);
      return rc;
    }
  }
  return 0;
}

/** The areas of every IOAS of a context, in id order (for_each_ioas_area over the locked list). */
function ioas_areas(list: readonly iommufd_ioas[]): iopt_area[] {
  return list.flatMap((ioas) => ioas.iopt.areas);
}

/**
 * IOMMU_IOAS_CHANGE_PROCESS (6.13+, PATCH(iommufd-change-process)): make the caller the owner of
 * every mapping of the context — its mm, group leader and user are charged for the pinned pages
 * (each account mode at once; over the limit -ENOMEM and nothing changes) and the old owner is
 * uncharged. Every area of every IOAS must be a file mapping (-EINVAL, nothing changed): a
 * mapping by user address stays tied to the old mm. __reserved → -EOPNOTSUPP. Takes every IOAS's
 * iova_rwsem for write, in id order (iommufd_take_all_iova_rwsem).
 */
export function* iommufd_ioas_change_process(k: Kctx, ictx: iommufd_ctx, cmd: iommu_ioas_change_process): KThread<number> {
  if (cmd.__reserved) return -EOPNOTSUPP;
  const list = [...ictx.objects.values()].filter((o): o is iommufd_ioas => o.obj.type === 'IOMMUFD_OBJ_IOAS').sort((a, b) => a.obj.id - b.obj.id);
  for (const ioas of list) yield* down_write(k, ioas.iopt.iova_rwsem, `${FILE}:iommufd_take_all_iova_rwsem`);
  let rc = 0;
  out: {
    const areas = ioas_areas(list);
    for (const area of areas) {
      if (area.pages === null) {
        rc = unsupported(k, `${FILE}:iommufd_ioas_change_process`, 'an area still being mapped (pages NULL: 6.18.26 dereferences it)');
        break out;
      }
      if (area.pages.type !== 'IOPT_ADDRESS_FILE') {
        rc = -EINVAL;
        break out;
      }
    }
    // Count last_npinned once per iopt_pages (cleared as it is counted), then charge the caller.
    const all = [0, 0, 0];
    for (const area of areas) {
      const pages = area.pages as iopt_pages;
      if (need_charge_update(k, pages)) {
        all[ACCOUNT_MODES.indexOf(pages.account_mode)] += pages.last_npinned;
        pages.last_npinned = 0;
      }
    }
    rc = yield* charge_current(k, all);
    if (rc) {
      for (const area of areas) (area.pages as iopt_pages).last_npinned = (area.pages as iopt_pages).npinned;
      break out;
    }
    for (const area of areas) {
      const pages = area.pages as iopt_pages;
      // Uncharge the old owner (which also restores last_npinned), then move the pages to the caller.
      if (need_charge_update(k, pages)) {
        const r = yield* iopt_pages_update_pinned(k, pages, pages.npinned, false);
        if (WARN_ON(k, r !== 0, `${FILE}:iommufd_ioas_change_process`, `uncharge = ${r}`)) rc = r;
      }
      change_mm(k, pages);
    }
  }
  for (const ioas of list) up_write(k, ioas.iopt.iova_rwsem, `${FILE}:iommufd_release_all_iova_rwsem`);
  return rc;
}

/** change_mm(pages): the caller's mm (grabbed; the old one dropped), group leader and user become the source. */
function change_mm(k: Kctx, pages: iopt_pages): void {
  const cur = get_current(k);
  const old = pages.source_mm;
  if (cur.mm === null) return;
  pages.source_mm = cur.mm;
  mmgrab(cur.mm);
  mmdrop(k.m, old);
  pages.source_task = cur.group_leader;
  pages.source_user = current_user(k);
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
