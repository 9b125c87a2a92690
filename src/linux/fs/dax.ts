/**
 * fs/dax.c (v5.4.1, Debian 6.1.192, Debian 6.12.117): DAX mappings of files on
 * persistent memory — the PTE fault path (dax_iomap_pte_fault: insert the pmem pfn
 * as a devmap PTE, a hole read maps the zero page, a private write copies into
 * do_cow_fault's page), the mapping's DAX entries, and dax_layout_busy_page().
 *
 * dax_layout_busy_page(mapping) (all three trees, dax_layout_busy_page_range in
 * 6.x): nothing to do unless the mapping is DAX *and still mmapped*
 * (mapping_mapped); otherwise unmap every mapping of the file, then return the first
 * page of a DAX entry whose refcount is above 1 (dax_busy_page: an idle fs-DAX page
 * has refcount 1; a GUP reference or pin raises it). Debian 6.1.192 and 6.12.117
 * still test page_ref_count(page) > 1, exactly like 5.4.1.
 *
 * fs-DAX pages: ZONE_DEVICE frames of the mount's pmem region; a file block is a
 * pfn. The page (struct page) gets a mem_map slot with refcount 1 and PG_reserved
 * (memmap init of ZONE_DEVICE, mm/page_alloc.ts __init_zone_device_page) when the
 * block is allocated; mapping it into page tables takes no reference (devmap PTEs
 * are special), only GUP does. PageReserved matters to VFIO only
 * (is_invalid_reserved_pfn: not charged to locked_vm, never released by put_pfn);
 * GUP and io_uring do not look at it in any modelled release.
 *
 * dax_iomap_pmd_fault(vmf) (5.4.1, 5.5-rc5, 5.6.4, Debian 6.1.192, 6.12.117; CONFIG_FS_DAX_PMD,
 * on for x86-64): a 2 MiB fault maps one devmap PMD of the file's blocks when the address
 * and the file offset have the same colour within 2 MiB, the fault is not a private write
 * (that falls back to PTEs and COW), the 2 MiB range lies inside the VMA and inside i_size,
 * no 4 KiB DAX entry of the range exists (grab_mapping_entry), and the file system returns
 * one extent of at least 2 MiB whose first pfn is 2 MiB aligned (ext4_iomap_begin,
 * dax_iomap_pfn / dax_iomap_direct_access). Otherwise VM_FAULT_FALLBACK after
 * split_huge_pmd(), and the PTE path runs. 5.4.1 tests the PMD-outside-VMA and colour
 * conditions before the "index beyond EOF → SIGBUS" check, 6.x after it: the fault ends in
 * SIGBUS either way (the PTE fault refuses the same index), so the model keeps one order.
 *
 * A read PMD fault over a whole 2 MiB hole maps the huge zero page (dax_pmd_load_hole below).
 * MODEL: no PUD DAX faults; blocks are allocated one page at a time from the
 * mount's region (ext4's mballoc goals, normalisation and the journal are not modelled: a
 * write PMD fault allocates the hole's blocks in order and gets a PMD only if they come out
 * contiguous and 2 MiB aligned);
 * a shared write to a read-only DAX PTE comes back here through ->pfn_mkwrite (devmap and
 * zero-page PTEs; wp_pfn_shared) or ->page_mkwrite (v6.15's plain PTEs): the same block is
 * made writable, the zero page of a hole is replaced by a newly allocated block (before this
 * was modelled the write went into the zero page); no MAP_SYNC.
 *
 * From v6.15 (6.18.26 fs/dax.c, mm/memory.c insert_page, mm/huge_memory.c insert_pmd,
 * mm/memremap.c free_zone_device_folio, mm/mm_init.c __init_zone_device_page), PATCH(fsdax-refcounted-folios)
 * 38607c62b34b: an fs-DAX page starts (and is idle) at refcount 0; a new DAX entry gives its
 * folio the file's mapping and index (dax_associate_entry), a PMD entry first making the
 * 512 pages one order-9 folio (dax_folio_init); the fault holds a temporary folio reference
 * around the insert (dax_fault_iter) and maps with vmf_insert_page_mkwrite() /
 * vmf_insert_folio_pmd(): a plain PTE/PMD (neither special nor devmap) that takes a folio
 * reference and a map count, or, on an entry already present, only makes it writable for a
 * write. Removing the entry (dax_disassociate_entry → dax_folio_put) clears the mapping and
 * splits a PMD folio back into order-0 pages. dax_busy_page() is busy when the folio's
 * references exceed its map count; dax_page_is_idle() is refcount 0. The zero page of a
 * hole is inserted special, as before; the huge zero folio as a special PMD.
 * MODEL: reflink sharing (folio->share, IOMAP_F_SHARED) is not modelled (ext4 has none).
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import { WARN_ON_ONCE } from '../include/linux/bug.js';
import type { address_space, inode, super_block } from '../include/linux/fs.js';
import { IS_DAX } from '../include/linux/fs.js';
import type { vm_fault } from '../include/linux/mm_types.js';
import {
  PAGE_SIZE, PMD_SIZE, PTRS_PER_PTE, PG_reserved, _PAGE_DEVMAP, _PAGE_DIRTY, _PAGE_PSE, _PAGE_RW, _PAGE_SPECIAL, mk_pte, pmd_leaf, pte_mkdirty,
  pte_mkyoung, pte_pfn,
} from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_WRITE, VM_FAULT_DONE_COW, VM_FAULT_FALLBACK, VM_FAULT_NOPAGE, VM_FAULT_SIGBUS, VM_SHARED, VM_WRITE, compound_head, copy_page_content,
  folio_mapcount, get_page, page_label, page_ref_count, pt_walk, pte_at, set_page_content, set_pmd_at, set_pte_at,
} from '../include/linux/mm.js';
import { __split_huge_pmd, is_huge_zero_pmd, mm_get_huge_zero_page } from '../mm/huge_memory.js';
import { maybe_mkwrite, vma_page_prot, vmf_insert_page_mkwrite } from '../mm/memory.js';
import { page_add_file_rmap, page_add_new_anon_rmap } from '../mm/rmap.js';
import { anon_vma_prepare } from '../mm/rmap.js';
import { __init_zone_device_page } from '../mm/page_alloc.js';
import { PG_lru, PG_uptodate } from '../include/linux/mm_types.js';

/** Allocate one pmem block (pfn) on a DAX mount, or null when the region is full (ENOSPC). */
export function dax_alloc_block(m: Machine, sb: super_block): number | null {
  const a = sb.dax_alloc;
  if (!a) throw new Error('pinlab bug: dax_alloc_block on a non-DAX mount');
  let pfn = a.free.pop();
  if (pfn === undefined) {
    if (a.next >= a.end) return null;
    pfn = a.next++;
  }
  // The fs-DAX page's struct page: PageReserved like every ZONE_DEVICE page
  // (mm/page_alloc.ts __init_zone_device_page), idle at refcount 1, or 0 from v6.15.
  // MODEL: memmap init is done lazily, when a block is first allocated; a block freed and allocated
  // again keeps its struct page as it is (memmap init runs once per device page; block allocation
  // never touches the refcount), so a reference taken before a truncate freed the block stays.
  const mem = m.mem;
  const first = mem.slot_of(pfn) === 0;
  const s = __init_zone_device_page(m, pfn);
  if (first) mem.s_ref[s] = dax_idle_refcount(m);
  // The new block reads as zeroes (ext4 allocates DAX blocks zeroed).
  mem.s_content[s] = 0;
  return pfn;
}

