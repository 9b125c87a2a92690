/**
 * mm/mremap.c: sys_mremap(), mremap_to(), vma_to_resize(), vma_expandable(), move_vma(),
 * move_page_tables() — read in v5.4.1, Debian 6.1.192 and Debian 6.12.117.
 *
 * What a pin sees: mremap moves page-table entries, not pages. A page moved to the new
 * address keeps its frame, its references and its pins, so a device (VFIO, iommufd) or an
 * io_uring fixed buffer that holds the frame keeps reaching it while the process now
 * reaches it at the new address; at the old address the process has nothing (fault:
 * SIGSEGV) or, with MREMAP_DONTUNMAP, an empty VMA that faults in new pages.
 *
 * Rules kept (all releases unless a patch is named):
 * - flags beyond MAYMOVE | FIXED (| DONTUNMAP from PATCH(mremap-dontunmap)) → -EINVAL;
 *   FIXED without MAYMOVE → -EINVAL; DONTUNMAP without MAYMOVE or with old_len ≠ new_len
 *   (compared before rounding) → -EINVAL; unaligned addr → -EINVAL; new_len 0 after
 *   rounding to pages → -EINVAL; mmap_lock for write, killable (-EINTR).
 * - PATCH(mremap-hugetlb) 550a7d60bd5e: the VMA at addr is looked up first (none: -EFAULT);
 *   before it a shrink does not look and returns addr whatever is mapped.
 * - FIXED / DONTUNMAP go through mremap_to(): unaligned new_addr, a range beyond
 *   TASK_SIZE or overlapping the old one → -EINVAL; FIXED unmaps [new_addr, +new_len)
 *   first; a shrink unmaps the tail first.
 * - Shrink in place: the tail is unmapped (mmap_lock downgraded for the zap); returns addr.
 * - vma_to_resize(): no VMA → -EFAULT; old_len 0 on a private VMA → -EINVAL; DONTUNMAP on a
 *   VM_DONTEXPAND / VM_PFNMAP VMA → -EINVAL (PATCH(mremap-dontunmap-all-mappings); as first
 *   merged: on anything but a private anonymous VMA); a range past the VMA's end → -EFAULT;
 *   growing a VM_DONTEXPAND / VM_PFNMAP VMA → -EFAULT; growing a VM_LOCKED VMA beyond
 *   RLIMIT_MEMLOCK without CAP_IPC_LOCK → -EAGAIN; 5.4: a hugetlb VMA → -EINVAL.
 * - Grow in place when the range ends at the VMA's end and the next pages are free; else
 *   move when MAYMOVE (to a free area, or new_addr with FIXED), else -ENOMEM.
 * - locked_vm: growing a VM_LOCKED VMA in place adds the new pages; a move unmaps the old
 *   range (do_munmap subtracts its pages) and adds new_len; both then populate the added
 *   part (mm_populate). DONTUNMAP clears VM_LOCKED on the old VMA and leaves locked_vm.
 *
 * MODEL: no VMA merging (a grown or moved VMA stays a VMA of its own); no RLIMIT_AS
 * (may_expand_vm) and no overcommit accounting (VM_ACCOUNT); no userfaultfd, no KSM,
 * no mseal (6.12's can_modify_vma is always true here); move_page_tables never runs out of
 * memory; 1 GiB leaves outside hugetlb VMAs and a move of part of a private hugetlb VMA are
 * `unsupported`.
 * - Hugetlb (PATCH(mremap-hugetlb), Debian 6.1.192 and 6.12.117 alike): both lengths are
 *   rounded up to the huge page size; addr or new_addr not aligned to it, or a growth →
 *   -EINVAL; then as above: a shrink unmaps whole huge pages of the tail, DONTUNMAP is refused
 *   (VM_DONTEXPAND), a FIXED move moves the leaves (move_hugetlb_page_tables): 2 MiB (PMD) or
 *   1 GiB (PUD) ones alike, the function being generic in huge_page_size(h).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import { get_file } from '../include/linux/fs.js';
import type { mm_struct, vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, PTRS_PER_PTE, TASK_SIZE } from '../include/linux/mm_types.js';
import {
  VM_DONTEXPAND, VM_LOCKED, VM_LOCKED_MASK, VM_MAYSHARE, VM_PFNMAP, VM_SHARED, find_vma, is_vm_hugetlb_page, pte_at, set_pmd_at, set_pte_at, set_pud_at,
  vma_is_anonymous, vma_lookup,
} from '../include/linux/mm.js';
import { get_current } from '../include/linux/sched.js';
import { MAP_FIXED, MAP_SHARED } from '../include/uapi/asm-generic/mman.js';
import { MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE } from '../include/uapi/linux/mman.js';
import { EAGAIN, EFAULT, EINTR, EINVAL, ENOMEM } from '../include/uapi/linux/errno.js';
import { down_write_killable, up_read, up_write } from '../kernel/locking/rwsem.js';
import { cond_resched, race_window } from '../kernel/sched.js';
import { IS_ERR_VALUE, __split_vma, do_munmap, get_unmapped_area, mlock_future_check, sysctl_max_map_count, vma_link } from './mmap.js';
import { __split_huge_pmd } from './huge_memory.js';
import { mm_populate } from './gup.js';

function PAGE_ALIGN(x: number): number {
  return Math.ceil(x / PAGE_SIZE) * PAGE_SIZE;
}

/** The outcome of a move: the new address or -errno, and whether VM_LOCKED pages were added. */
interface MoveResult {
  readonly ret: number;
  readonly locked: boolean;
}

