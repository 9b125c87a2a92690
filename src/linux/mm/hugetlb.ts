/**
 * mm/hugetlb.c + fs/hugetlbfs/inode.c — v5.4.1, Debian 6.1.192, Debian 6.12.117:
 * the huge page pools (hstates of order 9 = 2 MiB and 18 = 1 GiB), hugetlbfs files
 * (mounted, MAP_HUGETLB's anonymous file, memfd MFD_HUGETLB), hugetlbfs_file_mmap(),
 * hugetlb_fault() (hugetlb_no_page, hugetlb_cow / hugetlb_wp), and unmapping.
 *
 * - Pools are filled at set-up (hugetlb_pool_grow, as hugepages= / nr_hugepages):
 *   free folios keep PG_hugetlb with refcount 0; freeing returns them to the pool.
 * - hugetlbfs_file_mmap(): vm_pgoff must be huge-page aligned (-EINVAL); the VMA gets
 *   VM_HUGETLB | VM_DONTEXPAND; without VM_NORESERVE the pages are reserved now
 *   (hugetlb_reserve_pages: -ENOMEM if the pool cannot cover them).
 * - hugetlb_no_page(): shared mappings find the folio in the file's page cache or
 *   take one from the pool and add it (cache reference + mapping reference); private
 *   ones take a new anon folio (exclusive with PATCH(anon-exclusive)). The entry is
 *   writable only for a shared writable mapping; a private write then goes through
 *   the COW path (reuse when mapped once and anon). No free folio → VM_FAULT_SIGBUS
 *   (alloc_huge_page's -ENOSPC).
 * - A folio is mapped by one PMD (order 9) or PUD (order 18) leaf; its entire
 *   mapcount counts the mappings.
 * - hugetlbfs_fallocate(): PUNCH_HOLE unmaps the whole huge pages of the hole from
 *   every mapping and drops them from the file (a pinned folio lives on, detached);
 *   mode 0 / KEEP_SIZE preallocates folios into the file (see hugetlbfs_fallocate).
 * MODEL: no surplus pages / overcommit, no per-node pools, no subpool quotas, no PMD
 * sharing, reservations are a plain count per inode (not the resv_map); 2 MiB pools
 * are allocated movable (htlb_alloc_mask), 1 GiB ones from ZONE_NORMAL/DMA32; no
 * hugetlb_fault_mutex_table, i_mmap_rwsem or hugetlb VMA lock (the model's unmap and
 * page-cache removal run without a scheduling point in between).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import type { file, file_operations, file_system_type, inode, super_block } from '../include/linux/fs.js';
import { O_RDWR, S_IFREG, alloc_file } from '../include/linux/fs.js';
import { GFP_HIGHUSER, GFP_HIGHUSER_MOVABLE } from '../include/linux/gfp.js';
import { PF_MEMALLOC_PIN, get_current } from '../include/linux/sched.js';
import { is_longterm_pinnable_page } from '../include/linux/mm.js';
import type { vm_area_struct, vm_operations_struct } from '../include/linux/mm_types.js';
import {
  HPAGE_PMD_ORDER, HPAGE_PUD_ORDER, PAGE_SIZE, PG_head, PG_hugetlb, PG_hugetlb_free, PG_uptodate, _PAGE_DIRTY, _PAGE_PSE, _PAGE_RW,
  mk_pte, pte_pfn, pte_write,
} from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_UNSHARE, FAULT_FLAG_WRITE, PageAnon, PageAnonExclusive, VM_DONTEXPAND, VM_MAYWRITE, page_maybe_dma_pinned, VM_FAULT_OOM, VM_FAULT_SIGBUS, VM_FAULT_SIGSEGV, VM_HUGETLB, VM_MAYSHARE,
  VM_NORESERVE, VM_SHARED, VM_WRITE, folio_mapcount, folio_set_anon_exclusive_all, get_page, page_label,
  pt_walk, put_page, set_page_content, set_pmd_at, set_pud_at,
} from '../include/linux/mm.js';
import { EINTR, EINVAL, ENOMEM, ENOSPC, EOPNOTSUPP } from '../include/uapi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../include/uapi/asm-generic/mman.js';
import { down_write, up_write } from '../kernel/locking/rwsem.js';
import { cond_resched, signal_pending } from '../kernel/sched.js';
import { WARN_ON_ONCE } from '../include/linux/bug.js';
import { alloc_pages } from './page_alloc.js';
import { anon_vma_prepare, page_add_file_rmap, page_add_new_anon_rmap, page_move_anon_rmap, page_remove_rmap } from './rmap.js';
import { new_inode } from '../fs/libfs.js';
import { vma_page_prot } from './memory.js';

/** Bytes of a huge page of `order`. */
export function huge_page_size(order: number): number {
  return PAGE_SIZE * 2 ** order;
}

