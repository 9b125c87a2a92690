/**
 * mm/mmap.c (+ mm/util.c vm_mmap_pgoff, arch/x86 arch_get_unmapped_area_topdown,
 * mm/vma.c in v6.12): creating and destroying VMAs — do_mmap(), mmap_region(),
 * get_unmapped_area(), __split_vma(), do_munmap()/__vm_munmap(), exit_mmap().
 * Read in v5.4.1 (do_mmap / __do_munmap), Debian 6.1.192 (do_mmap /
 * do_mas_munmap), Debian 6.12.117 (do_mmap / do_vmi_munmap).
 *
 * Locking: do_mmap/mmap_region/do_munmap run with mmap_lock held for write.
 * __vm_munmap() takes it (killable) and, after detaching the VMAs, downgrades it to
 * read for the page-table zap (all three releases), so readers such as GUP can run
 * while the range is being torn down.
 *
 * Errors kept (all three releases): len 0 → -EINVAL; length overflow → -ENOMEM;
 * pgoff overflow → -EOVERFLOW; > max_map_count VMAs → -ENOMEM; unaligned MAP_FIXED
 * address → -EINVAL; range beyond TASK_SIZE → -ENOMEM; MAP_FIXED_NOREPLACE over an
 * existing VMA → -EEXIST; MAP_LOCKED with RLIMIT_MEMLOCK 0 and no CAP_IPC_LOCK →
 * -EPERM, over the limit → -EAGAIN; bad MAP_TYPE → -EINVAL; unknown flags with
 * MAP_SHARED_VALIDATE → -EOPNOTSUPP; PROT_WRITE on a MAP_SHARED file not open for
 * writing → -EACCES; a file not open for reading → -EACCES; no ->mmap → -ENODEV.
 *
 * MODEL: no VMA merging (adjacent compatible mappings stay separate VMAs: only the
 * VMA count differs from the kernel); no overcommit accounting (VM_ACCOUNT,
 * security_vm_enough_memory); no RLIMIT_AS; no ASLR (top-down from a fixed
 * mmap_base); no THP alignment of anonymous mappings. MAP_POPULATE / VM_LOCKED
 * population is GUP's mm_populate() (mm/gup.ts), as in the kernel.
 */
import { should_fail } from '../include/linux/fault_inject.js';
import { errno_reason, hex } from '../errno_reason.js';
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported, WARN_ON } from '../include/linux/bug.js';
import type { file } from '../include/linux/fs.js';
import { FMODE_READ, FMODE_WRITE, IS_DAX, fput, get_file } from '../include/linux/fs.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, TASK_SIZE } from '../include/linux/mm_types.js';
import {
  VM_EXEC, VM_GROWSDOWN, VM_LOCKED, VM_LOCKED_MASK, VM_MAYEXEC, VM_MAYREAD, VM_MAYSHARE, VM_MAYWRITE,
  VM_NORESERVE, VM_PFNMAP, VM_READ, VM_SHARED, VM_SPECIAL, VM_SYNC, VM_WRITE, find_vma, is_vm_hugetlb_page, vma_is_dax, vma_pages,
} from '../include/linux/mm.js';
import { CAP_IPC_LOCK, RLIMIT_MEMLOCK, capable, get_current, rlimit } from '../include/linux/sched.js';
import {
  LEGACY_MAP_MASK, MAP_DROPPABLE, MAP_FIXED, MAP_FIXED_NOREPLACE, MAP_GROWSDOWN, MAP_LOCKED, MAP_NONBLOCK, MAP_NORESERVE,
  MAP_POPULATE, MAP_PRIVATE, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_SYNC, MAP_TYPE, PROT_EXEC, PROT_READ, PROT_WRITE,
} from '../include/uapi/asm-generic/mman.js';
import { EACCES, EAGAIN, EEXIST, EINTR, EINVAL, ENODEV, ENOMEM, EOPNOTSUPP, EOVERFLOW, EPERM } from '../include/uapi/linux/errno.js';
import { down_read, down_write, down_write_killable, downgrade_write, up_read, up_write } from '../kernel/locking/rwsem.js';
import { zap_page_range } from './memory.js';
import { shmem_zero_setup } from './shmem.js';
import { mm_populate } from './gup.js';
import { race_window } from '../kernel/sched.js';

