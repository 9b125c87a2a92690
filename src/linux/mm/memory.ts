/**
 * mm/memory.c: the page-fault handler (handle_mm_fault and its PTE-level paths),
 * copy-on-write (do_wp_page, wp_page_copy, wp_page_reuse), vm_normal_page(), and
 * zapping (zap_page_range / unmap_page_range) — v5.4.1, v5.6.4, Debian 6.1.192,
 * Debian 6.12.117.
 *
 * Locking contract (all releases): the caller of handle_mm_fault() holds mmap_lock,
 * shared or exclusive. It returns with the lock still held, except when the result
 * has VM_FAULT_RETRY (or v5.17+ VM_FAULT_COMPLETED), in which case the handler
 * (here: filemap_fault's I/O wait) has dropped it — only possible when the caller
 * passed FAULT_FLAG_ALLOW_RETRY without FAULT_FLAG_RETRY_NOWAIT.
 *
 * Release differences encoded here:
 * - reuse of an anon page on a write fault (do_wp_page):
 *   v5.4/v5.6: reuse when mapped once (reuse_swap_page: mapcount ≤ 1), whatever
 *   other references (GUP) exist; PATCH(wp-reuse-refcount) 09854ba94c6a (v5.9):
 *   reuse only when page_count == 1; PATCH(anon-exclusive) 6c287605fd56 (v5.19):
 *   an exclusive page is always reused, a shared one only with refcount 1 (and then
 *   becomes exclusive); FAULT_FLAG_UNSHARE faults copy a shared anon page without
 *   making it writable. v6.12 (wp_can_reuse_anon_folio) never reuses a large folio:
 *   the model has no PTE-mapped large anon folios yet, so this does not arise.
 * - VM_FAULT_WRITE is returned after COW / reuse until PATCH(vm-fault-write-removed)
 *   cb8d86331343 (v6.2).
 *
 * Anonymous THP (PMD leaves, the huge zero page) lives in mm/huge_memory.ts.
 * MODEL: no swap, no userfaultfd, no NUMA, no page-table locks (PTE updates are
 * atomic with respect to other threads because threads interleave only at named
 * points), no TLB (a zapped PTE is gone immediately; the batched page freeing of
 * the mmu_gather happens at once).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { WARN_ON_ONCE, unsupported } from '../include/linux/bug.js';
import { GFP_HIGHUSER_MOVABLE } from '../include/linux/gfp.js';
import type { mm_struct, pte_t, pte_table, vm_area_struct, vm_fault } from '../include/linux/mm_types.js';
import type { address_space } from '../include/linux/fs.js';
import {
  PAGE_SIZE, PMD_SIZE, PUD_SIZE, PTRS_PER_PTE, PG_lru, PG_uptodate, _PAGE_PRESENT, _PAGE_RW, _PAGE_SPECIAL, _PAGE_USER,
  mk_pte, pmd_leaf, pte_devmap, pte_dirty, pte_mkclean, pte_mkdirty, pte_mkwrite, pte_mkyoung, pte_pfn, pte_present, pte_special,
  pte_write, pte_wrprotect, _PAGE_ACCESSED, log_key,
} from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_MKWRITE, FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, VM_NOHUGEPAGE, PageAnon, PageAnonExclusive, VM_FAULT_ERROR, VM_FAULT_DONE_COW, VM_FAULT_NOPAGE,
  VM_FAULT_OOM, VM_FAULT_RETRY, VM_FAULT_SIGBUS, VM_FAULT_WRITE, VM_FAULT_FALLBACK, VM_IO, VM_DONTEXPAND, VM_DONTDUMP, VM_MIXEDMAP, VM_PFNMAP, VM_SHARED, VM_WRITE, VM_READ, VM_EXEC,
  copy_page_content, set_page_content, folio_mapcount, is_vm_hugetlb_page, is_zero_pfn, page_count, page_label, page_mapcount, pt_walk,
  put_page, set_pte_at, SetPageDirty, vma_is_anonymous, get_page, ClearPageAnonExclusive, VM_HUGETLB, is_cow_mapping,
  SetPageAnonExclusive, VM_MAYSHARE,
  page_maybe_dma_pinned, pte_at, set_pmd_at, set_pud_at,
} from '../include/linux/mm.js';
import { cond_resched, race_window } from '../kernel/sched.js';
import { copy_hugetlb_page_range, hugetlb_fault, unmap_hugepage_range } from './hugetlb.js';
import {
  __split_huge_pmd, copy_huge_pmd, do_huge_pmd_anonymous_page, do_huge_pmd_wp_page, is_huge_zero_pmd, thp_vma_suitable, zap_huge_pmd,
} from './huge_memory.js';
import { EFAULT, EHWPOISON, EINVAL, ENOMEM } from '../include/uapi/linux/errno.js';
import { alloc_pages } from './page_alloc.js';
import { should_fail } from '../include/linux/fault_inject.js';
import {
  anon_vma_prepare, linear_page_index, page_add_anon_rmap, page_add_file_rmap, page_add_new_anon_rmap, page_move_anon_rmap, page_remove_rmap,
} from './rmap.js';

/** pte_mkold(pte): clear the accessed bit. */
function pte_mkold(pte: pte_t): pte_t {
  return pte_flags_has(pte, _PAGE_ACCESSED) ? pte - _PAGE_ACCESSED : pte;
}

function pte_flags_has(pte: pte_t, bit: number): boolean {
  return (pte % 4096 & bit) !== 0;
}

/**
 * vm_get_page_prot / vma->vm_page_prot for the x86 protection_map: user, present;
 * writable only for shared writable mappings that do not want write notification
 * (no ->page_mkwrite). Private mappings start read-only (COW).
 */
export function vma_page_prot(vma: vm_area_struct): number {
  // PAGE_NONE for a PROT_NONE VMA (a FOLL_FORCE fault there): present to the model, not to user space (mm/mprotect.ts).
  if ((vma.vm_flags & (VM_READ | VM_WRITE | VM_EXEC)) === 0) return _PAGE_PRESENT;
  let f = _PAGE_PRESENT | _PAGE_USER;
  if ((vma.vm_flags & (VM_SHARED | VM_WRITE)) === (VM_SHARED | VM_WRITE) && !vma_wants_writenotify(vma)) f |= _PAGE_RW;
  return f;
}