/**
 * MODEL set-up: add `count` folios of `order` to the pool (echo N > nr_hugepages).
 * Returns how many were allocated. The mask is htlb_alloc_mask(h) (6.1.192, 6.12.117):
 * GFP_HIGHUSER_MOVABLE when hugepage_movable_supported(h) — on x86-64 every
 * non-gigantic hstate (2 MiB), whose pages can migrate — else GFP_HIGHUSER (1 GiB,
 * gigantic). So the 2 MiB pool lands in ZONE_MOVABLE when the machine has one, as in
 * the conformance guest (movablecore=).
 */
export function hugetlb_pool_grow(k: Kctx, order: number, count: number): number {
  const gfp = order < HPAGE_PUD_ORDER ? GFP_HIGHUSER_MOVABLE : GFP_HIGHUSER;
  const got: number[] = [];
  for (let n = 0; n < count; n++) {
    const pfn = alloc_pages(k, gfp, order);
    if (pfn === null) break;
    const mem = k.m.mem;
    const s = mem.slot_of(pfn);
    mem.s_ref[s] = 0;
    mem.s_flags[s] = PG_hugetlb | PG_hugetlb_free | PG_head;
    got.push(pfn);
  }
  // Free folios are enqueued at the head of the hstate's free list and dequeued from the
  // head (enqueue_huge_page's list_move / dequeue_huge_page_node_exact's forward walk in
  // 5.4.1 and 6.1.192; the _hugetlb_folio_ forms in 6.12.117). MODEL: m.hugetlb_free keeps
  // that list tail first, so its last element is the head.
  // 5.4–6.6 free each new folio into the pool as it is allocated: the last one allocated
  // is handed out first. PATCH(hugetlb-pool-batch): from d67e32f26713 the new folios are
  // gathered on a list (list_add) and enqueued together from its head, so the first one
  // allocated ends up at the head of the free list.
  if (k.patch('hugetlb-pool-batch')) got.reverse();
  for (const pfn of got) k.m.hugetlb_free.push(pfn);
  return got.length;
}

/** Free folios of `order` in the pool. */
export function hugetlb_free_count(m: Machine, order: number): number {
  return m.hugetlb_free.filter((p) => m.mem.s_order[m.mem.slot_of(p)] === order).length;
}

/**
 * dequeue_huge_page / alloc_huge_page(): a pool folio with refcount 1, or null (-ENOSPC).
 * dequeue_huge_page_node_exact() (6.1.192) / dequeue_hugetlb_folio_node_exact()
 * (6.12.117): inside a memalloc_pin_save() scope (PF_MEMALLOC_PIN: a FOLL_LONGTERM GUP
 * faulting the page in) a free folio that is not long-term pinnable (ZONE_MOVABLE,
 * CMA) is skipped. The skip came with PATCH(hugetlb-migration-target-pool) (bbe88753bd42,
 * v5.9: 5.8.1 has none, 5.9.1-5.12.9 skip CMA folios under PF_MEMALLOC_NOCMA); from 5.13
 * the same bit is PF_MEMALLOC_PIN and is_pinnable_page() also refuses ZONE_MOVABLE.
 */
function alloc_huge_page(k: Kctx, order: number): number | null {
  const m = k.m;
  // PATCH(hugetlb-migration-target-pool) bbe88753bd42: dequeue skips unpinnable pool folios inside the pin scope (5.9.1: nocma && CMA)
  const pin = k.patch('hugetlb-migration-target-pool') && (get_current(k).flags & PF_MEMALLOC_PIN) !== 0;
  // From the head of the free list (the array's end), skipping what this caller may not use.
  const i = m.hugetlb_free.findLastIndex((p) => m.mem.s_order[m.mem.slot_of(p)] === order && (!pin || is_longterm_pinnable_page(k, p)));
  if (i < 0) return null;
  const pfn = m.hugetlb_free.splice(i, 1)[0];
  const s = m.mem.slot_of(pfn);
  m.mem.s_flags[s] = PG_hugetlb | PG_head | PG_uptodate;
  m.mem.s_ref[s] = 1;
  m.mem.s_content[s] = 0;
  clear_subpage_tags(m, pfn, order);
  m.event(k.tid, 'alloc', [page_label(pfn)], 'mm/hugetlb.c:alloc_huge_page', order);
  return pfn;
}