/** SYSCALL_DEFINE5(mremap, addr, old_len, new_len, flags, new_addr): the new address or -errno. */
export function* sys_mremap(k: Kctx, addr: number, old_len: number, new_len: number, flags: number, new_addr: number): KThread<number> {
  // PATCH(mremap-dontunmap): e346b3813067 adds the flag.
  const known = MREMAP_FIXED | MREMAP_MAYMOVE | (k.patch('mremap-dontunmap') ? MREMAP_DONTUNMAP : 0);
  if (flags & ~known) return -EINVAL;
  if (flags & MREMAP_FIXED && !(flags & MREMAP_MAYMOVE)) return -EINVAL;
  if (flags & MREMAP_DONTUNMAP && (!(flags & MREMAP_MAYMOVE) || old_len !== new_len)) return -EINVAL;
  if (addr % PAGE_SIZE) return -EINVAL;
  old_len = PAGE_ALIGN(old_len);
  new_len = PAGE_ALIGN(new_len);
  if (!new_len) return -EINVAL;
  const mm = get_current(k).mm as mm_struct;
  const site = 'mm/mremap.c:sys_mremap';
  if (yield* down_write_killable(k, mm.mmap_lock, site)) return -EINTR;
  let ret = -EINVAL;
  let locked = false;
  let downgraded = false;
  out: {
    // PATCH(mremap-hugetlb): 550a7d60bd5e looks the VMA up before anything else.
    if (k.patch('mremap-hugetlb')) {
      const vma = vma_lookup(mm, addr);
      if (!vma) {
        ret = -EFAULT;
        break out;
      }
      if (is_vm_hugetlb_page(vma)) {
        // Lengths rounded up to the huge page size; addr and new_addr aligned to it; no growth.
        const sz = huge_page_size_of(vma);
        old_len = Math.ceil(old_len / sz) * sz;
        new_len = Math.ceil(new_len / sz) * sz;
        if (addr % sz || new_addr % sz) break out;
        if (new_len > old_len) break out;
      }
    }
    if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
      const r = yield* mremap_to(k, mm, addr, old_len, new_addr, new_len, flags);
      ret = r.ret;
      locked = r.locked;
      if (!IS_ERR_VALUE(ret)) new_addr = ret;
      break out;
    }
    // A shrink (or same size) just unmaps the tail.
    if (old_len >= new_len) {
      if (old_len !== new_len) {
        const r = yield* do_munmap(k, mm, addr + new_len, old_len - new_len, true);
        if (r === 1) downgraded = true;
        else if (r < 0) {
          ret = r;
          break out;
        }
      }
      ret = addr;
      break out;
    }
    const vma = vma_to_resize(k, mm, addr, old_len, new_len, flags);
    if (typeof vma === 'number') {
      ret = vma;
      break out;
    }
    if (old_len === vma.vm_end - addr && vma_expandable(mm, vma, new_len - old_len)) {
      const pages = (new_len - old_len) / PAGE_SIZE;
      // MODEL: vma_merge / vma_adjust / vma_merge_extend reduced to moving vm_end.
      vma.vm_end = addr + new_len;
      k.m.event(k.tid, 'vma-expand', [`vma:${vma.id}`, `mm:${mm.id}`], 'mm/mremap.c:sys_mremap', { start: vma.vm_start, end: vma.vm_end });
      mm.total_vm += pages;
      if (vma.vm_flags & VM_LOCKED) {
        mm.locked_vm += pages;
        locked = true;
        new_addr = addr;
      }
      ret = addr;
      break out;
    }
    ret = -ENOMEM;
    if (flags & MREMAP_MAYMOVE) {
      const map_flags = vma.vm_flags & VM_MAYSHARE ? MAP_SHARED : 0;
      new_addr = get_unmapped_area(k, vma.vm_file, 0, new_len, vma.vm_pgoff + (addr - vma.vm_start) / PAGE_SIZE, map_flags);
      if (IS_ERR_VALUE(new_addr)) {
        ret = new_addr;
        break out;
      }
      const r = yield* move_vma(k, mm, vma, addr, old_len, new_len, new_addr, flags);
      ret = r.ret;
      locked = r.locked;
    }
  }
  if (IS_ERR_VALUE(ret)) locked = false;
  if (downgraded) up_read(k, mm.mmap_lock, site);
  else up_write(k, mm.mmap_lock, site);
  if (locked && new_len > old_len) yield* mm_populate(k, new_addr + old_len, new_len - old_len);
  return ret;
}