/** sysctl_max_map_count (DEFAULT_MAX_MAP_COUNT). */
export const sysctl_max_map_count = 65530;

/** A user address is an error code (IS_ERR_VALUE). */
export function IS_ERR_VALUE(x: number): boolean {
  return x < 0;
}

function offset_in_page(x: number): number {
  return x % PAGE_SIZE;
}

function PAGE_ALIGN(x: number): number {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}

/** calc_vm_prot_bits(prot) */
function calc_vm_prot_bits(prot: number): number {
  return (prot & PROT_READ ? VM_READ : 0) | (prot & PROT_WRITE ? VM_WRITE : 0) | (prot & PROT_EXEC ? VM_EXEC : 0);
}

/** calc_vm_flag_bits(flags) (MAP_DENYWRITE's VM_DENYWRITE is gone in 6.x and unused by the model). */
function calc_vm_flag_bits(flags: number): number {
  return (flags & MAP_GROWSDOWN ? VM_GROWSDOWN : 0) | (flags & MAP_LOCKED ? VM_LOCKED : 0) | (flags & MAP_SYNC ? VM_SYNC : 0);
}

/** can_do_mlock() (mm/mlock.c) */
export function can_do_mlock(k: Kctx): boolean {
  if (rlimit(k, RLIMIT_MEMLOCK) !== 0) return true;
  return capable(k, CAP_IPC_LOCK);
}

/** mlock_future_check(mm, flags, len) (v5.4, v6.1; mlock_future_ok in v6.12, same test). */
export function mlock_future_check(k: Kctx, mm: mm_struct, flags: number, len: number): number {
  if (flags & VM_LOCKED) {
    const locked = len / PAGE_SIZE + mm.locked_vm;
    const lim = rlimit(k, RLIMIT_MEMLOCK);
    const lock_limit = lim === Number.POSITIVE_INFINITY ? lim : Math.floor(lim / PAGE_SIZE);
    if (locked > lock_limit && !capable(k, CAP_IPC_LOCK)) return -EAGAIN;
  }
  return 0;
}

/** vm_start_gap / the VMA list as gaps: is [addr, addr+len) free? */
function range_free(mm: mm_struct, addr: number, len: number): boolean {
  const v = find_vma(mm, addr);
  return !v || addr + len <= v.vm_start;
}

/**
 * arch_get_unmapped_area_topdown(): MAP_FIXED returns the hint as is; a free,
 * page-aligned hint is honoured; otherwise the highest gap below mmap_base that
 * fits (aligned to `align`). -ENOMEM when nothing fits.
 */
function arch_get_unmapped_area_topdown(mm: mm_struct, addr: number, len: number, flags: number, align: number): number {
  if (len > TASK_SIZE) return -ENOMEM;
  if (flags & MAP_FIXED) return addr;
  if (addr) {
    const a = PAGE_ALIGN(addr);
    if (TASK_SIZE - len >= a && a % align === 0 && range_free(mm, a, len)) return a;
  }
  // Walk the gaps from the top (mmap_base) down.
  let hi = mm.mmap_base;
  for (let i = mm.mmap.length - 1; i >= -1; i--) {
    const v = i >= 0 ? mm.mmap[i] : null;
    const lo = v ? v.vm_end : PAGE_SIZE * 16;
    if (v && v.vm_start >= hi) continue;
    const top = Math.min(hi, mm.mmap_base);
    const start = Math.floor((top - len) / align) * align;
    if (start >= lo && start + len <= top) return start;
    if (v) hi = Math.min(hi, v.vm_start);
  }
  return -ENOMEM;
}