/** vma_wants_writenotify(vma): shared writable with ->page_mkwrite (dirty tracking). */
export function vma_wants_writenotify(vma: vm_area_struct): boolean {
  return (vma.vm_flags & (VM_SHARED | VM_WRITE)) === (VM_SHARED | VM_WRITE) && vma.vm_ops !== null && vma.vm_ops.page_mkwrite !== undefined;
}

/** maybe_mkwrite(pte, vma): writable only if the VMA is (a FOLL_FORCE COW leaves it read-only). */
export function maybe_mkwrite(pte: pte_t, vma: vm_area_struct): pte_t {
  return vma.vm_flags & VM_WRITE ? pte_mkwrite(pte) : pte;
}

/**
 * vm_normal_page(vma, addr, pte): the struct page behind a PTE, or null for special
 * mappings — the zero page, PFNMAP/MIXEDMAP pfns and (x86 marks devmap PTEs
 * special) DAX pages.
 */
export function vm_normal_page(k: Kctx, vma: vm_area_struct, addr: number, pte: pte_t): number | null {
  void k;
  void addr;
  const pfn = pte_pfn(pte);
  if (pte_special(pte) || pte_devmap(pte)) return null;
  if (vma.vm_flags & (VM_PFNMAP | VM_MIXEDMAP)) return null;
  if (is_zero_pfn(k.m, pfn)) return null;
  return pfn;
}

/**
 * vmf_insert_page_mkwrite(vmf, page, write) (6.18.26 mm/memory.c insert_page /
 * insert_page_into_pte_locked; the DAX faults' insert from v6.15): an empty PTE gets a plain
 * entry (neither special nor devmap) that takes a folio reference and a file map count, young,
 * dirty and writable (if VM_WRITE) for a write. A present PTE: without write nothing changes
 * (-EBUSY: VM_FAULT_NOPAGE); with write the same pfn is made writable and young, another pfn
 * WARNs and fails (-EFAULT: VM_FAULT_SIGBUS). The caller holds the fault's locks; the PTE lock
 * makes it one step.
 */
export function vmf_insert_page_mkwrite(k: Kctx, vmf: vm_fault, page: number, write: boolean): vm_fault_t {
  const vma = vmf.vma;
  const mm = vma.vm_mm;
  const cur = pte_at(mm, vmf.address);
  if (cur !== 0) {
    if (!write) return VM_FAULT_NOPAGE;
    if (pte_pfn(cur) !== page) {
      WARN_ON_ONCE(k, !is_zero_pfn(k.m, pte_pfn(cur)), 'mm/memory.c:insert_page_into_pte_locked', 'another pfn is mapped here');
      return VM_FAULT_SIGBUS;
    }
    set_pte_at(mm, vmf.address, pte_mkyoung(maybe_mkwrite(cur, vma)));
    return VM_FAULT_NOPAGE;
  }
  get_page(k.m, page);
  page_add_file_rmap(k, page, vma, false);
  let e = mk_pte(page, vma_page_prot(vma));
  if (write) e = maybe_mkwrite(pte_mkdirty(pte_mkyoung(e)), vma);
  set_pte_at(mm, vmf.address, e);
  return VM_FAULT_NOPAGE;
}

/** vm_fault_to_errno(vm_fault, foll_flags) (include/linux/mm.h). */
export function vm_fault_to_errno(vm_fault: vm_fault_t, foll_flags: number): number {
  const FOLL_HWPOISON = 0x100;
  if (vm_fault & VM_FAULT_OOM) return -ENOMEM;
  if (vm_fault & (0x10 | 0x20)) return foll_flags & FOLL_HWPOISON ? -EHWPOISON : -EFAULT;
  if (vm_fault & (VM_FAULT_SIGBUS | 0x40)) return -EFAULT;
  return 0;
}

/** The VM_FAULT_WRITE bit on releases that still have it. */
function fault_write(k: Kctx): vm_fault_t {
  // PATCH(vm-fault-write-removed): cb8d86331343 — no VM_FAULT_WRITE from v6.2.
  return k.patch('vm-fault-write-removed') ? 0 : VM_FAULT_WRITE;
}

/**
 * handle_mm_fault(vma, address, flags) — see the locking contract at the top.
 * MODEL: a fault on a VMA already freed by munmap is recorded as a `stale-vma-use`
 * event (the checker's no-stale-vma-use invariant reads it) and proceeds as the
 * kernel would on the stale structure.
 */
export function* handle_mm_fault(k: Kctx, vma: vm_area_struct, address: number, flags: number): KThread<vm_fault_t> {
  const quick = anon_pte_fault_quick(k, vma, address, flags);
  if (quick !== null) return quick;
  if (vma.vm_freed) k.m.event(k.tid, 'stale-vma-use', [`vma:${vma.id}`], 'mm/memory.c:handle_mm_fault');
  if (is_vm_hugetlb_page(vma)) return yield* hugetlb_fault(k, vma, address, flags);
  return yield* __handle_mm_fault(k, vma, address, flags);
}

/**
 * MODEL (speed only): handle_mm_fault() of a first touch of private anonymous memory whose
 * PTE table already exists, as a plain function (no generator frames), or null when the
 * fault is not that case. For a live, non-hugetlb, anonymous VMA whose PTE at `address` is
 * none under an existing PTE table, the generator path goes straight through
 * __handle_mm_fault (no huge leaf; create_huge_pmd is tried only where no PTE table
 * exists; ->huge_fault only for non-anonymous VMAs) and handle_pte_fault to
 * do_anonymous_page() without a scheduling point, so calling do_anonymous_page() here
 * does the same. mm/gup_speed.ts uses it for runs of faults in a lone thread. The reference
 * atomicity (Machine.atomicity 'fine') never takes it, so the soundness tests and
 * tests/unit/linux/mm/gup-speed.test.ts compare it with the generator path.
 */
export function anon_pte_fault_quick(k: Kctx, vma: vm_area_struct, address: number, flags: number): vm_fault_t | null {
  if (vma.vm_freed || vma.vm_ops !== null || vma.vm_flags & VM_HUGETLB || k.m.atomicity === 'fine') return null;
  const addr = Math.floor(address / PAGE_SIZE) * PAGE_SIZE;
  const t = vma.vm_mm.pgd.pmd.get(Math.floor(addr / PMD_SIZE));
  if (t === undefined || typeof t === 'number' || vma.vm_mm.pgd.pud.has(Math.floor(addr / PUD_SIZE))) return null;
  if (t.pte[Math.floor(addr / PAGE_SIZE) % PTRS_PER_PTE] !== 0) return null;
  return do_anonymous_page(k, { vma, address: addr, pgoff: linear_page_index(vma, addr), flags, orig_pte: 0, page: null, cow_page: null });
}