/** mremap_to(): MREMAP_FIXED / MREMAP_DONTUNMAP. Caller holds mmap_lock for write. */
function* mremap_to(k: Kctx, mm: mm_struct, addr: number, old_len: number, new_addr: number, new_len: number, flags: number): KThread<MoveResult> {
  const fail = (ret: number): MoveResult => ({ ret, locked: false });
  if (new_addr % PAGE_SIZE) return fail(-EINVAL);
  if (new_len > TASK_SIZE || new_addr > TASK_SIZE - new_len) return fail(-EINVAL);
  // The old and new ranges must not overlap.
  if (addr + old_len > new_addr && new_addr + new_len > addr) return fail(-EINVAL);
  // Room for splitting both ranges in three.
  if (mm.mmap.length + 2 >= sysctl_max_map_count - 3) return fail(-ENOMEM);
  if (flags & MREMAP_FIXED) {
    const r = yield* do_munmap(k, mm, new_addr, new_len, false);
    if (r) return fail(r);
  }
  if (old_len > new_len) {
    const r = yield* do_munmap(k, mm, addr + new_len, old_len - new_len, false);
    if (r) return fail(r);
    old_len = new_len;
  }
  const vma = vma_to_resize(k, mm, addr, old_len, new_len, flags);
  if (typeof vma === 'number') return fail(vma);
  let map_flags = flags & MREMAP_FIXED ? MAP_FIXED : 0;
  if (vma.vm_flags & VM_MAYSHARE) map_flags |= MAP_SHARED;
  const a = get_unmapped_area(k, vma.vm_file, new_addr, new_len, vma.vm_pgoff + (addr - vma.vm_start) / PAGE_SIZE, map_flags);
  if (IS_ERR_VALUE(a)) return fail(a);
  if (!(flags & MREMAP_FIXED)) new_addr = a;
  return yield* move_vma(k, mm, vma, addr, old_len, new_len, new_addr, flags);
}

/** vma_to_resize(addr, old_len, new_len, flags): the VMA to grow or move, or -errno. */
function vma_to_resize(k: Kctx, mm: mm_struct, addr: number, old_len: number, new_len: number, flags: number): vm_area_struct | number {
  const vma = vma_lookup(mm, addr);
  if (!vma) return -EFAULT;
  // Duplicating a private mapping (old_len 0) is refused.
  if (!old_len && !(vma.vm_flags & (VM_SHARED | VM_MAYSHARE))) return -EINVAL;
  if (flags & MREMAP_DONTUNMAP) {
    // PATCH(mremap-dontunmap-all-mappings): a4609387859f — only VM_DONTEXPAND / VM_PFNMAP are refused;
    // as first merged (e346b3813067) anything but a private anonymous VMA was.
    const refused = k.patch('mremap-dontunmap-all-mappings')
      ? (vma.vm_flags & (VM_DONTEXPAND | VM_PFNMAP)) !== 0
      : !vma_is_anonymous(vma) || (vma.vm_flags & VM_SHARED) !== 0;
    if (refused) return -EINVAL;
  }
  // PATCH(mremap-hugetlb): before 550a7d60bd5e a hugetlb VMA cannot be remapped at all.
  if (!k.patch('mremap-hugetlb') && is_vm_hugetlb_page(vma)) return -EINVAL;
  if (old_len > vma.vm_end - addr) return -EFAULT;
  if (new_len === old_len) return vma;
  if (vma.vm_flags & (VM_DONTEXPAND | VM_PFNMAP)) return -EFAULT;
  if (mlock_future_check(k, mm, vma.vm_flags, new_len - old_len)) return -EAGAIN;
  return vma;
}