/**
 * MODEL: clear_huge_page() / folio_zero_user() in the callers of alloc_huge_page
 * (hugetlb_no_page, hugetlbfs_fallocate): a folio from the pool reads as zeroes, so
 * per-subpage data tags left from its previous use go.
 */
function clear_subpage_tags(m: Machine, head: number, order: number): void {
  const nr = 2 ** order;
  const tags = m.mem.sub_content;
  if (tags.size === 0) return;
  if (tags.size < nr) {
    for (const p of [...tags.keys()]) if (p >= head && p < head + nr) tags.delete(p);
  } else {
    for (let p = head; p < head + nr; p++) tags.delete(p);
  }
}

/**
 * copy_user_huge_page() / copy_user_large_folio(): the whole folio's data — the folio
 * tag and every subpage's own tag — is copied into the new folio (MODEL: tags, not bytes).
 */
function copy_huge_page_content(m: Machine, dst: number, src: number, order: number): void {
  const mem = m.mem;
  mem.s_content[mem.slot_of(dst)] = mem.s_content[mem.slot_of(src)];
  clear_subpage_tags(m, dst, order);
  const nr = 2 ** order;
  const tags = mem.sub_content;
  if (tags.size === 0) return;
  const copied: [number, number][] = [];
  if (tags.size < nr) {
    for (const [p, t] of tags) if (p >= src && p < src + nr) copied.push([dst + (p - src), t]);
  } else {
    for (let i = 0; i < nr; i++) {
      const t = tags.get(src + i);
      if (t !== undefined) copied.push([dst + i, t]);
    }
  }
  for (const [p, t] of copied) tags.set(p, t);
}

/** The huge page order of a hugetlbfs-backed VMA. */
function vma_order(vma: vm_area_struct): number {
  return vma.vm_file ? vma.vm_file.f_inode.i_sb.huge_order : HPAGE_PMD_ORDER;
}

/** Reservations per inode (MODEL: a count of pages promised by hugetlb_reserve_pages). */
const RESV_KEY = 'hugetlb_resv';

function resv_of(i: inode): { n: number } {
  const p = i.i_private as { [RESV_KEY]?: { n: number } } | null;
  if (p && p[RESV_KEY]) return p[RESV_KEY];
  const r = { n: 0 };
  i.i_private = { [RESV_KEY]: r };
  return r;
}

/** Install the leaf for a huge folio at the huge-aligned address. */
function set_huge_pte_at(vma: vm_area_struct, haddr: number, order: number, entry: number): void {
  if (order === HPAGE_PUD_ORDER) set_pud_at(vma.vm_mm, haddr, entry);
  else set_pmd_at(vma.vm_mm, haddr, entry);
}

function make_huge_pte(vma: vm_area_struct, page: number, writable: boolean): number {
  let prot = (vma_page_prot(vma) & ~_PAGE_RW) | _PAGE_PSE;
  if (writable) prot |= _PAGE_RW | _PAGE_DIRTY;
  return mk_pte(page, prot);
}

/** hugetlb_fault(mm, vma, address, flags) — caller holds mmap_lock for read. */
export function* hugetlb_fault(k: Kctx, vma: vm_area_struct, address: number, flags: number): KThread<vm_fault_t> {
  const order = vma_order(vma);
  const size = huge_page_size(order);
  const haddr = Math.floor(address / size) * size;
  const w = pt_walk(vma.vm_mm, haddr);
  const entry = w.level !== 'pte' ? w.entry : 0;
  if (entry === 0) return hugetlb_no_page(k, vma, haddr, order, flags);
  if (flags & (FAULT_FLAG_WRITE | FAULT_FLAG_UNSHARE) && !pte_write(entry)) return hugetlb_wp(k, vma, haddr, order, entry, flags);
  return 0;
}