/**
 * thp_get_unmapped_area() / __thp_get_unmapped_area() (mm/huge_memory.c), ext4's
 * ->get_unmapped_area, for an fs-DAX file mapped without an address hint: when the mapping
 * covers a whole 2 MiB-aligned block of the file, search for len + 2 MiB and move the start
 * so that the address has the file offset's colour within 2 MiB (so dax_iomap_pmd_fault
 * can map PMDs); 0 = no such block or no room (the caller searches normally).
 * MODEL: only for DAX files and without a hint, where 5.4.1 (IS_DAX test), 6.1.192 and
 * 6.12.117 agree on the colour. Not modelled: 6.12.117's extra 2 MiB step when the padded
 * area is already aligned in a top-down mm (same colour, 2 MiB higher), and the alignment of
 * non-DAX ext4 files, which later releases than 5.4 also get (the change that dropped the
 * IS_DAX test is not identified here, UNVERIFIED).
 */
function thp_get_unmapped_area_dax(mm: mm_struct, len: number, pgoff: number, flags: number): number {
  const size = PMD_SIZE;
  const off = pgoff * PAGE_SIZE;
  const off_end = off + len;
  const off_align = Math.ceil(off / size) * size;
  if (off_end <= off_align || off_end - off_align < size) return 0;
  const ret = arch_get_unmapped_area_topdown(mm, 0, len + size, flags, PAGE_SIZE);
  if (IS_ERR_VALUE(ret)) return 0;
  return ret + (((off - ret) % size) + size) % size;
}

/** get_unmapped_area(file, addr, len, pgoff, flags) */
export function get_unmapped_area(k: Kctx, f: file | null, addr: number, len: number, pgoff: number, flags: number): number {
  void pgoff;
  const mm = get_current(k).mm as mm_struct;
  const site = 'mm/mmap.c:get_unmapped_area';
  if (len > TASK_SIZE) return errno_reason(k, -ENOMEM, site, `length ${hex(len)} is larger than TASK_SIZE (${hex(TASK_SIZE)})`);
  const align = f && f.f_inode.i_sb.s_type.kind === 'hugetlbfs' ? 2 ** (12 + f.f_inode.i_sb.huge_order) : PAGE_SIZE;
  // hugetlb_get_unmapped_area(): MAP_FIXED must be huge-page aligned (prepare_hugepage_range).
  if (align > PAGE_SIZE && flags & MAP_FIXED && (addr % align || len % align)) return -EINVAL;
  if (align > PAGE_SIZE && len % align) return -EINVAL;
  let a = f && addr === 0 && !(flags & MAP_FIXED) && IS_DAX(f.f_inode) && f.f_inode.i_sb.s_type.kind === 'ext4'
    ? thp_get_unmapped_area_dax(mm, len, pgoff, flags)
    : 0;
  if (a === 0) a = arch_get_unmapped_area_topdown(mm, addr, len, flags, align);
  if (a === -ENOMEM) return errno_reason(k, -ENOMEM, 'arch/x86/kernel/sys_x86_64.c:arch_get_unmapped_area_topdown', `no free gap of ${hex(len)} bytes below mmap_base`);
  if (IS_ERR_VALUE(a)) return a;
  if (a > TASK_SIZE - len) return errno_reason(k, -ENOMEM, site, `[${hex(a)}, ${hex(a + len)}) ends above TASK_SIZE (${hex(TASK_SIZE)})`);
  if (offset_in_page(a)) return errno_reason(k, -EINVAL, site, `address ${hex(a)} is not page-aligned`);
  return a;
}

/** Insert a VMA into mm.mmap (sorted) and the file's i_mmap (vma_link). */
export function vma_link(mm: mm_struct, vma: vm_area_struct): void {
  const a = mm.mmap;
  let i = a.length;
  while (i > 0 && a[i - 1].vm_start > vma.vm_start) i--;
  a.splice(i, 0, vma);
  if (vma.vm_file) vma.vm_file.f_mapping.i_mmap.add(vma);
}