/** vma_expandable(vma, delta): the pages after the VMA are free and below TASK_SIZE. */
function vma_expandable(mm: mm_struct, vma: vm_area_struct, delta: number): boolean {
  const end = vma.vm_end + delta;
  const next = find_vma(mm, vma.vm_end);
  if (next && next.vm_start < end) return false;
  // get_unmapped_area(NULL, vm_start, end - vm_start, 0, MAP_FIXED) fails only above TASK_SIZE.
  return end <= TASK_SIZE;
}

/**
 * move_vma(vma, old_addr, old_len, new_len, new_addr, flags): a copy of the VMA at
 * new_addr (copy_vma), the page tables moved into it, then the old range unmapped
 * (or, with MREMAP_DONTUNMAP, left as an empty VMA). Caller holds mmap_lock for write.
 */
function* move_vma(k: Kctx, mm: mm_struct, vma: vm_area_struct, old_addr: number, old_len: number, new_len: number, new_addr: number, flags: number): KThread<MoveResult> {
  if (mm.mmap.length >= sysctl_max_map_count - 3) return { ret: -ENOMEM, locked: false };
  const split_before = vma.vm_start !== old_addr;
  const split_after = vma.vm_end !== old_addr + old_len;
  // A private hugetlb VMA's reservations move with it: clear_vma_resv_huge_pages() drops the old
  // VMA's reference to the reservation map, so its unmap returns nothing to the pool (the model
  // keeps reservations per file, which both VMAs share: the same outcome). Moving only a part
  // leaves the rest of the old VMA without any reservation map, which a per-file count cannot say.
  if (is_vm_hugetlb_page(vma) && !(vma.vm_flags & VM_MAYSHARE) && (split_before || split_after)) {
    return { ret: unsupported(k, 'mm/mremap.c:move_vma', 'moving part of a private hugetlb VMA (the part left behind loses its reservation map) is not modelled'), locked: false };
  }
  if (vma.vm_ops && vma.vm_ops.may_split) {
    let err = split_before ? vma.vm_ops.may_split(vma, old_addr) : 0;
    if (!err && split_after) err = vma.vm_ops.may_split(vma, old_addr + old_len);
    if (err) return { ret: err, locked: false };
  }
  // DONTUNMAP of an mlock()ed VMA: split first so that only the moved part loses VM_LOCKED.
  if (flags & MREMAP_DONTUNMAP && vma.vm_flags & VM_LOCKED) {
    let err = split_before ? __split_vma(k, mm, vma, old_addr, true) : 0;
    if (!err && split_after) err = __split_vma(k, mm, vma, old_addr + old_len, false);
    if (err) return { ret: err, locked: false };
  }
  // A 1 GiB hugetlb VMA's leaves move in move_hugetlb_page_tables; elsewhere a PUD leaf (device DAX) is not modelled.
  if (!is_vm_hugetlb_page(vma)) {
    for (const key of mm.pgd.pud.keys()) {
      const a = key * PUD_SIZE;
      if (a < old_addr + old_len && a + PUD_SIZE > old_addr) return { ret: unsupported(k, 'mm/mremap.c:move_page_tables', 'moving a 1 GiB leaf is not modelled'), locked: false };
    }
  }
  const vm_flags = vma.vm_flags;
  const new_vma = copy_vma(k, mm, vma, new_addr, new_len, vma.vm_pgoff + (old_addr - vma.vm_start) / PAGE_SIZE);
  if (is_vm_hugetlb_page(vma)) yield* move_hugetlb_page_tables(k, vma, new_vma, old_addr, new_addr, old_len);
  else yield* move_page_tables(k, vma, old_addr, new_vma, new_addr, old_len);
  mm.total_vm += new_len / PAGE_SIZE;
  if (flags & MREMAP_DONTUNMAP) {
    // The old VMA stays, empty: it loses VM_LOCKED[ONFAULT] and, when it is exactly the
    // moved range, its anon_vma (its next fault starts a new one).
    const old = find_vma(mm, old_addr) as vm_area_struct;
    old.vm_flags &= ~VM_LOCKED_MASK;
    if (old.vm_start === old_addr && old.vm_end === old_addr + old_len) {
      old.anon_vma = null;
      if (vma_is_anonymous(old) && !old.vm_file) old.vm_pgoff = old.vm_start / PAGE_SIZE;
    }
    return { ret: new_addr, locked: false };
  }
  // do_munmap failing (no memory to split) is only accounted for by the kernel; the model's cannot fail here.
  yield* do_munmap(k, mm, old_addr, old_len, false);
  if (vm_flags & VM_LOCKED) {
    mm.locked_vm += new_len / PAGE_SIZE;
    return { ret: new_addr, locked: true };
  }
  return { ret: new_addr, locked: false };
}