function hugetlb_no_page(k: Kctx, vma: vm_area_struct, haddr: number, order: number, flags: number): vm_fault_t {
  const f = vma.vm_file as file;
  const i = f.f_inode;
  const size = huge_page_size(order);
  const idx = (haddr - vma.vm_start) / size + Math.floor((vma.vm_pgoff * PAGE_SIZE) / size);
  if (idx * size >= i.i_size) return VM_FAULT_SIGBUS;
  const shared = (vma.vm_flags & VM_MAYSHARE) !== 0;
  let page: number | null = null;
  if (shared) {
    const cached = f.f_mapping.i_pages.get(idx);
    if (cached !== undefined) {
      get_page(k.m, cached);
      page = cached;
    }
  }
  if (page === null) {
    page = alloc_huge_page(k, order);
    if (page === null) return VM_FAULT_SIGBUS;
    const r = resv_of(i);
    if (r.n > 0) r.n--;
    if (shared) {
      const mem = k.m.mem;
      const s = mem.slot_of(page);
      mem.s_mapping[s] = f.f_mapping.id;
      mem.s_index[s] = idx;
      get_page(k.m, page); // the page cache's reference
      f.f_mapping.i_pages.set(idx, page);
      f.f_mapping.nrpages++;
    } else {
      anon_vma_prepare(k, vma);
    }
  }
  if (shared) page_add_file_rmap(k, page, vma, true);
  else page_add_new_anon_rmap(k, page, vma, haddr, true);
  const writable = (vma.vm_flags & (VM_WRITE | VM_SHARED)) === (VM_WRITE | VM_SHARED);
  set_huge_pte_at(vma, haddr, order, make_huge_pte(vma, page, writable));
  if (flags & FAULT_FLAG_WRITE && !shared) {
    return hugetlb_wp(k, vma, haddr, order, make_huge_pte(vma, page, false), flags);
  }
  return 0;
}

/**
 * hugetlb_cow (5.4) / hugetlb_wp (6.x): reuse an anon folio mapped once, else copy. The
 * write fault leaves the leaf writable whatever the VMA's VM_WRITE: 5.4.1 hugetlb_cow()
 * reuses with set_huge_ptep_writable() and copies with make_huge_pte(..., 1), so a
 * FOLL_FORCE write to a read-only private mapping gets a writable huge PTE. From
 * f347454d0341 GUP refuses that write and the fault WARNs and fails if it gets here anyway;
 * from 052ccfbcc6cd (v6.14) the write is served again, the leaf staying read-only without
 * VM_WRITE.
 */
function hugetlb_wp(k: Kctx, vma: vm_area_struct, haddr: number, order: number, entry: number, flags: number): vm_fault_t {
  const unshare = (flags & FAULT_FLAG_UNSHARE) !== 0;
  // PATCH(hugetlb-foll-force-write) 052ccfbcc6cd: a forced write fault is served again, but never maps writable
  // what the VMA does not allow (set_huge_ptep_maybe_writable, make_huge_pte with VM_WRITE)
  const force_ro = k.patch('hugetlb-foll-force-write') && !(vma.vm_flags & VM_WRITE);
  // PATCH(gup-hugetlb-no-force-write) f347454d0341: WARN and SIGSEGV; PATCH(hugetlb-foll-force-write) removes it
  if (k.patch('gup-hugetlb-no-force-write') && !k.patch('hugetlb-foll-force-write') && WARN_ON_ONCE(k, !unshare && !(vma.vm_flags & VM_WRITE), 'mm/hugetlb.c:hugetlb_wp', 'write fault in a VMA without VM_WRITE')) {
    return VM_FAULT_SIGSEGV;
  }
  const old = pte_pfn(entry);
  const m = k.m;
  if (folio_mapcount(m, old) === 1 && PageAnon(m, old)) {
    page_move_anon_rmap(k, old, vma);
    // PATCH(anon-exclusive) 6c287605fd56: the copied folio is exclusive
    if (k.patch('anon-exclusive')) folio_set_anon_exclusive_all(m, old, true);
    if (!unshare && !force_ro) set_huge_pte_at(vma, haddr, order, make_huge_pte(vma, old, true));
    return 0;
  }
  if (vma.vm_flags & VM_SHARED) {
    set_huge_pte_at(vma, haddr, order, make_huge_pte(vma, old, (vma.vm_flags & VM_WRITE) !== 0));
    return 0;
  }
  const np = alloc_huge_page(k, order);
  if (np === null) return VM_FAULT_OOM;
  copy_huge_page_content(m, np, old, order);
  anon_vma_prepare(k, vma);
  page_remove_rmap(k, old, vma, true);
  page_add_new_anon_rmap(k, np, vma, haddr, true);
  set_huge_pte_at(vma, haddr, order, make_huge_pte(vma, np, !unshare && !force_ro));
  put_page(m, old);
  k.m.event(k.tid, 'cow', [page_label(np), page_label(old), `vma:${vma.id}`], 'mm/hugetlb.c:hugetlb_wp');
  return 0;
}

/** __unmap_hugepage_range(vma, start, end): drop the huge leaves (mapcount, mapping reference). */
export function unmap_hugepage_range(k: Kctx, vma: vm_area_struct, start: number, end: number): void {
  const order = vma_order(vma);
  const size = huge_page_size(order);
  for (let a = Math.floor(start / size) * size; a < end; a += size) {
    const w = pt_walk(vma.vm_mm, a);
    if (w.level === 'pte' || w.entry === 0) continue;
    set_huge_pte_at(vma, a, order, 0);
    const page = pte_pfn(w.entry);
    page_remove_rmap(k, page, vma, true);
    put_page(k.m, page);
  }
}