function* __handle_mm_fault(k: Kctx, vma: vm_area_struct, address: number, flags: number): KThread<vm_fault_t> {
  const addr = Math.floor(address / PAGE_SIZE) * PAGE_SIZE;
  const w = pt_walk(vma.vm_mm, addr);
  if (w.level !== 'pte' && w.entry !== 0) {
    if (!pte_devmap(w.entry) && !vma_is_anonymous(vma)) {
      // wp_huge_pmd() on a non-anonymous VMA: the only such non-devmap leaf in the model is
      // the huge zero PMD dax_pmd_load_hole maps over a 2 MiB hole of an fs-DAX file. A
      // shared mapping asks ->huge_fault first (6.x: VM_SHARED only; 5.4.1 asks for private
      // ones too, and the DAX handler falls back for a private write); otherwise, or on
      // fallback, the PMD is split (for DAX: zapped) and the fault goes on at PTE level.
      if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE) && !pte_write(w.entry)) {
        const haddr = Math.floor(addr / PMD_SIZE) * PMD_SIZE;
        if (vma.vm_flags & VM_SHARED && vma.vm_ops && vma.vm_ops.huge_fault) {
          const hret = yield* vma.vm_ops.huge_fault(k, { vma, address: addr, pgoff: linear_page_index(vma, addr), flags, orig_pte: w.entry, page: null, cow_page: null }, 9);
          if (!(hret & VM_FAULT_FALLBACK)) return hret;
        }
        __split_huge_pmd(k, vma, haddr);
        return yield* handle_pte_fault(k, { vma, address: addr, pgoff: linear_page_index(vma, addr), flags, orig_pte: pte_at(vma.vm_mm, addr), page: null, cow_page: null });
      }
      return 0;
    }
    if (!pte_devmap(w.entry)) {
      // An anonymous THP leaf: write / unshare faults on a read-only leaf.
      if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE) && !pte_write(w.entry)) {
        const r = do_huge_pmd_wp_page(k, vma, Math.floor(addr / PMD_SIZE) * PMD_SIZE, w.entry, flags);
        if (!(r & VM_FAULT_FALLBACK)) return r;
        // Split: retry on the PTE.
        const pte = pte_at(vma.vm_mm, addr);
        return yield* handle_pte_fault(k, { vma, address: addr, pgoff: linear_page_index(vma, addr), flags, orig_pte: pte, page: null, cow_page: null });
      }
      return 0;
    }
    // wp_huge_pmd(): a shared writable DAX leaf is made writable (through ->huge_fault in
    // the kernel, which re-inserts the same pfn with write); otherwise nothing to do.
    if (flags & FAULT_FLAG_WRITE && !pte_write(w.entry)) {
      if (!(vma.vm_flags & VM_SHARED) && w.level === 'pmd') {
        // A private write (COW) on a read-only fs-DAX PMD (5.4.1 .. 6.12.117): ->huge_fault
        // (dax_iomap_pmd_fault) falls back for a private write and splits the PMD, which for
        // DAX zaps it; the fault goes on at PTE level (do_cow_fault).
        const haddr = Math.floor(addr / PMD_SIZE) * PMD_SIZE;
        __split_huge_pmd(k, vma, haddr);
        return yield* handle_pte_fault(k, { vma, address: addr, pgoff: linear_page_index(vma, addr), flags, orig_pte: 0, page: null, cow_page: null });
      }
      if (!(vma.vm_flags & VM_SHARED) || !(vma.vm_flags & VM_WRITE)) return VM_FAULT_SIGBUS;
      const size = w.level === 'pmd' ? PMD_SIZE : 2 ** 30;
      const e = pte_mkdirty(pte_mkwrite(w.entry));
      if (w.level === 'pmd') set_pmd_at(vma.vm_mm, Math.floor(addr / size) * size, e);
      else set_pud_at(vma.vm_mm, Math.floor(addr / size) * size, e);
    }
    return 0;
  }
  const vmf: vm_fault = { vma, address: addr, pgoff: linear_page_index(vma, addr), flags, orig_pte: w.entry, page: null, cow_page: null };
  // create_huge_pmd(): anonymous THP when eligible, or ->huge_fault (device-DAX, DAX).
  // VM_FAULT_FALLBACK continues with a PTE fault. Only when no PTE table exists there.
  const haddr = Math.floor(addr / PMD_SIZE) * PMD_SIZE;
  if (w.entry === 0 && !vma.vm_mm.pgd.pmd.has(haddr / PMD_SIZE) && thp_vma_suitable(k, vma, haddr)) {
    const tret = do_huge_pmd_anonymous_page(k, vma, haddr, flags);
    if (!(tret & VM_FAULT_FALLBACK)) return tret;
  }
  // For a DAX VMA (5.4.1 __transparent_hugepage_enabled; 6.1.192 hugepage_vma_check;
  // 6.12.117 thp_vma_allowable_order): only VM_NOHUGEPAGE (MADV_NOHUGEPAGE) stops the
  // attempt, whatever the THP sysfs setting; and only on an empty PMD (pmd_none).
  const pmdt = vma.vm_mm.pgd.pmd.get(haddr / PMD_SIZE);
  const pmd_none = pmdt === undefined || (typeof pmdt !== 'number' && pmdt.count === 0);
  if (w.entry === 0 && pmd_none && vma.vm_ops && vma.vm_ops.huge_fault && !vma_is_anonymous(vma) && !(vma.vm_flags & VM_NOHUGEPAGE)) {
    const hret = yield* vma.vm_ops.huge_fault(k, vmf, 9);
    if (!(hret & VM_FAULT_FALLBACK)) return hret;
  }
  return yield* handle_pte_fault(k, vmf);
}