/** vm_area_alloc(mm) with the fields do_mmap fills. */
function vm_area_alloc(k: Kctx, mm: mm_struct, start: number, end: number, flags: number, pgoff: number): vm_area_struct {
  return {
    id: k.m.nextId('vma'), vm_start: start, vm_end: end, vm_flags: flags, vm_pgoff: pgoff,
    vm_file: null, vm_mm: mm, anon_vma: null, vm_ops: null, vm_private_data: null, vm_freed: false,
  };
}

/**
 * remove_vma(vma): ->close, drop the file reference, free the structure (the model
 * marks it freed so a later use is visible).
 */
function* remove_vma(k: Kctx, vma: vm_area_struct): KThread<void> {
  if (vma.vm_ops && vma.vm_ops.close) vma.vm_ops.close(vma);
  const f = vma.vm_file;
  if (f) {
    f.f_mapping.i_mmap.delete(vma);
    yield* fput(k, f);
  }
  vma.vm_freed = true;
  k.m.event(k.tid, 'vma-free', [`vma:${vma.id}`, `mm:${vma.vm_mm.id}`], 'mm/mmap.c:remove_vma');
}

/**
 * __split_vma(mm, vma, addr, new_below): the original structure keeps one part, a
 * new one (vm_area_dup) takes the other.
 */
export function __split_vma(k: Kctx, mm: mm_struct, vma: vm_area_struct, addr: number, new_below: boolean): number {
  if (mm.mmap.length >= sysctl_max_map_count) return -ENOMEM;
  // ->may_split (5.4.1 ->split): device-DAX refuses a split off its alignment.
  if (vma.vm_ops && vma.vm_ops.may_split) {
    const err = vma.vm_ops.may_split(vma, addr);
    if (err) return err;
  }
  const nv: vm_area_struct = { ...vma, id: k.m.nextId('vma') };
  if (new_below) {
    nv.vm_end = addr;
    vma.vm_pgoff += (addr - vma.vm_start) / PAGE_SIZE;
    vma.vm_start = addr;
  } else {
    nv.vm_start = addr;
    nv.vm_pgoff += (addr - vma.vm_start) / PAGE_SIZE;
    vma.vm_end = addr;
  }
  if (nv.vm_file) get_file(nv.vm_file);
  if (nv.vm_ops && nv.vm_ops.open) nv.vm_ops.open(nv);
  vma_link(mm, nv);
  k.m.event(k.tid, 'vma-split', [`vma:${vma.id}`, `vma:${nv.id}`], 'mm/mmap.c:__split_vma', addr);
  return 0;
}

/**
 * mmap_region(file, addr, len, vm_flags, pgoff): unmap what is there, create the
 * VMA, let the file's ->mmap (or shmem_zero_setup) set it up, link it, account
 * total_vm and locked_vm.
 */