export const hugetlb_vm_ops: vm_operations_struct = { name: 'hugetlb' };

/** hugetlbfs_file_mmap(file, vma) */
function* hugetlbfs_file_mmap(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  const order = f.f_inode.i_sb.huge_order;
  const pagesPerHuge = 2 ** order;
  if (vma.vm_pgoff % pagesPerHuge !== 0) return -EINVAL;
  vma.vm_flags |= VM_HUGETLB | VM_DONTEXPAND;
  vma.vm_ops = hugetlb_vm_ops;
  const len = vma.vm_end - vma.vm_start + vma.vm_pgoff * PAGE_SIZE;
  if (len > f.f_inode.i_size) f.f_inode.i_size = len;
  if (!(vma.vm_flags & VM_NORESERVE)) {
    // hugetlb_reserve_pages(): the pages not yet in the file (shared) or all (private) must be available.
    const n = (vma.vm_end - vma.vm_start) / huge_page_size(order);
    const have = vma.vm_flags & VM_MAYSHARE ? f.f_mapping.i_pages.size : 0;
    const need = Math.max(0, n - have);
    const r = resv_of(f.f_inode);
    if (hugetlb_free_count(k.m, order) - r.n < need) return -ENOMEM;
    r.n += need;
  }
  return 0;
}

/**
 * Last reference to an unlinked hugetlbfs file (MAP_HUGETLB's anonymous file, memfd
 * MFD_HUGETLB): hugetlbfs_evict_inode → remove_inode_hugepages, the folios go back
 * to the pool unless still referenced (pinned). Nothing maps it any more (VMAs hold
 * file references), so no unmapping is needed.
 */
function* hugetlbfs_release(k: Kctx, i: inode): KThread<number> {
  if (i.i_nlink === 0) {
    hugetlb_vmtruncate(k, i, 0, () => undefined);
    k.m.mappings.delete(i.i_mapping.id);
  }
  return 0;
}

export const hugetlbfs_file_operations: file_operations = {
  owner: 'hugetlbfs',
  mmap: hugetlbfs_file_mmap,
  release: hugetlbfs_release,
  fallocate: hugetlbfs_fallocate,
};

/** hugetlbfs (fs/hugetlbfs/inode.c hugetlbfs_fs_type): hugetlbfs_get_inode gives a regular inode hugetlbfs_file_operations. */
export const hugetlbfs_fs_type: file_system_type = {
  name: 'hugetlbfs',
  kind: 'hugetlbfs',
  init_reg_inode: (i) => {
    i.i_fop = hugetlbfs_file_operations;
  },
};

/** The internal hugetlbfs mount of an order (hugetlbfs_vfsmount[]). */
function hugetlbfs_vfsmount(k: Kctx, order: number): super_block {
  const key = `<hugetlbfs-${order}>`;
  let sb = k.m.mounts.get(key);
  if (!sb) {
    sb = { id: k.m.nextId('sb'), s_type: hugetlbfs_fs_type, s_id: key, dax: false, dax_region: null, huge_order: order, dax_alloc: null };
    k.m.mounts.set(key, sb);
  }
  return sb;
}

/**
 * hugetlb_file_setup(name, size, acctflag, creat_flags, page_size_log): an unlinked
 * hugetlbfs file of the hstate given by log2(page size) (0 = default 2 MiB); -EINVAL
 * for a size with no hstate.
 */
export function hugetlb_file_setup(k: Kctx, name: string, size: number, page_size_log: number): file | number {
  const order = page_size_log === 0 ? HPAGE_PMD_ORDER : page_size_log - 12;
  if (order !== HPAGE_PMD_ORDER && order !== HPAGE_PUD_ORDER) return -EINVAL;
  const i = new_inode(k.m, hugetlbfs_vfsmount(k, order), name, S_IFREG | 0o600, size);
  i.i_fop = hugetlbfs_file_operations;
  i.i_nlink = 0;
  return alloc_file(k, i, O_RDWR, hugetlbfs_file_operations);
}

/**
 * copy_hugetlb_page_range(dst, src) at fork: shared mappings share the folio (one
 * more file mapping); private ones share it write-protected (COW), except —
 * PATCH(hugetlb-fork-copy-pinned), 4eae4efa2c29 (v5.12; the PTE half 70e806e4e645 came in 5.9), in 6.1 through
 * page_try_dup_anon_rmap — a maybe-DMA-pinned anon folio, which the child gets a
 * copy of. With PATCH(anon-exclusive) a shared anon folio loses PageAnonExclusive.
 */