/** copy_vma(): a VMA for [addr, addr+len) with vma's flags, file and anon_vma, linked into mm. */
function copy_vma(k: Kctx, mm: mm_struct, vma: vm_area_struct, addr: number, len: number, pgoff: number): vm_area_struct {
  const nv: vm_area_struct = { ...vma, id: k.m.nextId('vma'), vm_start: addr, vm_end: addr + len, vm_pgoff: pgoff, vm_freed: false };
  if (nv.vm_file) get_file(nv.vm_file);
  if (nv.vm_ops && nv.vm_ops.open) nv.vm_ops.open(nv);
  vma_link(mm, nv);
  k.m.event(k.tid, 'vma-new', [`vma:${nv.id}`, `mm:${mm.id}`], 'mm/mremap.c:copy_vma', { start: nv.vm_start, end: nv.vm_end });
  return nv;
}

/** huge_page_size(hstate_vma(vma)) of a hugetlb VMA: its hugetlbfs mount's page size. */
function huge_page_size_of(vma: vm_area_struct): number {
  const f = vma.vm_file;
  return f === null ? PMD_SIZE : 2 ** (12 + f.f_inode.i_sb.huge_order);
}

/**
 * mm/hugetlb.c move_hugetlb_page_tables(vma, new_vma, old_addr, new_addr, len) (Debian 6.1.192,
 * 6.12.117; from 550a7d60bd5e): each present 2 MiB leaf of the range moves to the new address
 * (move_huge_pte), keeping its folio, references and pins. Returns the bytes moved.
 * Locking: the caller holds mmap_lock for write (no fault or slow GUP of this mm); the function
 * takes the hugetlb VMA lock and the file's i_mmap_rwsem for write (no truncate or hole punch of
 * the file) around the whole loop, and each leaf moves under its own huge_pte_lock (dst, then
 * src). None of these excludes the lockless readers of this mm's page tables: gup-fast and a
 * user-space access by another thread of the process (the MMU walk). They can see the first
 * leaves already at the new address and the later ones still at the old one, so each leaf is a
 * step of its own (`move_huge_pte:huge_pte_lock`), before every present leaf after the first.
 * MODEL (speed only): a thread alone (Sched.alone) moves the leaves in one step — no one can
 * look at the half-moved range. No PMD sharing (huge_pmd_unshare never applies).
 */
function* move_hugetlb_page_tables(k: Kctx, vma: vm_area_struct, new_vma: vm_area_struct, old_addr: number, new_addr: number, len: number): KThread<number> {
  const mm = vma.vm_mm;
  const alone = k.s.alone(k.tid);
  // huge_page_size(h): a 2 MiB leaf is a PMD entry, a 1 GiB one a PUD entry.
  const sz = huge_page_size_of(vma);
  const level = sz === PUD_SIZE ? mm.pgd.pud : mm.pgd.pmd;
  const set_at = sz === PUD_SIZE ? set_pud_at : set_pmd_at;
  let moved = 0;
  for (let off = 0; off < len; off += sz) {
    const entry = level.get(Math.floor((old_addr + off) / sz));
    if (typeof entry !== 'number' || entry === 0) continue;
    if (moved > 0 && !alone) yield* race_window(k, 'mm/hugetlb.c:move_huge_pte:huge_pte_lock', `${old_addr + off}`);
    set_at(mm, old_addr + off, 0);
    set_at(mm, new_addr + off, entry);
    moved++;
  }
  k.m.event(k.tid, 'hugetlb-move', [`vma:${vma.id}`, `vma:${new_vma.id}`, `mm:${mm.id}`], 'mm/hugetlb.c:move_hugetlb_page_tables', { from: old_addr, to: new_addr, len });
  return len;
}