export function* mmap_region(k: Kctx, f: file | null, addr: number, len: number, vm_flags: number, pgoff: number): KThread<number> {
  const mm = get_current(k).mm as mm_struct;
  // Clear old maps (MAP_FIXED over existing mappings).
  if (!range_free(mm, addr, len)) {
    if ((yield* do_munmap(k, mm, addr, len, false)) < 0) return -ENOMEM;
  }
  // vm_area_alloc() failing: -ENOMEM. MODEL: 6.12 gathers the old VMAs first and puts them
  // back on this failure (vms_abort_munmap_vmas); here, as in 5.4–6.1, they are already gone.
  if (should_fail(k, 'mm/mmap.c:mmap_region:vm_area_alloc')) return -ENOMEM;
  const vma = vm_area_alloc(k, mm, addr, addr + len, vm_flags, pgoff);
  if (f) {
    vma.vm_file = get_file(f);
    const error = f.f_op.mmap ? yield* f.f_op.mmap(k, f, vma) : -ENODEV;
    if (error) {
      vma.vm_file = null;
      yield* fput(k, f);
      vma.vm_freed = true;
      return error;
    }
    addr = vma.vm_start;
    vm_flags = vma.vm_flags;
  } else if (vm_flags & VM_SHARED) {
    const error = shmem_zero_setup(k, vma);
    if (error) return error;
  }
  vma_link(mm, vma);
  k.m.event(k.tid, 'vma-new', [`vma:${vma.id}`, `mm:${mm.id}`], 'mm/mmap.c:mmap_region', { start: vma.vm_start, end: vma.vm_end });
  mm.total_vm += len / PAGE_SIZE;
  if (vm_flags & VM_LOCKED) {
    if ((vm_flags & VM_SPECIAL) || vma_is_dax(vma) || is_vm_hugetlb_page(vma)) vma.vm_flags &= ~VM_LOCKED_MASK;
    else mm.locked_vm += len / PAGE_SIZE;
  }
  return addr;
}

/** The result of do_mmap: an address or -errno, and how much to populate. */
export interface mmap_result {
  readonly addr: number;
  readonly populate: number;
}

/** do_mmap(file, addr, len, prot, flags, pgoff, &populate) — caller holds mmap_lock for write. */
export function* do_mmap(k: Kctx, f: file | null, addr: number, len: number, prot: number, flags: number, pgoff: number): KThread<mmap_result> {
  const mm = get_current(k).mm as mm_struct;
  const fail = (e: number): mmap_result => ({ addr: e, populate: 0 });
  if (!len) return fail(errno_reason(k, -EINVAL, 'mm/mmap.c:do_mmap', 'length 0'));
  // Force the arch's MAP_FIXED handling in get_unmapped_area.
  if (flags & MAP_FIXED_NOREPLACE) flags |= MAP_FIXED;
  len = PAGE_ALIGN(len);
  if (!len || len > TASK_SIZE) return fail(errno_reason(k, -ENOMEM, 'mm/mmap.c:do_mmap', !len ? 'the length wraps to 0 when rounded up to a page' : `length ${hex(len)} is larger than TASK_SIZE (${hex(TASK_SIZE)})`));
  if (pgoff + len / PAGE_SIZE > Number.MAX_SAFE_INTEGER / PAGE_SIZE) return fail(-EOVERFLOW);
  if (mm.mmap.length > sysctl_max_map_count) return fail(-ENOMEM);
  addr = get_unmapped_area(k, f, addr, len, pgoff, flags);
  if (offset_in_page(addr) || IS_ERR_VALUE(addr)) return fail(addr);
  if (flags & MAP_FIXED_NOREPLACE) {
    const v = find_vma(mm, addr);
    if (v && v.vm_start < addr + len) return fail(errno_reason(k, -EEXIST, 'mm/mmap.c:do_mmap', `MAP_FIXED_NOREPLACE: [${hex(addr)}, ${hex(addr + len)}) overlaps the VMA [${hex(v.vm_start)}, ${hex(v.vm_end)})`));
  }
  let vm_flags = calc_vm_prot_bits(prot) | calc_vm_flag_bits(flags) | mm.def_flags | VM_MAYREAD | VM_MAYWRITE | VM_MAYEXEC;
  if (flags & MAP_LOCKED) if (!can_do_mlock(k)) return fail(-EPERM);
  if (mlock_future_check(k, mm, vm_flags, len)) return fail(-EAGAIN);
  if (f) {
    const type = flags & MAP_TYPE;
    if (type === MAP_SHARED || type === MAP_SHARED_VALIDATE) {
      if (type === MAP_SHARED) flags &= LEGACY_MAP_MASK;
      if (flags & ~(LEGACY_MAP_MASK | (f.f_op.mmap_supported_flags ?? 0))) return fail(-EOPNOTSUPP);
      if (prot & PROT_WRITE && !(f.f_mode & FMODE_WRITE)) return fail(-EACCES);
      vm_flags |= VM_SHARED | VM_MAYSHARE;
      if (!(f.f_mode & FMODE_WRITE)) vm_flags &= ~(VM_MAYWRITE | VM_SHARED);
    } else if (type !== MAP_PRIVATE) {
      return fail(-EINVAL);
    }
    if (!(f.f_mode & FMODE_READ)) return fail(-EACCES);
    if (!f.f_op.mmap) return fail(-ENODEV);
    if (vm_flags & VM_GROWSDOWN) return fail(-EINVAL);
  } else {
    switch (flags & MAP_TYPE) {
      case MAP_SHARED:
        if (vm_flags & VM_GROWSDOWN) return fail(-EINVAL);
        pgoff = 0;
        vm_flags |= VM_SHARED | VM_MAYSHARE;
        break;
      case MAP_PRIVATE:
        pgoff = addr / PAGE_SIZE;
        break;
      case MAP_DROPPABLE:
        // PATCH(map-droppable): 9651fcedf7b9 — a valid anonymous mapping type from v6.11.
        if (k.patch('map-droppable')) return fail(unsupported(k, 'mm/mmap.c:do_mmap', 'MAP_DROPPABLE is not modelled'));
        return fail(-EINVAL);
      default:
        return fail(-EINVAL);
    }
  }
  if (flags & MAP_NORESERVE) vm_flags |= VM_NORESERVE;
  const a = yield* mmap_region(k, f, addr, len, vm_flags, pgoff);
  const populate = !IS_ERR_VALUE(a) && ((vm_flags & VM_LOCKED) || (flags & (MAP_POPULATE | MAP_NONBLOCK)) === MAP_POPULATE) ? len : 0;
  return { addr: a, populate };
}