function* handle_pte_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const vma = vmf.vma;
  const entry = vmf.orig_pte;
  if (entry === 0) {
    if (vma_is_anonymous(vma)) return do_anonymous_page(k, vmf);
    return yield* do_fault(k, vmf);
  }
  if (!pte_present(entry)) {
    unsupported(k, 'mm/memory.c:do_swap_page', 'non-present PTEs (swap, migration entries) are not modelled');
    return VM_FAULT_SIGBUS;
  }
  let e = entry;
  if (vmf.flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE)) {
    if (!pte_write(e)) return yield* do_wp_page(k, vmf);
    if (vmf.flags & FAULT_FLAG_WRITE) e = pte_mkdirty(e);
  }
  e = pte_mkyoung(e);
  if (e !== entry) set_pte_at(vma.vm_mm, vmf.address, e);
  return 0;
}

/** do_anonymous_page(): first touch of private anonymous memory. */
function do_anonymous_page(k: Kctx, vmf: vm_fault): vm_fault_t {
  const vma = vmf.vma;
  const mm = vma.vm_mm;
  if (vma.vm_flags & VM_SHARED) return VM_FAULT_SIGBUS;
  // pte_alloc(): the PTE table is allocated first, before the zero-page read path (5.4.1 .. 6.12.117).
  if (pte_table_missing(mm, vmf.address) && should_fail(k, 'mm/memory.c:do_anonymous_page:pte_alloc')) return VM_FAULT_OOM;
  if (!(vmf.flags & FAULT_FLAG_WRITE)) {
    // Read fault: map the shared zero page, read-only and special.
    set_pte_at(mm, vmf.address, mk_pte(k.m.mem.zero_pfn, vma_page_prot(vma) & ~_PAGE_RW | _PAGE_SPECIAL));
    return 0;
  }
  anon_vma_prepare(k, vma);
  const page = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
  if (page === null) return VM_FAULT_OOM;
  k.m.mem.s_flags[k.m.mem.slot_of(page)] |= PG_uptodate | PG_lru;
  let entry = mk_pte(page, vma_page_prot(vma));
  if (vma.vm_flags & VM_WRITE) entry = pte_mkwrite(pte_mkdirty(entry));
  page_add_new_anon_rmap(k, page, vma, vmf.address, false);
  set_pte_at(mm, vmf.address, entry);
  return 0;
}

/** pmd_none(): no PTE table (and no huge leaf) covers addr yet: a fault would allocate one. */
function pte_table_missing(mm: mm_struct, addr: number): boolean {
  return mm.pgd.pmd.get(Math.floor(addr / PMD_SIZE)) === undefined;
}

/** do_fault(): first touch of a file / shmem / special mapping. */
function* do_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const vma = vmf.vma;
  if (!vma.vm_ops || !vma.vm_ops.fault) return VM_FAULT_SIGBUS;
  if (!(vmf.flags & FAULT_FLAG_WRITE)) return yield* do_read_fault(k, vmf);
  if (!(vma.vm_flags & VM_SHARED)) return yield* do_cow_fault(k, vmf);
  return yield* do_shared_fault(k, vmf);
}

/** __do_fault(): call ->fault; on success vmf.page holds a referenced page. */
function* __do_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const ops = vmf.vma.vm_ops;
  if (!ops || !ops.fault) return VM_FAULT_SIGBUS;
  // The PTE table is preallocated before ->fault when the PMD is empty (pte_alloc_one, 5.4.1 .. 6.12.117).
  if (pte_table_missing(vmf.vma.vm_mm, vmf.address) && should_fail(k, 'mm/memory.c:__do_fault:pte_alloc_one')) return VM_FAULT_OOM;
  return yield* ops.fault(k, vmf);
}

/**
 * finish_fault() / alloc_set_pte() / do_set_pte(): install the PTE for vmf.page
 * (a file page) — writable and dirty only for a write fault on a writable VMA.
 * The page's reference from ->fault becomes the mapping's reference.
 */
function finish_fault(k: Kctx, vmf: vm_fault, page: number): vm_fault_t {
  const vma = vmf.vma;
  const mm = vma.vm_mm;
  if (pt_walk(mm, vmf.address).entry !== 0) {
    // Someone else mapped it meanwhile.
    put_page(k.m, page);
    return VM_FAULT_NOPAGE;
  }
  let entry = mk_pte(page, vma_page_prot(vma));
  if (vmf.flags & FAULT_FLAG_WRITE) entry = maybe_mkwrite(pte_mkdirty(entry), vma);
  page_add_file_rmap(k, page, vma, false);
  set_pte_at(mm, vmf.address, entry);
  return 0;
}

function* do_read_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  let ret = yield* __do_fault(k, vmf);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) return ret;
  const page = vmf.page as number;
  ret |= finish_fault(k, vmf, page);
  return ret;
}

/** do_cow_fault(): write fault on a private file mapping: copy the file page into a new anon page. */
function* do_cow_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const vma = vmf.vma;
  anon_vma_prepare(k, vma);
  const cow = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
  if (cow === null) return VM_FAULT_OOM;
  vmf.cow_page = cow;
  const ret = yield* __do_fault(k, vmf);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) {
    put_page(k.m, cow);
    return ret;
  }
  // A DAX handler copied into and mapped the cow page itself.
  if (ret & VM_FAULT_DONE_COW) return ret;
  const page = vmf.page as number;
  copy_page_content(k.m, cow, page);
  put_page(k.m, page);
  k.m.mem.s_flags[k.m.mem.slot_of(cow)] |= PG_uptodate | PG_lru;
  const mm = vma.vm_mm;
  if (pt_walk(mm, vmf.address).entry !== 0) {
    put_page(k.m, cow);
    return ret | VM_FAULT_NOPAGE;
  }
  const entry = maybe_mkwrite(pte_mkdirty(mk_pte(cow, vma_page_prot(vma))), vma);
  page_add_new_anon_rmap(k, cow, vma, vmf.address, false);
  set_pte_at(mm, vmf.address, entry);
  return ret;
}

/** do_shared_fault(): write fault on a shared file mapping (page_mkwrite, then a writable dirty PTE). */
function* do_shared_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const vma = vmf.vma;
  let ret = yield* __do_fault(k, vmf);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE | VM_FAULT_RETRY)) return ret;
  const page = vmf.page as number;
  if (vma.vm_ops && vma.vm_ops.page_mkwrite) {
    const tmp = yield* vma.vm_ops.page_mkwrite(k, vmf);
    if (tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) {
      put_page(k.m, page);
      return tmp;
    }
  }
  ret |= finish_fault(k, vmf, page);
  if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return ret;
  // fault_dirty_shared_page()
  SetPageDirty(k.m, page);
  return ret;
}