/** Give a block back to the mount (ext4_free_blocks on truncate / hole punch). */
export function dax_free_block(m: Machine, sb: super_block, pfn: number): void {
  const a = sb.dax_alloc;
  if (!a) throw new Error('pinlab bug: dax_free_block on a non-DAX mount');
  a.free.push(pfn);
  m.event(null, 'dax-block-free', [page_label(pfn)], 'fs/ext4/extents.c:ext4_free_blocks');
}

/** dax_mapping(mapping) */
export function dax_mapping(mapping: address_space): boolean {
  return IS_DAX(mapping.host);
}

/** mapping_mapped(mapping): some VMA maps the file. */
export function mapping_mapped(mapping: address_space): boolean {
  return mapping.i_mmap.size > 0;
}

/**
 * The refcount of an idle fs-DAX page: 1 (5.4.1 .. 6.12.118: memmap init's reference), 0 from
 * v6.15 (6.18.26 __init_zone_device_page sets MEMORY_DEVICE_FS_DAX pages to 0; dax_page_is_idle).
 */
export function dax_idle_refcount(m: Machine): number {
  // PATCH(fsdax-refcounted-folios) 38607c62b34b: fs-DAX pages are idle at refcount 0
  return m.profile.patches.has('fsdax-refcounted-folios') ? 0 : 1;
}