/**
 * do_munmap / __do_munmap(mm, start, len, uf, downgrade): returns 0 / -errno, or 1
 * when mmap_lock was downgraded to read (the caller then up_read()s).
 */
export function* do_munmap(k: Kctx, mm: mm_struct, start: number, len: number, downgrade: boolean): KThread<number> {
  if (offset_in_page(start) || start > TASK_SIZE || len > TASK_SIZE - start) return -EINVAL;
  len = PAGE_ALIGN(len);
  const end = start + len;
  if (len === 0) return -EINVAL;
  let vma = find_vma(mm, start);
  if (!vma || vma.vm_start >= end) return 0;
  if (start > vma.vm_start) {
    if (end < vma.vm_end && mm.mmap.length >= sysctl_max_map_count) return -ENOMEM;
    const error = __split_vma(k, mm, vma, start, false);
    if (error) return error;
    vma = find_vma(mm, start) as vm_area_struct;
  }
  const last = find_vma(mm, end);
  if (last && end > last.vm_start) {
    const error = __split_vma(k, mm, last, end, true);
    if (error) return error;
  }
  // Detach the VMAs inside [start, end).
  const victims = mm.mmap.filter((v) => v.vm_start >= start && v.vm_end <= end);
  for (const v of victims) {
    if (v.vm_flags & VM_LOCKED) mm.locked_vm -= vma_pages(v);
    mm.total_vm -= vma_pages(v);
  }
  const keep = mm.mmap.filter((v) => !(v.vm_start >= start && v.vm_end <= end));
  mm.mmap.length = 0;
  mm.mmap.push(...keep);
  if (downgrade) {
    downgrade_write(k, mm.mmap_lock, 'mm/mmap.c:__do_munmap');
    // The range is detached; readers (faults, GUP) may run while it is being zapped.
    yield* race_window(k, 'mm/mmap.c:__do_munmap:downgraded');
  }
  // unmap_region(): zap the page tables of the detached VMAs.
  for (const v of victims) yield* zap_page_range(k, v, v.vm_start, v.vm_end);
  // remove_vma_list()
  for (const v of victims) yield* remove_vma(k, v);
  return downgrade ? 1 : 0;
}