export function copy_hugetlb_page_range(k: Kctx, dst: vm_area_struct, src: vm_area_struct): number {
  const order = vma_order(src);
  const size = huge_page_size(order);
  const cow = (src.vm_flags & (VM_SHARED | VM_MAYWRITE)) === VM_MAYWRITE;
  const m = k.m;
  for (let a = src.vm_start; a < src.vm_end; a += size) {
    const w = pt_walk(src.vm_mm, a);
    if (w.level === 'pte' || w.entry === 0) continue;
    const page = pte_pfn(w.entry);
    let entry = w.entry;
    if (PageAnon(m, page)) {
      const pinned = src.vm_mm.has_pinned && page_maybe_dma_pinned(k, page);
      // PATCH(anon-exclusive) 6c287605fd56: only an exclusive pinned folio is copied
      // PATCH(hugetlb-fork-copy-pinned) 4eae4efa2c29: a pinned folio of a COW mapping is copied at fork
      const copy = k.patch('anon-exclusive') ? PageAnonExclusive(m, page) && pinned : k.patch('hugetlb-fork-copy-pinned') && cow && pinned;
      if (copy) {
        const np = alloc_huge_page(k, order);
        if (np === null) return -ENOMEM;
        copy_huge_page_content(m, np, page, order);
        anon_vma_prepare(k, dst);
        page_add_new_anon_rmap(k, np, dst, a, true);
        set_huge_pte_at(dst, a, order, make_huge_pte(dst, np, (dst.vm_flags & VM_WRITE) !== 0));
        k.m.event(k.tid, 'fork-copy', [page_label(np), page_label(page), `vma:${dst.id}`], 'mm/hugetlb.c:copy_hugetlb_page_range');
        continue;
      }
      // PATCH(anon-exclusive) 6c287605fd56: the shared folio loses PageAnonExclusive
      if (k.patch('anon-exclusive')) folio_set_anon_exclusive_all(m, page, false);
      get_page(m, page);
      m.mem.s_map[m.mem.slot_of(page)] += 1; // page_dup_rmap(compound)
    } else {
      get_page(m, page);
      page_add_file_rmap(k, page, dst, true);
    }
    if (cow && pte_write(entry)) {
      entry = make_huge_pte(src, page, false);
      set_huge_pte_at(src, a, order, entry);
    }
    set_huge_pte_at(dst, a, order, entry);
  }
  return 0;
}

/**
 * hugetlb_vmtruncate(inode, offset) (fs/hugetlbfs/inode.c): i_size first, then every
 * mapping beyond the new end is unmapped (private COW copies included) and the
 * folios are removed from the file (remove_inode_hugepages: the page cache's
 * reference goes; a folio still referenced — e.g. pinned — lives on until its last
 * reference). `unmap` is mm/truncate.ts unmap_mapping_range (passed to avoid an
 * import cycle). Caller holds inode_lock.
 */
export function hugetlb_vmtruncate(k: Kctx, i: inode, offset: number, unmap: (k: Kctx, mapping: file['f_mapping'], holebegin: number, holelen: number, even_cows: boolean) => void): number {
  const size = huge_page_size(i.i_sb.huge_order);
  if (offset % size) return -EINVAL;
  i.i_size = offset;
  const mapping = i.i_mapping;
  unmap(k, mapping, offset, 0, true);
  for (const idx of [...mapping.i_pages.keys()].sort((a, b) => a - b)) {
    if (idx * size < offset) continue;
    const page = mapping.i_pages.get(idx) as number;
    mapping.i_pages.delete(idx);
    mapping.nrpages--;
    k.m.mem.s_mapping[k.m.mem.slot_of(page)] = 0;
    put_page(k.m, page);
  }
  const r = resv_of(i);
  r.n = 0;
  return 0;
}

/**
 * hugetlb_vmdelete_list(root, start, end) (fs/hugetlbfs/inode.c, v5.4.1, 6.1.192,
 * 6.12.117): unmap file pages [start, end) (base-page offsets; end 0 = to the end)
 * from every VMA of the file — shared and private alike, so a private mapping's COW
 * copies in the range go too (unmap_hugepage_range zaps whatever the leaves hold).
 * Caller holds i_mmap_rwsem for write (MODEL: not modelled).
 * MODEL: 6.1/6.12 skip a VMA whose hugetlb VMA lock they cannot trylock; the model
 * has no such lock, so every VMA is unmapped.
 */