/** dax_page_is_idle(page) (6.18.26 include/linux/dax.h; before: the refcount back at 1, ext4_break_layouts). */
export function dax_page_is_idle(m: Machine, page: number): boolean {
  return page_ref_count(m, page) === dax_idle_refcount(m);
}

/**
 * dax_busy_page(entry): the entry's page if its refcount is above the idle 1 (5.4.1 ..
 * 6.12.118), or (v6.15, PATCH(fsdax-refcounted-folios)) if the folio has references beyond its map count.
 */
function dax_busy_page(k: Kctx, pfn: number): number | null {
  // PATCH(fsdax-refcounted-folios) 38607c62b34b: busy = folio_ref_count - folio_mapcount
  if (k.patch('fsdax-refcounted-folios')) {
    const head = compound_head(k.m, pfn);
    return page_ref_count(k.m, head) - folio_mapcount(k.m, head) !== 0 ? head : null;
  }
  return page_ref_count(k.m, pfn) > 1 ? pfn : null;
}

/**
 * dax_layout_busy_page(mapping): see the file header. The unmap is
 * unmap_mapping_pages(mapping, 0, all, 0) — `unmap` is passed in to avoid an
 * import cycle with mm/truncate.ts.
 */
export function dax_layout_busy_page(k: Kctx, mapping: address_space, unmap: (k: Kctx, mapping: address_space, start: number, nr: number, even_cows: boolean) => void): number | null {
  if (!dax_mapping(mapping)) return null;
  // PATCH(dax-busy-page-unmapped) cee91fa13a8e: no early return for a file nobody maps (v6.15)
  if (!k.patch('dax-busy-page-unmapped') && !mapping_mapped(mapping)) return null;
  unmap(k, mapping, 0, Number.MAX_SAFE_INTEGER, false);
  for (const index of [...mapping.i_pages.keys()].sort((a, b) => a - b)) {
    const page = dax_busy_page(k, mapping.i_pages.get(index) as number);
    if (page !== null) return page;
  }
  return null;
}

/**
 * dax_delete_mapping_range(mapping, 0, LLONG_MAX) (6.18.26, from PATCH(dax-break-layouts-remove-entries)
 * bde708f1a65d): dax_break_layout() removes every DAX entry of the file once no page is busy.
 */
export function dax_delete_mapping_range(k: Kctx, mapping: address_space): void {
  for (const index of [...mapping.i_pages.keys()].sort((a, b) => a - b)) {
    if (mapping.i_pages.has(index)) dax_delete_mapping_entry(k, mapping, index);
  }
}

/** dax_insert_entry(): the mapping's entry for `index` is the block's pfn; the page learns its owner. */
function dax_insert_entry(k: Kctx, mapping: address_space, index: number, pfn: number): void {
  const fresh = !mapping.i_pages.has(index);
  if (fresh) mapping.nrpages++;
  mapping.i_pages.set(index, pfn);
  // PATCH(fsdax-refcounted-folios) 38607c62b34b: dax_associate_entry() only for a new entry (the PTE fault's)
  if (k.patch('fsdax-refcounted-folios') && !fresh) return;
  const mem = k.m.mem;
  const s = mem.slot_of(pfn);
  mem.s_mapping[s] = mapping.id;
  mem.s_index[s] = index;
}

/**
 * dax_insert_entry() of a new PMD entry from v6.15 (PATCH(fsdax-refcounted-folios)):
 * dax_associate_entry → dax_folio_init makes the 512 idle order-0 pages one order-9 folio
 * (prep_compound_page: head refcount 0, every page keeping PG_reserved and its data), then
 * sets the folio's mapping and index. The per-index entries stay for the model's lookups.
 */