/**
 * Can do_wp_page() reuse this anon page in place? One body per release family; the
 * dispatcher picks (style guide example 4).
 */
function wp_can_reuse_anon(k: Kctx, page: number): boolean {
  // PATCH(anon-exclusive): 6c287605fd56; PATCH(wp-reuse-refcount): 09854ba94c6a
  if (k.patch('anon-exclusive')) return wp_can_reuse_anon__v5_19(k, page);
  // PATCH(wp-reuse-refcount) 09854ba94c6a: reuse only with refcount 1
  if (k.patch('wp-reuse-refcount')) return wp_can_reuse_anon__v5_9(k, page);
  return wp_can_reuse_anon__v5_4(k, page);
}

/** v5.4.1 / v5.6.4 do_wp_page: reuse_swap_page() — no swap cache in the model, so: mapped at most once. */
function wp_can_reuse_anon__v5_4(k: Kctx, page: number): boolean {
  return folio_mapcount(k.m, page) <= 1;
}

/** v5.9 (09854ba94c6a): only the mapping's own reference may exist. */
function wp_can_reuse_anon__v5_9(k: Kctx, page: number): boolean {
  return page_count(k.m, page) === 1 && page_mapcount(k.m, page) === 1;
}

/**
 * 6.1.192 do_wp_page / 6.12.117 wp_can_reuse_anon_folio: exclusive → reuse;
 * otherwise only with refcount 1 (the extra refcount > 3 / LRU-drain steps only
 * change the outcome through per-CPU LRU batches, which the model does not have).
 */
function wp_can_reuse_anon__v5_19(k: Kctx, page: number): boolean {
  if (PageAnonExclusive(k.m, page)) return true;
  return page_count(k.m, page) === 1;
}

/**
 * do_wp_page(): write (or unshare) fault on a present, read-only PTE. Two bodies:
 * v5.4 … 6.1 (below) and the v6.12 one, which PATCH(gup-reliable-ro-longterm)
 * (84209e87c696, v6.2, with the later folio rework) reshaped: shared mappings first,
 * then a private mapping reuses an exclusive / reusable anon folio and otherwise
 * always copies — also for FAULT_FLAG_UNSHARE on the zero page or a page-cache
 * page, so an R/O long-term pin lands on a private anon copy.
 */
function* do_wp_page(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  // PATCH(gup-reliable-ro-longterm) 84209e87c696: dispatch: the 6.2+ do_wp_page() body (unshare of non-anon pages)
  return k.patch('gup-reliable-ro-longterm') ? yield* do_wp_page__v6_2(k, vmf) : yield* do_wp_page__v5_4(k, vmf);
}

/** Debian 6.12.117 do_wp_page(). */
function* do_wp_page__v6_2(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const unshare = (vmf.flags & FAULT_FLAG_UNSHARE) !== 0;
  const vma = vmf.vma;
  const page = vm_normal_page(k, vma, vmf.address, vmf.orig_pte);
  vmf.page = page;
  if (vma.vm_flags & (VM_SHARED | VM_MAYSHARE)) {
    if (page === null) return yield* wp_pfn_shared(k, vmf);
    return yield* wp_page_shared(k, vmf, page);
  }
  if (page !== null && PageAnon(k.m, page) && (PageAnonExclusive(k.m, page) || wp_can_reuse_anon(k, page))) {
    if (!PageAnonExclusive(k.m, page)) SetPageAnonExclusive(k.m, page);
    if (unshare) return 0;
    wp_page_reuse(k, vmf);
    return fault_write(k);
  }
  if (page !== null) get_page(k.m, page);
  return wp_page_copy(k, vmf, page);
}

/** v5.4.1 / v5.6.4 / Debian 6.1.192 do_wp_page() (anon reuse rules in wp_can_reuse_anon). */
function* do_wp_page__v5_4(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const unshare = (vmf.flags & FAULT_FLAG_UNSHARE) !== 0;
  const vma = vmf.vma;
  const page = vm_normal_page(k, vma, vmf.address, vmf.orig_pte);
  vmf.page = page;
  if (page === null) {
    if (unshare) return 0;
    if ((vma.vm_flags & (VM_WRITE | VM_SHARED)) === (VM_WRITE | VM_SHARED)) return yield* wp_pfn_shared(k, vmf);
    return wp_page_copy(k, vmf, null);
  }
  if (PageAnon(k.m, page)) {
    if (wp_can_reuse_anon(k, page)) {
      // PATCH(anon-exclusive) 6c287605fd56: an exclusive page keeps its anon_vma
      if (!PageAnonExclusive(k.m, page) || !k.patch('anon-exclusive')) page_move_anon_rmap(k, page, vma);
      if (unshare) return 0;
      wp_page_reuse(k, vmf);
      return fault_write(k);
    }
  } else if (unshare) {
    return 0;
  } else if ((vma.vm_flags & (VM_WRITE | VM_SHARED)) === (VM_WRITE | VM_SHARED)) {
    return yield* wp_page_shared(k, vmf, page);
  }
  // copy: the kernel takes a reference here and wp_page_copy drops it with the mapping's.
  get_page(k.m, page);
  return wp_page_copy(k, vmf, page);
}

/** wp_page_reuse(): make the existing PTE young, dirty and (if VM_WRITE) writable. */
function wp_page_reuse(k: Kctx, vmf: vm_fault): void {
  void k;
  const e = maybe_mkwrite(pte_mkdirty(pte_mkyoung(vmf.orig_pte)), vmf.vma);
  set_pte_at(vmf.vma.vm_mm, vmf.address, e);
}

/**
 * wp_pfn_shared(): a write fault on a shared PTE without a normal page (PFNMAP/MIXEDMAP, the
 * zero page or a devmap entry of a DAX file). With ->pfn_mkwrite (5.4.1 .. 6.18.26: the DAX
 * file systems' fault handler) the VMA's owner decides first, with FAULT_FLAG_MKWRITE and the
 * PTE lock dropped; an error or VM_FAULT_NOPAGE ends the fault (a DAX handler has then mapped
 * the block itself), otherwise finish_mkwrite_fault() reuses the PTE if it did not change.
 * Without the hook the PTE just becomes writable.
 */