export function hugetlb_vmdelete_list(k: Kctx, mapping: file['f_mapping'], start: number, end: number): void {
  for (const vma of [...mapping.i_mmap]) {
    const vpages = (vma.vm_end - vma.vm_start) / PAGE_SIZE;
    if (vma.vm_pgoff + vpages <= start || (end !== 0 && vma.vm_pgoff >= end)) continue;
    const v_offset = vma.vm_pgoff < start ? (start - vma.vm_pgoff) * PAGE_SIZE : 0;
    const v_end = end === 0 ? vma.vm_end : Math.min(vma.vm_start + (end - vma.vm_pgoff) * PAGE_SIZE, vma.vm_end);
    if (vma.vm_start + v_offset < v_end) unmap_hugepage_range(k, vma, vma.vm_start + v_offset, v_end);
  }
}

/**
 * remove_inode_hugepages(inode, lstart, lend) for a hole punch (lend not LLONG_MAX):
 * each folio of the file in [lstart, lend) — bytes, huge-page aligned — is unmapped
 * again if something mapped it since the caller's unmap, then taken out of the page
 * cache: the cache's reference is dropped, and the folio returns to the pool only if
 * that was the last one (a GUP pin keeps it allocated, pinned and detached from the
 * file). hugetlb_unreserve_pages(inode, index, index + 1, 1) then drops the index's
 * reservation region.
 * MODEL: the per-inode reservation count cannot say which index a reservation
 * belongs to; the punched index's region held the page itself (no outstanding
 * reservation), so the count is unchanged. The per-batch cond_resched() is not a
 * scheduling point.
 */
function remove_inode_hugepages(k: Kctx, i: inode, lstart: number, lend: number): void {
  const size = huge_page_size(i.i_sb.huge_order);
  const mapping = i.i_mapping;
  const pages_per_huge = size / PAGE_SIZE;
  const start = lstart / size;
  const end = lend / size;
  for (const index of [...mapping.i_pages.keys()].sort((a, b) => a - b)) {
    if (index < start || index >= end) continue;
    const folio = mapping.i_pages.get(index) as number;
    // 5.4.1 inline / 6.x remove_inode_single_folio → hugetlb_unmap_file_folio: faulted in again meanwhile.
    if (folio_mapcount(k.m, folio) > 0) hugetlb_vmdelete_list(k, mapping, index * pages_per_huge, (index + 1) * pages_per_huge);
    // remove_huge_page (5.4.1) / hugetlb_delete_from_page_cache (6.x)
    mapping.i_pages.delete(index);
    mapping.nrpages--;
    k.m.mem.s_mapping[k.m.mem.slot_of(folio)] = 0;
    k.m.event(k.tid, 'truncate-pages', [page_label(folio), `file:${i.path}`], 'fs/hugetlbfs/inode.c:remove_inode_hugepages', { start: index, end: index + 1 });
    put_page(k.m, folio);
  }
}

/**
 * hugetlbfs_zero_partial_page(h, mapping, start, end) — only with
 * PATCH(hugetlbfs-punch-zero-partial) 68d32527d340 (v5.19; in 6.1.192 and 6.12.117):
 * the bytes [start, end) of the folio at start's index, if the file has one, read as
 * zeroes afterwards (every mapping sees it: the folio is zeroed in place).
 * MODEL: data tags are per 4 KiB subpage; a subpage only partly inside the range
 * keeps its tag.
 */
function hugetlbfs_zero_partial_page(k: Kctx, i: inode, start: number, end: number): void {
  const size = huge_page_size(i.i_sb.huge_order);
  const folio = i.i_mapping.i_pages.get(Math.floor(start / size));
  if (folio === undefined) return;
  const s = start % size;
  const e = end % size === 0 ? size : end % size;
  for (let sub = Math.ceil(s / PAGE_SIZE); (sub + 1) * PAGE_SIZE <= e; sub++) set_page_content(k.m, folio + sub, '');
}

/**
 * hugetlbfs_punch_hole(inode, offset, len): the hole is rounded inwards to whole huge
 * pages, [round_up(offset), round_down(offset + len)); those are unmapped from every
 * mapping (hugetlb_vmdelete_list) and removed from the file (remove_inode_hugepages);
 * i_size does not change. Always 0 here (the seal check's -EPERM is not modelled:
 * seals are not).
 * - v5.4.1: nothing at all (not even inode_lock) unless the hole holds a whole huge page.
 * - PATCH(hugetlbfs-punch-zero-partial) 68d32527d340: inode_lock is always taken, and
 *   the partial huge pages at either edge are zeroed in place (hugetlbfs_zero_partial_page).
 */