/**
 * move_page_tables(vma, old_addr, new_vma, new_addr, len): move every entry of
 * [old_addr, +len) to the same offset from new_addr, one PMD extent at a time
 * (cond_resched between extents). A 2 MiB leaf moves whole when the extent is a whole
 * aligned PMD on both sides (move_huge_pmd), else it is split first and its PTEs move
 * (move_ptes). The PTE values — frame, write and dirty bits — move unchanged: no
 * reference, mapcount or pin changes. Returns the bytes moved.
 * Locking: mmap_lock for write; a huge PMD or a whole PTE table moves in one step under
 * its PMD / PTE locks (and the rmap locks when the kernel takes them), which exclude faults,
 * GUP's walk, truncate's and migration's rmap walks; the PTEs of a partial table move one
 * step each when another thread lives (below: the lockless readers see each move). gup-fast
 * may find the old entry gone and the new one not there yet, and then falls back to the
 * slow path, which waits for mmap_lock. Same granularity as the kernel: Debian 6.1.192 and
 * 6.12.117 move_page_tables (cond_resched per extent; move_pgt_entry HPAGE_PMD / NORMAL_PMD
 * one entry; move_ptes one PTE at a time under both PTE locks).
 * MODEL: the rmap walks that the PTE locks exclude in the kernel (migration, truncate's
 * zap) are single steps here and may run between two PTE moves; each moves or zaps what
 * it finds, so they end where they would before or after the whole table.
 * The caller has checked that no 1 GiB leaf is in the range.
 */
function* move_page_tables(k: Kctx, vma: vm_area_struct, old_addr: number, new_vma: vm_area_struct, new_addr: number, len: number): KThread<number> {
  const mm = vma.vm_mm;
  const old_end = old_addr + len;
  const alone = k.s.alone(k.tid);
  let old = old_addr;
  let nw = new_addr;
  while (old < old_end) {
    if (old > old_addr) yield* cond_resched(k, 'mm/mremap.c:move_page_tables', `0x${old.toString(16)}`);
    const extent = Math.min(PMD_SIZE - (old % PMD_SIZE), PMD_SIZE - (nw % PMD_SIZE), old_end - old);
    const key = Math.floor(old / PMD_SIZE);
    const entry = mm.pgd.pmd.get(key);
    if (typeof entry === 'number') {
      if (extent === PMD_SIZE) {
        // move_huge_pmd()
        set_pmd_at(mm, old, 0);
        set_pmd_at(mm, nw, entry);
        old += extent;
        nw += extent;
        continue;
      }
      __split_huge_pmd(k, vma, key * PMD_SIZE);
    }
    if (mm.pgd.pmd.has(key)) {
      // move_normal_pmd() (CONFIG_HAVE_MOVE_PMD, x86): a whole aligned PTE table whose destination
      // PMD is empty moves as one PMD entry, in one step. MODEL: the model frees a PTE table
      // when its last entry goes, so "empty" here is "no present entry" (the kernel keeps an
      // emptied table until free_pgtables and then falls back to move_ptes).
      const whole = extent === PMD_SIZE && !mm.pgd.pmd.has(Math.floor(nw / PMD_SIZE));
      // move_ptes(): entry by entry under the old and new PTE locks (with mmap_lock for write
      // they exclude faults, GUP's walk and the rmap walks; the lockless gup-fast and the MMU
      // of another thread of the process are not excluded and can find the first entries at
      // the new address and the later ones still at the old one): a step per present entry
      // after the first, when another thread lives.
      let moved = 0;
      for (let i = 0; i < extent / PAGE_SIZE && i < PTRS_PER_PTE; i++) {
        const e = pte_at(mm, old + i * PAGE_SIZE);
        if (e === 0) continue;
        if (moved > 0 && !whole && !alone) yield* race_window(k, 'mm/mremap.c:move_ptes:ptl', `${old + i * PAGE_SIZE}`);
        set_pte_at(mm, old + i * PAGE_SIZE, 0);
        set_pte_at(mm, nw + i * PAGE_SIZE, e);
        moved++;
      }
    }
    old += extent;
    nw += extent;
  }
  void new_vma;
  return len;
}