function dax_insert_pmd_entry__v6_15(k: Kctx, mapping: address_space, index: number, pfn: number): void {
  const m = k.m;
  const mem = m.mem;
  const content: number[] = [];
  for (let j = 0; j < PTRS_PER_PTE; j++) {
    const s = mem.slot_of(pfn + j);
    WARN_ON_ONCE(k, s === 0 || mem.s_order[s] !== 0 || mem.s_ref[s] !== 0, 'fs/dax.c:dax_folio_init', `pfn:${pfn + j} is not an idle order-0 page`);
    content.push(s === 0 ? 0 : mem.s_content[s]);
    if (s !== 0) mem.dropSlot(s);
  }
  const h = mem.newSlot(pfn, 9);
  mem.s_flags[h] |= PG_reserved;
  mem.s_mapping[h] = mapping.id;
  mem.s_index[h] = index;
  for (let j = 0; j < PTRS_PER_PTE; j++) if (content[j] !== 0) mem.sub_content.set(pfn + j, content[j]);
  for (let j = 0; j < PTRS_PER_PTE; j++) {
    if (!mapping.i_pages.has(index + j)) mapping.nrpages++;
    mapping.i_pages.set(index + j, pfn + j);
  }
}

/**
 * dax_folio_put() of a PMD entry's folio (v6.15, PATCH(fsdax-refcounted-folios)): the folio
 * loses its mapping and is split back into 512 order-0 pages, keeping their data; a folio still
 * referenced WARNs, and page 0 keeps those references (6.18.26 resets no count).
 */
function dax_folio_split__v6_15(k: Kctx, head: number): void {
  const mem = k.m.mem;
  const h = mem.slot_of(head);
  if (h === 0 || mem.s_order[h] === 0) return;
  const n = 2 ** mem.s_order[h];
  WARN_ON_ONCE(k, mem.s_ref[h] !== 0, 'fs/dax.c:dax_folio_put', `pfn:${head} still has ${mem.s_ref[h]} references`);
  // Nothing resets a count: page 0 (the old head) keeps the folio's references, the other pages
  // their own (0), and the pincount goes with the compound layout.
  const refs = mem.s_ref[h];
  const content: number[] = [];
  for (let j = 0; j < n; j++) content.push(mem.sub_content.get(head + j) ?? mem.s_content[h]);
  mem.dropSlot(h);
  for (let j = 0; j < n; j++) {
    const s = mem.newSlot(head + j, 0);
    mem.s_flags[s] = PG_reserved;
    mem.s_content[s] = content[j];
    if (j === 0) mem.s_ref[s] = refs;
  }
}

/** dax_delete_mapping_entry(mapping, index) (truncate): a PMD entry goes whole (it is one multi-index xarray entry). */
export function dax_delete_mapping_entry(k: Kctx, mapping: address_space, index: number): void {
  const base = index - (index % PTRS_PER_PTE);
  if (mapping.dax_pmd_entries.has(base)) {
    mapping.dax_pmd_entries.delete(base);
    const head = mapping.i_pages.get(base);
    for (let j = 0; j < PTRS_PER_PTE; j++) dax_delete_one(k, mapping, base + j);
    // PATCH(fsdax-refcounted-folios) 38607c62b34b: dax_folio_put() splits the PMD folio
    if (k.patch('fsdax-refcounted-folios') && head !== undefined) dax_folio_split__v6_15(k, head);
    return;
  }
  dax_delete_one(k, mapping, index);
}

function dax_delete_one(k: Kctx, mapping: address_space, index: number): void {
  const pfn = mapping.i_pages.get(index);
  if (pfn === undefined) return;
  // dax_disassociate_entry(entry, mapping, trunc) of a truncate (read in 5.4.1, 6.1.192 and 6.12):
  // WARN_ON_ONCE when the page is still referenced beyond its idle 1 (the truncate collided with a busy page).
  // PATCH(fsdax-refcounted-folios) 38607c62b34b: 6.18.26 calls dax_folio_put() instead, which WARNs only
  // while splitting a large folio (dax_folio_split__v6_15).
  if (!k.patch('fsdax-refcounted-folios')) WARN_ON_ONCE(k, page_ref_count(k.m, pfn) > 1, 'fs/dax.c:dax_disassociate_entry', `truncate of pfn:${pfn} while it is still referenced (refcount ${page_ref_count(k.m, pfn)})`);
  mapping.i_pages.delete(index);
  mapping.nrpages--;
  const mem = k.m.mem;
  const s = mem.slot_of(pfn);
  if (s !== 0) mem.s_mapping[s] = 0;
}