function* hugetlbfs_punch_hole(k: Kctx, i: inode, offset: number, len: number): KThread<number> {
  const hpage_size = huge_page_size(i.i_sb.huge_order);
  const hole_start = Math.ceil(offset / hpage_size) * hpage_size;
  const hole_end = Math.floor((offset + len) / hpage_size) * hpage_size;
  const site = 'fs/hugetlbfs/inode.c:hugetlbfs_punch_hole';
  const mapping = i.i_mapping;
  // PATCH(hugetlbfs-punch-zero-partial): 68d32527d340 restructured the function around the partial pages.
  if (!k.patch('hugetlbfs-punch-zero-partial')) {
    if (hole_end > hole_start) {
      yield* down_write(k, i.i_rwsem, site);
      hugetlb_vmdelete_list(k, mapping, hole_start / PAGE_SIZE, hole_end / PAGE_SIZE);
      remove_inode_hugepages(k, i, hole_start, hole_end);
      up_write(k, i.i_rwsem, site);
    }
    return 0;
  }
  yield* down_write(k, i.i_rwsem, site);
  if (offset < hole_start) hugetlbfs_zero_partial_page(k, i, offset, Math.min(offset + len, hole_start));
  if (hole_end > hole_start) hugetlb_vmdelete_list(k, mapping, hole_start / PAGE_SIZE, hole_end / PAGE_SIZE);
  if (offset + len > hole_end && offset + len > hole_start) hugetlbfs_zero_partial_page(k, i, hole_end, offset + len);
  if (hole_end > hole_start) remove_inode_hugepages(k, i, hole_start, hole_end);
  up_write(k, i.i_rwsem, site);
  return 0;
}

/**
 * hugetlbfs_fallocate(file, mode, offset, len) (fs/hugetlbfs/inode.c; same rules in
 * v5.4.1, 6.1.192 and 6.12.117). Reached through vfs_fallocate, which has already
 * refused len <= 0, offset < 0, PUNCH_HOLE without KEEP_SIZE and a file not open for
 * writing.
 * - A mode bit other than KEEP_SIZE / PUNCH_HOLE → -EOPNOTSUPP.
 * - PUNCH_HOLE → hugetlbfs_punch_hole.
 * - Otherwise preallocate: huge page indices [offset / size, ceil((offset + len) /
 *   size)) (rounded outwards), inode_lock held; per index: cond_resched(); a pending
 *   signal → -EINTR (what was allocated stays, i_size is still updated); a folio
 *   already in the file is kept; else alloc_huge_page (an inode reservation is
 *   consumed if there is one) — none free → -ENOSPC at once, without the i_size
 *   update; the zeroed folio joins the page cache. Finally i_size grows to
 *   offset + len unless KEEP_SIZE.
 * MODEL: inode_newsize_ok (RLIMIT_FSIZE, s_maxbytes → -EFBIG) and the F_SEAL_GROW
 * check (-EPERM) are not modelled; the pool is not split between reserved and
 * unreserved folios (a fallocate can take a folio another file's mapping reserved).
 */
function* hugetlbfs_fallocate(k: Kctx, f: file, mode: number, offset: number, len: number): KThread<number> {
  const i = f.f_inode;
  if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return -EOPNOTSUPP;
  if (mode & FALLOC_FL_PUNCH_HOLE) return yield* hugetlbfs_punch_hole(k, i, offset, len);
  const order = i.i_sb.huge_order;
  const hpage_size = huge_page_size(order);
  const start = Math.floor(offset / hpage_size);
  const end = Math.ceil((offset + len) / hpage_size);
  const site = 'fs/hugetlbfs/inode.c:hugetlbfs_fallocate';
  const mapping = i.i_mapping;
  yield* down_write(k, i.i_rwsem, site);
  let error = 0;
  out: {
    for (let index = start; index < end; index++) {
      yield* cond_resched(k, site);
      if (signal_pending(k)) {
        error = -EINTR;
        break;
      }
      if (mapping.i_pages.has(index)) continue;
      const folio = alloc_huge_page(k, order);
      if (folio === null) {
        error = -ENOSPC;
        break out;
      }
      const r = resv_of(i);
      if (r.n > 0) r.n--;
      // hugetlb_add_to_page_cache(): the cache takes a reference; alloc's reference is put after.
      const mem = k.m.mem;
      const s = mem.slot_of(folio);
      mem.s_mapping[s] = mapping.id;
      mem.s_index[s] = index;
      get_page(k.m, folio);
      mapping.i_pages.set(index, folio);
      mapping.nrpages++;
      put_page(k.m, folio);
    }
    if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + len > i.i_size) i.i_size = offset + len;
  }
  up_write(k, i.i_rwsem, site);
  return error;
}