/** __vm_munmap(start, len, downgrade) */
export function* __vm_munmap(k: Kctx, start: number, len: number, downgrade: boolean): KThread<number> {
  const mm = get_current(k).mm;
  if (!mm) return -EINVAL;
  if (yield* down_write_killable(k, mm.mmap_lock, 'mm/mmap.c:__vm_munmap')) return -EINTR;
  let ret = yield* do_munmap(k, mm, start, len, downgrade);
  if (ret === 1) {
    up_read(k, mm.mmap_lock, 'mm/mmap.c:__vm_munmap');
    ret = 0;
  } else {
    up_write(k, mm.mmap_lock, 'mm/mmap.c:__vm_munmap');
  }
  return ret;
}

/**
 * vm_mmap_pgoff(file, addr, len, prot, flag, pgoff) (mm/util.c): take mmap_lock
 * for write (killable), do_mmap, release, then populate if asked.
 */
export function* vm_mmap_pgoff(k: Kctx, f: file | null, addr: number, len: number, prot: number, flags: number, pgoff: number): KThread<number> {
  const mm = get_current(k).mm;
  if (!mm) return -EINVAL;
  if (yield* down_write_killable(k, mm.mmap_lock, 'mm/util.c:vm_mmap_pgoff')) return -EINTR;
  const r = yield* do_mmap(k, f, addr, len, prot, flags, pgoff);
  up_write(k, mm.mmap_lock, 'mm/util.c:vm_mmap_pgoff');
  if (r.populate) yield* mm_populate(k, r.addr, r.populate);
  return r.addr;
}

/**
 * exit_mmap(mm) (mm/mmap.c): tear down every VMA (zap, remove) once mm_users reached
 * zero. The releases differ in how they lock (one dispatcher, one body each):
 * - v5.4.1-v5.6.4 (exit_mmap__v5_4): no mmap_sem, except that an OOM victim's mm is
 *   reaped first and mmap_sem taken and dropped for write to fence the OOM reaper.
 * - PATCH(exit-mmap-write-lock) 64591e8605d6 (exit_mmap__v5_18): mmap_lock for write
 *   around the whole tear-down.
 * - PATCH(exit-mmap-read-lock-unmap) bf3980c85212 (exit_mmap__v6_0; 6.1.192, 6.12.117):
 *   mmap_lock for read around unmap_vmas, released, then for write around
 *   free_pgtables and the remove_vma loop.
 * Whoever else holds mmap_lock of the dying mm (a kernel thread with an mm_count
 * reference, e.g. remote GUP through mmgrab) is therefore waited for from 64591e8605d6
 * on, and not at all before it.
 * - An mm with no VMAs: 6.1.192 drops the read lock and returns; PATCH(exit-mmap-empty-
 *   write-lock) d24062914837 (v6.8; 6.12.117) takes the write lock after it (the
 *   `destroy:` path, which also serves a dup_mmap() that failed half-way).
 * MODEL: no OOM killer (the 5.4 OOM-victim block never runs); the per-VMA
 * cond_resched() of the 6.x remove loop is not a scheduling point; the XA_ZERO_ENTRY
 * marker of a half-copied mm (d24062914837) is not modelled (dup_mmap does not fail
 * half-way in the model).
 */
export function* exit_mmap(k: Kctx, mm: mm_struct): KThread<void> {
  // PATCH(exit-mmap-write-lock), PATCH(exit-mmap-read-lock-unmap): the function was rewritten twice.
  if (k.patch('exit-mmap-read-lock-unmap')) yield* exit_mmap__v6_0(k, mm);
  // PATCH(exit-mmap-write-lock) 64591e8605d6: the 5.18 body (write lock over the whole tear-down)
  else if (k.patch('exit-mmap-write-lock')) yield* exit_mmap__v5_18(k, mm);
  else yield* exit_mmap__v5_4(k, mm);
  WARN_ON(k, mm.pgd.pmd.size !== 0, 'mm/mmap.c:exit_mmap', 'page tables left after exit_mmap');
  mm.locked_vm = 0;
  mm.total_vm = 0;
  mm.dead = true;
}