/** The block backing page `index` of an fs-DAX inode, allocating it for a write (iomap_begin with IOMAP_WRITE). */
export function dax_block(k: Kctx, i: inode, index: number, write: boolean): number | null | 'ENOSPC' {
  const b = i.dax_blocks.get(index);
  if (b !== undefined) return b;
  if (!write) return null;
  const pfn = dax_alloc_block(k.m, i.i_sb);
  if (pfn === null) return 'ENOSPC';
  i.dax_blocks.set(index, pfn);
  return pfn;
}

/**
 * dax_iomap_pte_fault(vmf) reached through ext4_dax_huge_fault(PE_SIZE_PTE) with
 * invalidate_lock (5.4: i_mmap_sem) held for read by the caller (fs/ext4/file.ts).
 */
export function* dax_iomap_pte_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const vma = vmf.vma;
  const f = vma.vm_file;
  if (!f) return VM_FAULT_SIGBUS;
  const i = f.f_inode;
  const mapping = f.f_mapping;
  if (vmf.pgoff >= Math.ceil(i.i_size / PAGE_SIZE)) return VM_FAULT_SIGBUS;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  const mm = vma.vm_mm;
  // A present PTE: a read has nothing to do; a write (->page_mkwrite / ->pfn_mkwrite) makes it
  // writable below (vmf_insert_mixed_mkwrite / vmf_insert_page_mkwrite on a present entry).
  if (pt_walk(mm, vmf.address).entry !== 0 && vmf.cow_page === null && !write) return VM_FAULT_NOPAGE;
  if (vmf.cow_page !== null) {
    // Private write: copy the block (or zeroes for a hole) into do_cow_fault's page and map it.
    const b = dax_block(k, i, vmf.pgoff, false);
    const cow = vmf.cow_page;
    if (typeof b === 'number') copy_page_content(k.m, cow, b);
    else set_page_content(k.m, cow, '');
    k.m.mem.s_flags[k.m.mem.slot_of(cow)] |= PG_uptodate | PG_lru;
    anon_vma_prepare(k, vma);
    const e = mk_pte(cow, vma_page_prot(vma) | _PAGE_DIRTY | (vma.vm_flags & VM_WRITE ? _PAGE_RW : 0));
    page_add_new_anon_rmap(k, cow, vma, vmf.address, false);
    set_pte_at(mm, vmf.address, e);
    return VM_FAULT_DONE_COW;
  }
  const b = dax_block(k, i, vmf.pgoff, write && (vma.vm_flags & VM_SHARED) !== 0);
  if (b === 'ENOSPC') return VM_FAULT_SIGBUS;
  if (b === null) {
    // dax_load_hole(): a read of a hole maps the zero page read-only.
    set_pte_at(mm, vmf.address, mk_pte(k.m.mem.zero_pfn, vma_page_prot(vma) & ~_PAGE_RW | _PAGE_SPECIAL));
    return VM_FAULT_NOPAGE;
  }
  // dax_insert_entry() over the zero page of a hole: unmap_mapping_pages() of that index first.
  // MODEL: only this mm's zero PTE (the model keeps no DAX zero entries).
  const cur = pte_at(mm, vmf.address);
  if (cur !== 0 && pte_pfn(cur) === k.m.mem.zero_pfn) set_pte_at(mm, vmf.address, 0);
  dax_insert_entry(k, mapping, vmf.pgoff, b);
  // PATCH(fsdax-refcounted-folios) 38607c62b34b: vmf_insert_page_mkwrite() instead of a devmap pfn
  if (k.patch('fsdax-refcounted-folios')) return dax_insert_page__v6_15(k, vmf, b, write);
  const now = pte_at(mm, vmf.address);
  if (now !== 0) {
    // insert_pfn(mkwrite) on a present entry of the same pfn: young, dirty, writable (if VM_WRITE).
    if (pte_pfn(now) === b) set_pte_at(mm, vmf.address, maybe_mkwrite(pte_mkdirty(pte_mkyoung(now)), vma));
    return VM_FAULT_NOPAGE;
  }
  let prot = vma_page_prot(vma) | _PAGE_SPECIAL | _PAGE_DEVMAP;
  if (write) prot |= _PAGE_RW | _PAGE_DIRTY;
  set_pte_at(mm, vmf.address, mk_pte(b, prot));
  k.m.event(k.tid, 'dax-map', [page_label(b), `vma:${vma.id}`, `file:${i.path}`], 'fs/dax.c:dax_iomap_pte_fault', vmf.pgoff);
  return VM_FAULT_NOPAGE;
}

