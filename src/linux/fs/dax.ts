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
 * MODEL: PTE faults only (no PMD/PUD DAX faults yet); blocks are allocated one page
 * at a time from the mount's region (ext4's allocator and journal are not modelled);
 * ->pfn_mkwrite is folded into wp_pfn_shared (a shared write to a mapped block just
 * makes the PTE writable); no MAP_SYNC.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import type { address_space, inode, super_block } from '../include/linux/fs.js';
import { IS_DAX } from '../include/linux/fs.js';
import type { vm_fault } from '../include/linux/mm_types.js';
import { PAGE_SIZE, _PAGE_DEVMAP, _PAGE_DIRTY, _PAGE_RW, _PAGE_SPECIAL, mk_pte } from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_WRITE, VM_FAULT_DONE_COW, VM_FAULT_NOPAGE, VM_FAULT_SIGBUS, VM_SHARED, VM_WRITE, copy_page_content, page_label,
  page_ref_count, pt_walk, set_page_content, set_pte_at,
} from '../include/linux/mm.js';
import { vma_page_prot } from '../mm/memory.js';
import { page_add_new_anon_rmap } from '../mm/rmap.js';
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
  // The fs-DAX page's struct page: idle at refcount 1, PageReserved like every ZONE_DEVICE
  // page (mm/page_alloc.ts __init_zone_device_page).
  const s = __init_zone_device_page(m, pfn);
  const mem = m.mem;
  mem.s_ref[s] = 1;
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

/** dax_busy_page(entry): the entry's page if its refcount is above the idle 1. */
function dax_busy_page(m: Machine, pfn: number): number | null {
  return page_ref_count(m, pfn) > 1 ? pfn : null;
}

/**
 * dax_layout_busy_page(mapping): see the file header. The unmap is
 * unmap_mapping_pages(mapping, 0, all, 0) — `unmap` is passed in to avoid an
 * import cycle with mm/truncate.ts.
 */
export function dax_layout_busy_page(k: Kctx, mapping: address_space, unmap: (k: Kctx, mapping: address_space, start: number, nr: number, even_cows: boolean) => void): number | null {
  if (!dax_mapping(mapping) || !mapping_mapped(mapping)) return null;
  unmap(k, mapping, 0, Number.MAX_SAFE_INTEGER, false);
  for (const index of [...mapping.i_pages.keys()].sort((a, b) => a - b)) {
    const page = dax_busy_page(k.m, mapping.i_pages.get(index) as number);
    if (page !== null) return page;
  }
  return null;
}

/** dax_insert_entry(): the mapping's entry for `index` is the block's pfn; the page learns its owner. */
function dax_insert_entry(k: Kctx, mapping: address_space, index: number, pfn: number): void {
  if (!mapping.i_pages.has(index)) mapping.nrpages++;
  mapping.i_pages.set(index, pfn);
  const mem = k.m.mem;
  const s = mem.slot_of(pfn);
  mem.s_mapping[s] = mapping.id;
  mem.s_index[s] = index;
}

/** dax_delete_mapping_entry(mapping, index) (truncate). */
export function dax_delete_mapping_entry(k: Kctx, mapping: address_space, index: number): void {
  const pfn = mapping.i_pages.get(index);
  if (pfn === undefined) return;
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
  if (pt_walk(mm, vmf.address).entry !== 0 && vmf.cow_page === null) return VM_FAULT_NOPAGE;
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
  dax_insert_entry(k, mapping, vmf.pgoff, b);
  let prot = vma_page_prot(vma) | _PAGE_SPECIAL | _PAGE_DEVMAP;
  if (write) prot |= _PAGE_RW | _PAGE_DIRTY;
  set_pte_at(mm, vmf.address, mk_pte(b, prot));
  k.m.event(k.tid, 'dax-map', [page_label(b), `vma:${vma.id}`, `file:${i.path}`], 'fs/dax.c:dax_iomap_pte_fault', vmf.pgoff);
  return VM_FAULT_NOPAGE;
}