function* wp_pfn_shared(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const ops = vmf.vma.vm_ops;
  if (ops && ops.pfn_mkwrite) {
    const ret = yield* ops.pfn_mkwrite(k, { ...vmf, flags: vmf.flags | FAULT_FLAG_MKWRITE });
    if (ret & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return ret;
    // finish_mkwrite_fault(): the PTE may have changed while the lock was dropped.
    if (pte_at(vmf.vma.vm_mm, vmf.address) !== vmf.orig_pte) return VM_FAULT_NOPAGE;
  }
  wp_page_reuse(k, vmf);
  return fault_write(k);
}

/** wp_page_shared(): ->page_mkwrite then reuse, marking the page dirty. */
function* wp_page_shared(k: Kctx, vmf: vm_fault, page: number): KThread<vm_fault_t> {
  const ops = vmf.vma.vm_ops;
  if (ops && ops.page_mkwrite) {
    const tmp = yield* ops.page_mkwrite(k, vmf);
    if (tmp & (VM_FAULT_ERROR | VM_FAULT_NOPAGE)) return tmp;
  }
  wp_page_reuse(k, vmf);
  SetPageDirty(k.m, page);
  return fault_write(k);
}

/**
 * wp_page_copy(): COW. A new anon page (zeroed when the old PTE mapped the zero page,
 * else a copy of `old`) replaces the PTE; the old page loses this mapping and the
 * extra reference do_wp_page took. With FAULT_FLAG_UNSHARE the copy stays read-only.
 */
function wp_page_copy(k: Kctx, vmf: vm_fault, old: number | null): vm_fault_t {
  const vma = vmf.vma;
  const mm = vma.vm_mm;
  anon_vma_prepare(k, vma);
  const unshare = (vmf.flags & FAULT_FLAG_UNSHARE) !== 0;
  const np = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
  if (np === null) {
    if (old !== null) put_page(k.m, old);
    return VM_FAULT_OOM;
  }
  if (old !== null) copy_page_content(k.m, np, old);
  // __wp_page_copy_user from a special PTE (a private /dev/mem mapping): the bytes at the old
  // address, which the model does not keep for memory without a struct page (drivers/char/mem.ts: `phys`).
  else if (pte_pfn(vmf.orig_pte) !== k.m.mem.zero_pfn && k.m.mem.slot_of(pte_pfn(vmf.orig_pte)) === 0) set_page_content(k.m, np, 'phys');
  k.m.mem.s_flags[k.m.mem.slot_of(np)] |= PG_uptodate | PG_lru;
  let entry = mk_pte(np, vma_page_prot(vma));
  entry = pte_mkyoung(entry);
  if (!unshare) entry = maybe_mkwrite(pte_mkdirty(entry), vma);
  if (old !== null) {
    page_remove_rmap(k, old, vma, false);
  }
  page_add_new_anon_rmap(k, np, vma, vmf.address, false);
  set_pte_at(mm, vmf.address, entry);
  k.m.event(k.tid, 'cow', [page_label(np), ...(old !== null ? [page_label(old)] : []), `vma:${vma.id}`], 'mm/memory.c:wp_page_copy');
  if (old !== null) {
    put_page(k.m, old); // the mapping's reference
    put_page(k.m, old); // do_wp_page's extra reference
  }
  return unshare ? 0 : fault_write(k);
}

// ---------------------------------------------------------------------------
// Zapping.

/**
 * zap_page_range(vma, start, size) / unmap_page_range(): clear the PTEs (and huge
 * leaves) of [start, end) in vma; file pages dirty in the PTE are marked dirty;
 * each page loses its mapping and the mapping's reference (freed at zero).
 * Caller holds mmap_lock (read is enough: MADV_DONTNEED; write for munmap), or
 * (unmap_mapping_range from truncate) the file's i_mmap_rwsem. With
 * `check_mapping` (zap_details), anon pages — private COW copies — are kept.
 * Scheduling points (v5.4.1 .. 6.12.117 zap_pmd_range: cond_resched() after each PMD
 * entry; zap_pte_range holds one PTE-table lock for the PTEs of that entry): one before
 * each PTE table after the first. A table's PTEs are one step: its PTE lock excludes
 * the GUP slow walk, faults, fork's copy, mprotect, truncate's zap and migration's
 * unmap and remap of that table. The one reader that does not take it, the lockless
 * gup-fast walk, goes through the table in the same address order as the zap and stops
 * at the first entry it finds cleared, so it can only take a prefix of the pages the
 * zap has not reached yet, which it also takes when the table's zap is one step after
 * its reads. MODEL: the early break of zap_pte_range when its TLB batch is full is not
 * modelled.
 */
export function* zap_page_range(k: Kctx, vma: vm_area_struct, start: number, end: number, check_mapping: address_space | null = null): KThread<void> {
  if (is_vm_hugetlb_page(vma)) {
    // MODEL: the hugetlb leaves of the range go in one step (__unmap_hugepage_range holds
    // i_mmap_rwsem and each huge PTE's lock; no per-leaf point).
    unmap_hugepage_range(k, vma, start, end);
    return;
  }
  const keys = zap_table_keys(vma, start, end);
  for (let n = 0; n < keys.length; n++) {
    if (n > 0) yield* cond_resched(k, 'mm/memory.c:zap_pmd_range', `${keys[n]}`);
    zap_pmd_entry(k, vma, keys[n], start, end, check_mapping);
  }
  zap_pud_check(k, vma, start, end);
}

/**
 * The same zap in one step, for callers that are plain functions.
 * MODEL: used only by hugetlb_vmtruncate()'s unmap (hugetlb VMAs: one step there too)
 * and set-up paths; see zap_page_range for the kernel's points.
 */
export function zap_page_range_now(k: Kctx, vma: vm_area_struct, start: number, end: number, check_mapping: address_space | null = null): void {
  if (is_vm_hugetlb_page(vma)) {
    unmap_hugepage_range(k, vma, start, end);
    return;
  }
  for (const key of zap_table_keys(vma, start, end)) zap_pmd_entry(k, vma, key, start, end, check_mapping);
  zap_pud_check(k, vma, start, end);
}

/** The PMD-table indexes (address / PMD_SIZE) with an entry in [start, end). */
function zap_table_keys(vma: vm_area_struct, start: number, end: number): number[] {
  const first = Math.floor(start / PMD_SIZE);
  const last = Math.floor((end - 1) / PMD_SIZE);
  const tables = vma.vm_mm.pgd.pmd;
  const keys: number[] = [];
  if (last - first + 1 <= tables.size) {
    for (let key = first; key <= last; key++) if (tables.has(key)) keys.push(key);
  } else {
    for (const key of tables.keys()) if (key >= first && key <= last) keys.push(key);
  }
  return keys;
}

/** zap_pmd_range for one PMD entry: a huge leaf (zap_huge_pmd / split), or zap_pte_range of [start, end) in its table. */
function zap_pmd_entry(k: Kctx, vma: vm_area_struct, key: number, start: number, end: number, check_mapping: address_space | null): void {
  const m = k.m;
  const tables = vma.vm_mm.pgd.pmd;
  let t = tables.get(key);
  if (t === undefined) return;
  if (typeof t === 'number' && pmd_leaf(t) && !pte_devmap(t) && !pte_special(t) && !(check_mapping !== null && PageAnon(m, pte_pfn(t)))) {
    if (zap_huge_pmd(k, vma, key * PMD_SIZE, t, start, end)) return;
    t = tables.get(key); // split into PTEs: zap the part in range below
    if (t === undefined) return;
  }
  if (typeof t === 'number') {
    // zap_huge_pmd(): a devmap / special leaf (DAX) holds no page reference.
    if (pmd_leaf(t) && (pte_devmap(t) || pte_special(t))) {
      const a = key * PMD_SIZE;
      // A partial zap splits the leaf first (__split_huge_pmd, 5.4.1 .. 6.12.117): for a DAX
      // VMA that clears the PMD and maps nothing in its place; the rest refaults.
      if (a >= start && a + PMD_SIZE <= end) tables.delete(key);
      else __split_huge_pmd(k, vma, a);
    }
    return;
  }
  const base = key * PMD_SIZE;
  const lo = Math.max(0, Math.floor((start - base) / PAGE_SIZE));
  const hi = Math.min(PTRS_PER_PTE, Math.ceil((end - base) / PAGE_SIZE));
  for (let i = lo; i < hi && t.count > 0; i++) {
    const pte = t.pte[i];
    if (pte === 0) continue;
    const addr = base + i * PAGE_SIZE;
    const page = pte_present(pte) ? vm_normal_page(k, vma, addr, pte) : null;
    // zap_details.check_mapping: unmap_mapping_pages without even_cows keeps private COW copies.
    if (check_mapping !== null && page !== null && PageAnon(m, page)) continue;
    t.pte[i] = 0;
    t.count--;
    if (vma.vm_mm.pgd.log !== null) log_key(vma.vm_mm.pgd.log, key);
    if (page === null) continue;
    if (!PageAnon(m, page) && pte_dirty(pte)) SetPageDirty(m, page);
    page_remove_rmap(k, page, vma, false);
    put_page(m, page);
  }
  if (t.count === 0) tables.delete(key);
}

/** PUD leaves in the range are not modelled for zapping. */
function zap_pud_check(k: Kctx, vma: vm_area_struct, start: number, end: number): void {
  for (const [key, pud] of vma.vm_mm.pgd.pud) {
    const a = key * 2 ** 30;
    if (a >= start && a < end && pud !== 0) {
      unsupported(k, 'mm/huge_memory.c:zap_huge_pud', 'zapping PUD leaves is not modelled yet');
    }
  }
}

// ---------------------------------------------------------------------------
// fork: copy_page_range.

/**
 * vma_needs_copy(): must fork copy this VMA's page tables, or can the child fault
 * them in? v5.4.1: only VMAs with an anon_vma, or hugetlb / PFNMAP / MIXEDMAP ones;
 * Debian 6.1.192 / 6.12.117: anon_vma or PFNMAP / MIXEDMAP (hugetlb is handled by
 * copy_hugetlb_page_range before this test in the caller).
 */
function vma_needs_copy(src: vm_area_struct): boolean {
  if (src.vm_flags & (VM_PFNMAP | VM_MIXEDMAP | VM_HUGETLB)) return true;
  return src.anon_vma !== null;
}

/**
 * copy_present_page(): the child gets its own copy of a (maybe DMA-pinned) anon
 * page instead of sharing it; the parent's PTE is left as it was (writable).
 * PATCH(fork-copy-pinned): 70e806e4e645 (v5.9).
 */
function copy_present_page(k: Kctx, dst: vm_area_struct, addr: number, page: number): number {
  const np = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
  if (np === null) return -ENOMEM;
  copy_page_content(k.m, np, page);
  k.m.mem.s_flags[k.m.mem.slot_of(np)] |= PG_uptodate | PG_lru;
  page_add_new_anon_rmap(k, np, dst, addr, false);
  set_pte_at(dst.vm_mm, addr, maybe_mkwrite(pte_mkdirty(mk_pte(np, vma_page_prot(dst))), dst));
  k.m.event(k.tid, 'fork-copy', [page_label(np), page_label(page), `vma:${dst.id}`], 'mm/memory.c:copy_present_page');
  return 0;
}

/**
 * copy_present_pte() (6.1/6.12) / copy_one_pte() (5.4): share one present PTE
 * with the child, write-protecting both sides of a COW mapping.
 * - v5.4: anon pages are always shared (a pinned page too: the parent's next write
 *   COWs away from the page the device still uses).
 * - PATCH(fork-copy-pinned) 70e806e4e645: in a COW mapping of an mm that has
 *   pinned (has_pinned / MMF_HAS_PINNED), a page_maybe_dma_pinned() anon page is
 *   copied for the child instead.
 * - PATCH(anon-exclusive) 6c287605fd56 (page_try_dup_anon_rmap): only an exclusive
 *   page can be pinned; it is copied when it may be pinned, otherwise it loses
 *   PageAnonExclusive and is shared.
 */
function copy_present_pte(k: Kctx, dst: vm_area_struct, src: vm_area_struct, addr: number, pte: pte_t): number {
  const m = k.m;
  const page = vm_normal_page(k, src, addr, pte);
  const cow = is_cow_mapping(src.vm_flags);
  if (page !== null && PageAnon(m, page)) {
    // PATCH(anon-exclusive) 6c287605fd56: fork copies only exclusive pinned pages (page_try_dup_anon_rmap)
    if (k.patch('anon-exclusive')) {
      if (PageAnonExclusive(m, page)) {
        // page_needs_cow_for_dma()
        if (src.vm_mm.has_pinned && page_maybe_dma_pinned(k, page)) return copy_present_page(k, dst, addr, page);
        ClearPageAnonExclusive(m, page);
      }
    } else if (k.patch('fork-copy-pinned')) { // PATCH(fork-copy-pinned) 70e806e4e645: fork copies pinned pages of COW mappings
      if (cow && src.vm_mm.has_pinned && page_maybe_dma_pinned(k, page)) return copy_present_page(k, dst, addr, page);
    }
    get_page(m, page);
    page_add_anon_rmap(k, page, dst, false);
  } else if (page !== null) {
    get_page(m, page);
    page_add_file_rmap(k, page, dst, false);
  }
  let e = pte;
  if (cow && pte_write(e)) {
    set_pte_at(src.vm_mm, addr, pte_wrprotect(pte_at(src.vm_mm, addr)));
    e = pte_wrprotect(e);
  }
  if (src.vm_flags & VM_SHARED) e = pte_mkclean(e);
  e = pte_mkold(e);
  set_pte_at(dst.vm_mm, addr, e);
  return 0;
}

/**
 * copy_page_range(dst_vma, src_vma): copy the page tables of one VMA at fork, one PTE
 * table per step (see the loop). Both mms' mmap_lock are held for write. PATCH(gup-fast-wp-seq) 57efa1fe5957:
 * src_mm->write_protect_seq is odd while a COW mapping is being write-protected,
 * so a concurrent GUP-fast backs off; the model offers one scheduling point inside
 * that window per COW VMA (`mm/memory.c:copy_page_range:cow-window`).
 * MODEL: hugetlb and huge-leaf copying is not modelled (unsupported).
 */
export function* copy_page_range(k: Kctx, dst: vm_area_struct, src: vm_area_struct): KThread<number> {
  if (!vma_needs_copy(src)) return 0;
  if (is_vm_hugetlb_page(src)) return copy_hugetlb_page_range(k, dst, src);
  const cow = is_cow_mapping(src.vm_flags);
  const src_mm = src.vm_mm;
  // PATCH(gup-fast-wp-seq) 57efa1fe5957: fork bumps mm->write_protect_seq around the copy
  const wpSeq = cow && k.patch('gup-fast-wp-seq');
  if (wpSeq) src_mm.write_protect_seq++;
  let ret = 0;
  const first = Math.floor(src.vm_start / PMD_SIZE);
  const last = Math.floor((src.vm_end - 1) / PMD_SIZE);
  let tables = 0;
  out: for (const key of [...src_mm.pgd.pmd.keys()].filter((kk) => kk >= first && kk <= last).sort((a, b) => a - b)) {
    // copy_pte_range() copies one PTE table under both PTE locks (src and dst), drops them
    // and calls cond_resched() (5.4.1, 6.1.192, 6.12.117): between two tables the rmap
    // walks (truncate's zap, migration, reclaim) and gup-fast, which mmap_lock for write
    // does not exclude, can run. One table is one step (its PTE lock excludes the rmap walks).
    if (tables++ > 0) yield* cond_resched(k, 'mm/memory.c:copy_pte_range', `${src.id}:${key}`);
    const t0 = src_mm.pgd.pmd.get(key);
    if (t0 === undefined) continue;
    let t = t0;
    if (typeof t === 'number') {
      // copy_huge_pmd(): a PMD leaf of a file VMA (DAX, here) is not copied, the child
      // refaults it (5.4.1 .. 5.6.4 test vma_is_anonymous(vma), 6.1.192 / 6.12.117
      // vma_is_anonymous(dst_vma); 6.12's pmd_special shortcut is for PFNMAP leaves, not devmap).
      if (!vma_is_anonymous(src)) continue;
      if (!is_huge_zero_pmd(k, t) && (pte_devmap(t) || pte_special(t) || !PageAnon(k.m, pte_pfn(t)))) {
        ret = unsupported(k, 'mm/huge_memory.c:copy_huge_pmd', 'a non-anonymous PMD leaf in an anonymous VMA is not modelled');
        break;
      }
      const r = copy_huge_pmd(k, dst, src, key * PMD_SIZE, t);
      if (r === 0) continue;
      t = src_mm.pgd.pmd.get(key) as pte_table; // -EAGAIN: split, copy the PTEs
    }
    const base = key * PMD_SIZE;
    for (let i = 0; i < PTRS_PER_PTE; i++) {
      const pte = t.pte[i];
      if (pte === 0) continue;
      const addr = base + i * PAGE_SIZE;
      if (addr < src.vm_start || addr >= src.vm_end) continue;
      if (!pte_present(pte)) {
        ret = unsupported(k, 'mm/memory.c:copy_nonpresent_pte', 'non-present PTEs are not modelled');
        break out;
      }
      ret = copy_present_pte(k, dst, src, addr, pte);
      if (ret) break out;
    }
  }
  // MODEL: GUP-fast on another CPU can run while the parent's PTEs are write-protected.
  if (cow && src.anon_vma !== null) yield* race_window(k, 'mm/memory.c:copy_page_range:cow-window');
  if (wpSeq) src_mm.write_protect_seq++;
  return ret;
}

/**
 * remap_pfn_range(vma, addr, pfn, size, prot) (mm/memory.c): map raw pfns (a BAR)
 * with special PTEs; the VMA becomes VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP
 * (and its vm_pgoff the first pfn, for a COW mapping of the whole VMA). Caller holds
 * mmap_lock for write (the ->mmap path). Returns 0 or -EINVAL.
 */
export function remap_pfn_range(k: Kctx, vma: vm_area_struct, addr: number, pfn: number, size: number, prot: number): number {
  void k;
  if (addr % PAGE_SIZE || size % PAGE_SIZE) return -EINVAL;
  if (is_cow_mapping(vma.vm_flags)) {
    if (addr !== vma.vm_start || addr + size !== vma.vm_end) return -EINVAL;
    vma.vm_pgoff = pfn;
  }
  vma.vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
  for (let i = 0; i < size / PAGE_SIZE; i++) set_pte_at(vma.vm_mm, addr + i * PAGE_SIZE, mk_pte(pfn + i, prot | _PAGE_SPECIAL));
  return 0;
}