/**
 * dax_fault_iter()'s insert from v6.15: vmf_insert_page_mkwrite() (mm/memory.ts). The folio
 * reference dax_fault_iter holds around it is taken and dropped inside one step, under the
 * locked DAX entry and the invalidate_lock, so nobody sees it.
 */
function dax_insert_page__v6_15(k: Kctx, vmf: vm_fault, pfn: number, write: boolean): vm_fault_t {
  const r = vmf_insert_page_mkwrite(k, vmf, pfn, write);
  k.m.event(k.tid, 'dax-map', [page_label(pfn), `vma:${vmf.vma.id}`, `file:${(vmf.vma.vm_file as NonNullable<typeof vmf.vma.vm_file>).f_inode.path}`], 'fs/dax.c:dax_iomap_pte_fault', vmf.pgoff);
  return r;
}

/**
 * vmf_insert_folio_pmd(vmf, folio, write) (6.18.26 mm/huge_memory.c insert_pmd) for the
 * folio of a DAX PMD entry (fs-DAX from v6.15, device-DAX from v6.15): an empty PMD gets a
 * plain huge leaf with a folio reference and an entire map count, young, dirty and writable
 * (if VM_WRITE) for a write; a present leaf is only made writable for a write of the same
 * pfn; the huge zero PMD of a 2 MiB hole read is replaced (dax_insert_entry unmapped the zero
 * entry; MODEL: in this mm only).
 */
export function insert_folio_pmd__v6_15(k: Kctx, vma: vm_fault['vma'], haddr: number, pfn: number, write: boolean): vm_fault_t {
  const mm = vma.vm_mm;
  const t = mm.pgd.pmd.get(haddr / PMD_SIZE);
  let cur = typeof t === 'number' ? t : 0;
  if (cur !== 0 && pte_pfn(cur) !== pfn) {
    if (!write) return VM_FAULT_NOPAGE;
    if (WARN_ON_ONCE(k, !is_huge_zero_pmd(k, cur), 'mm/huge_memory.c:insert_pmd', 'a different pfn is mapped')) return VM_FAULT_NOPAGE;
    set_pmd_at(mm, haddr, 0);
    cur = 0;
  }
  if (cur !== 0) {
    if (write) set_pmd_at(mm, haddr, maybe_mkwrite(pte_mkdirty(pte_mkyoung(cur)), vma));
    return VM_FAULT_NOPAGE;
  }
  get_page(k.m, pfn);
  page_add_file_rmap(k, pfn, vma, true);
  let e = mk_pte(pfn, vma_page_prot(vma) | _PAGE_PSE);
  if (write) e = maybe_mkwrite(pte_mkdirty(pte_mkyoung(e)), vma);
  set_pmd_at(mm, haddr, e);
  return VM_FAULT_NOPAGE;
}

/** PG_PMD_COLOUR: page offset within a 2 MiB block. */
const PG_PMD_COLOUR = PTRS_PER_PTE - 1;