/** exit_mmap, v5.4.1 shape: unmap_vmas + free_pgtables, then remove_vma, with no lock. */
function* exit_mmap__v5_4(k: Kctx, mm: mm_struct): KThread<void> {
  const victims = mm.mmap.splice(0, mm.mmap.length);
  for (const v of victims) yield* zap_page_range(k, v, v.vm_start, v.vm_end);
  for (const v of victims) yield* remove_vma(k, v);
}

/** exit_mmap after 64591e8605d6: the same steps under mmap_write_lock. */
function* exit_mmap__v5_18(k: Kctx, mm: mm_struct): KThread<void> {
  const site = 'mm/mmap.c:exit_mmap';
  yield* down_write(k, mm.mmap_lock, site);
  const victims = mm.mmap.splice(0, mm.mmap.length);
  for (const v of victims) yield* zap_page_range(k, v, v.vm_start, v.vm_end);
  for (const v of victims) yield* remove_vma(k, v);
  up_write(k, mm.mmap_lock, site);
}

/**
 * exit_mmap after bf3980c85212 (6.1.192, 6.12.117): unmap_vmas under mmap_read_lock;
 * then, MMF_OOM_SKIP set, mmap_write_lock for free_pgtables and remove_vma. The VMAs
 * stay in the tree until the write-locked part (readers between the two locks still
 * find them, with their page tables already zapped).
 */
function* exit_mmap__v6_0(k: Kctx, mm: mm_struct): KThread<void> {
  const site = 'mm/mmap.c:exit_mmap';
  yield* down_read(k, mm.mmap_lock, site);
  if (mm.mmap.length === 0) {
    // dup_mmap() failed before copying anything.
    up_read(k, mm.mmap_lock, site);
    // PATCH(exit-mmap-empty-write-lock): d24062914837 — `goto destroy` under the write lock.
    if (k.patch('exit-mmap-empty-write-lock')) {
      yield* down_write(k, mm.mmap_lock, site);
      up_write(k, mm.mmap_lock, site);
    }
    return;
  }
  for (const v of mm.mmap) yield* zap_page_range(k, v, v.vm_start, v.vm_end);
  up_read(k, mm.mmap_lock, site);
  yield* down_write(k, mm.mmap_lock, site);
  const victims = mm.mmap.splice(0, mm.mmap.length);
  for (const v of victims) yield* remove_vma(k, v);
  up_write(k, mm.mmap_lock, site);
}

/**
 * vma_needs_dirty_tracking(vma) (Debian 6.12.117 mm/mmap.c; used by GUP's
 * writable_file_mapping_allowed): a shared writable mapping whose vm_ops want write
 * notification (->page_mkwrite / ->pfn_mkwrite), or whose file's backing device
 * does writeback (mapping_can_writeback) and that is not VM_PFNMAP. In the model:
 * ext4 page-cache and fs-DAX files yes; tmpfs/memfd/shmem, hugetlbfs, device-DAX and
 * other character devices (no writeback bdi) no.
 */
export function vma_needs_dirty_tracking(vma: vm_area_struct): boolean {
  if ((vma.vm_flags & (VM_SHARED | VM_WRITE)) !== (VM_SHARED | VM_WRITE)) return false;
  if (vma.vm_ops && vma.vm_ops.page_mkwrite) return true;
  if (vma.vm_flags & VM_PFNMAP) return false;
  const f = vma.vm_file;
  if (!f) return false;
  // mapping_can_writeback(): only the block file system's mappings have a writeback bdi.
  return f.f_inode.i_sb.s_type.kind === 'ext4';
}