/** dax_fault_check_fallback() (6.x; inline in 5.4.1's dax_iomap_pmd_fault): true → use PTEs. */
function dax_fault_check_fallback(vmf: vm_fault, index: number, max_pgoff: number): boolean {
  const vma = vmf.vma;
  const pmd_addr = Math.floor(vmf.address / PMD_SIZE) * PMD_SIZE;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  if ((vmf.pgoff & PG_PMD_COLOUR) !== (Math.floor(vmf.address / PAGE_SIZE) & PG_PMD_COLOUR)) return true;
  if (write && !(vma.vm_flags & VM_SHARED)) return true;
  if (pmd_addr < vma.vm_start || pmd_addr + PMD_SIZE > vma.vm_end) return true;
  if ((index | PG_PMD_COLOUR) >= max_pgoff) return true;
  return false;
}

/**
 * The extent ext4_iomap_begin() reports for a 2 MiB DAX fault at page `index`: the run of
 * blocks from `index` that are allocated and physically consecutive ('mapped'), or the run
 * of unallocated ones ('hole'), each capped at 512 pages. With IOMAP_WRITE a hole is
 * allocated first (ext4_iomap_alloc, EXT4_GET_BLOCKS_CREATE_ZERO: zeroed blocks).
 * null: the allocation failed (ENOSPC; the PMD fault falls back and the PTE fault reports it).
 */
function dax_pmd_iomap(k: Kctx, i: inode, index: number, write: boolean): { type: 'mapped' | 'hole'; pfn: number; length: number } | null {
  const first = i.dax_blocks.get(index);
  if (first === undefined) {
    let h = 0;
    while (h < PTRS_PER_PTE && !i.dax_blocks.has(index + h)) h++;
    if (!write) return { type: 'hole', pfn: 0, length: h };
    for (let j = 0; j < h; j++) if (dax_block(k, i, index + j, true) === 'ENOSPC') return null;
    return dax_pmd_iomap(k, i, index, false);
  }
  let n = 1;
  while (n < PTRS_PER_PTE && i.dax_blocks.get(index + n) === first + n) n++;
  return { type: 'mapped', pfn: first, length: n };
}

/** The PMD slot at haddr holds nothing (no leaf, no PTE table with entries). */
function dax_pmd_none(vma: vm_fault['vma'], haddr: number): boolean {
  const t = vma.vm_mm.pgd.pmd.get(haddr / PMD_SIZE);
  return t === undefined || (typeof t !== 'number' && t.count === 0);
}

/**
 * dax_pmd_load_hole(xas, vmf, iter, entry) (5.4.1, Debian 6.1.192, 6.12.117): a read PMD
 * fault over a whole 2 MiB hole maps the huge zero page (mm_get_huge_zero_page: the mm's
 * reference; mm/huge_memory.ts) read-only with a plain huge PMD (neither devmap nor
 * special), if the PMD is still empty. Returns VM_FAULT_NOPAGE, or null for the fallback
 * (no huge zero page, or the PMD is populated).
 * MODEL: the DAX_PMD | DAX_ZERO_PAGE entry the kernel stores in the mapping is not kept
 * (as for dax_load_hole's 4 KiB zero entries): a later write fault replaces the PMD and
 * inserts the blocks' entry, which is what the kernel's zero-entry downgrade ends in.
 */
function dax_pmd_load_hole(k: Kctx, vmf: vm_fault, haddr: number): vm_fault_t | null {
  const vma = vmf.vma;
  const zero = mm_get_huge_zero_page(k, vma.vm_mm);
  if (zero === null) return null;
  if (vma.vm_mm.pgd.pmd.has(haddr / PMD_SIZE)) return null;
  // mk_pmd(zero, vm_page_prot): a DAX file mapping's vm_page_prot is never writable for a
  // shared writable mapping (->page_mkwrite / ->pfn_mkwrite ask for write notification).
  set_pmd_at(vma.vm_mm, haddr, mk_pte(zero, (vma_page_prot(vma) & ~_PAGE_RW) | _PAGE_PSE));
  k.m.event(k.tid, 'huge-zero-map', [page_label(zero), `vma:${vma.id}`], 'fs/dax.c:dax_pmd_load_hole');
  return VM_FAULT_NOPAGE;
}

/**
 * dax_iomap_pmd_fault(vmf) reached through ext4_dax_huge_fault(PE_SIZE_PMD) with
 * invalidate_lock (5.4: i_mmap_sem) held for read by the caller (fs/ext4.ts). See the
 * file header for when it maps a PMD.
 */
export function* dax_iomap_pmd_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const vma = vmf.vma;
  const f = vma.vm_file;
  if (!f) return VM_FAULT_SIGBUS;
  const i = f.f_inode;
  const mapping = f.f_mapping;
  const write = (vmf.flags & FAULT_FLAG_WRITE) !== 0;
  const max_pgoff = Math.ceil(i.i_size / PAGE_SIZE);
  // XA_STATE_ORDER(..., PMD_ORDER): the entry's index is the fault's, rounded down to 512.
  const index = vmf.pgoff - (vmf.pgoff & PG_PMD_COLOUR);
  const haddr = Math.floor(vmf.address / PMD_SIZE) * PMD_SIZE;
  if (index >= max_pgoff) return VM_FAULT_SIGBUS;
  fallback: {
    if (dax_fault_check_fallback(vmf, index, max_pgoff)) break fallback;
    // grab_mapping_entry(PMD_ORDER): a 4 KiB entry inside the range forces PTEs.
    if (!mapping.dax_pmd_entries.has(index)) {
      for (let j = 0; j < PTRS_PER_PTE; j++) if (mapping.i_pages.has(index + j)) break fallback;
    }
    // Raced with a PTE fault that built a page table here: return, the access refaults on PTEs.
    const t = vma.vm_mm.pgd.pmd.get(haddr / PMD_SIZE);
    if (!dax_pmd_none(vma, haddr) && !(typeof t === 'number' && pmd_leaf(t))) return 0;
    const iomap = dax_pmd_iomap(k, i, index, write);
    if (iomap === null || iomap.length < PTRS_PER_PTE) break fallback;
    if (iomap.type === 'hole') {
      const r = dax_pmd_load_hole(k, vmf, haddr);
      if (r !== null) return r;
      break fallback;
    }
    // dax_iomap_pfn / dax_iomap_direct_access: a PMD needs a 2 MiB-aligned pfn.
    if (iomap.pfn & PG_PMD_COLOUR) break fallback;
    // dax_insert_entry(..., DAX_PMD): one entry for the 512 pages.
    if (!mapping.dax_pmd_entries.has(index)) {
      mapping.dax_pmd_entries.add(index);
      // PATCH(fsdax-refcounted-folios) 38607c62b34b: a new PMD entry makes one order-9 folio (dax_folio_init)
      if (k.patch('fsdax-refcounted-folios')) dax_insert_pmd_entry__v6_15(k, mapping, index, iomap.pfn);
      else for (let j = 0; j < PTRS_PER_PTE; j++) dax_insert_entry(k, mapping, index + j, iomap.pfn + j);
    }
    // PATCH(fsdax-refcounted-folios) 38607c62b34b: vmf_insert_folio_pmd() instead of a devmap pfn
    if (k.patch('fsdax-refcounted-folios')) {
      const r = insert_folio_pmd__v6_15(k, vma, haddr, iomap.pfn, write);
      k.m.event(k.tid, 'dax-map', [page_label(iomap.pfn), `vma:${vma.id}`, `file:${i.path}`], 'fs/dax.c:dax_iomap_pmd_fault', index);
      return r;
    }
    // vmf_insert_pfn_pmd(vmf, pfn, write): a devmap PMD leaf, no page reference.
    let prot = vma_page_prot(vma) | _PAGE_SPECIAL | _PAGE_DEVMAP | _PAGE_PSE;
    if (write) prot |= _PAGE_RW | _PAGE_DIRTY;
    const old = typeof t === 'number' ? t : 0;
    if (old !== 0 && !write) return VM_FAULT_NOPAGE;
    set_pmd_at(vma.vm_mm, haddr, mk_pte(iomap.pfn, prot));
    k.m.event(k.tid, 'dax-map', [page_label(iomap.pfn), `vma:${vma.id}`, `file:${i.path}`], 'fs/dax.c:dax_iomap_pmd_fault', index);
    return VM_FAULT_NOPAGE;
  }
  // split_huge_pmd(): a DAX leaf already there is zapped; the PTE fault maps 4 KiB.
  __split_huge_pmd(k, vma, haddr);
  return VM_FAULT_FALLBACK;
}
