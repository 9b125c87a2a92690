/**
 * mm/truncate.c + mm/memory.c unmap_mapping_range(): taking a file's pages out of
 * every address space and out of the page cache (v5.4.1, Debian 6.1.192, 6.12.117).
 *
 * - unmap_mapping_pages(mapping, start, nr, even_cows): zap the PTEs mapping page
 *   indices [start, start+nr) in every VMA of the file; without even_cows, private
 *   COW copies (anon pages) in MAP_PRIVATE mappings are left alone.
 * - truncate_inode_pages_range(mapping, lstart, lend): drop page-cache pages (or DAX
 *   entries) from the cache. A page still referenced elsewhere (a GUP pin) lives on,
 *   detached from the file, until its last reference goes.
 * - truncate_pagecache(inode, newsize): unmap (even COWs) beyond the new size,
 *   truncate the cache, unmap again.
 * MODEL: partial-page zeroing at the new EOF is not modelled (whole pages only).
 */
import type { Kctx } from '../kctx.js';
import type { address_space, inode } from '../include/linux/fs.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import { dax_delete_mapping_entry, dax_mapping } from '../fs/dax.js';
import type { KThread } from '../../sched/index.js';
import type { vm_area_struct } from '../include/linux/mm_types.js';
import { race_window } from '../kernel/sched.js';
import { zap_page_range, zap_page_range_now } from './memory.js';
import { delete_from_page_cache } from './filemap.js';

/**
 * unmap_mapping_pages(mapping, start, nr, even_cows): each VMA of the file in turn, with
 * zap_page_range's points (the caller's i_mmap_rwsem does not exclude MADV_DONTNEED,
 * faults or GUP of those VMAs).
 */
export function* unmap_mapping_pages(k: Kctx, mapping: address_space, start: number, nr: number, even_cows: boolean): KThread<void> {
  for (const [vma, a, b] of mapping_ranges(mapping, start, nr)) yield* zap_page_range(k, vma, a, b, even_cows ? null : mapping);
}

/**
 * unmap_mapping_pages in one step, for plain callers.
 * MODEL: used by dax_layout_busy_page() (its unmap is one step) and hugetlb_vmtruncate()
 * (hugetlb VMAs zap in one step anyway).
 */
export function unmap_mapping_pages_now(k: Kctx, mapping: address_space, start: number, nr: number, even_cows: boolean): void {
  for (const [vma, a, b] of mapping_ranges(mapping, start, nr)) zap_page_range_now(k, vma, a, b, even_cows ? null : mapping);
}

/** The [a, b) address range of each VMA of the file that maps page indices [start, start+nr). */
function mapping_ranges(mapping: address_space, start: number, nr: number): [vm_area_struct, number, number][] {
  const last = start + nr; // exclusive, in pages
  const out: [vm_area_struct, number, number][] = [];
  for (const vma of [...mapping.i_mmap]) {
    const vstart = vma.vm_pgoff;
    const vend = vma.vm_pgoff + (vma.vm_end - vma.vm_start) / PAGE_SIZE;
    const lo = Math.max(start, vstart);
    const hi = Math.min(last, vend);
    if (lo >= hi) continue;
    out.push([vma, vma.vm_start + (lo - vstart) * PAGE_SIZE, vma.vm_start + (hi - vstart) * PAGE_SIZE]);
  }
  return out;
}

/** The page range [start, start+nr) of unmap_mapping_range's byte arguments. */
function hole_pages(holebegin: number, holelen: number): [number, number] {
  const start = Math.floor(holebegin / PAGE_SIZE);
  const nr = holelen === 0 ? Number.MAX_SAFE_INTEGER - start : Math.ceil((holebegin + holelen) / PAGE_SIZE) - start;
  return [start, nr];
}

/** unmap_mapping_range(mapping, holebegin, holelen, even_cows): bytes; holelen 0 = to the end. */
export function* unmap_mapping_range(k: Kctx, mapping: address_space, holebegin: number, holelen: number, even_cows: boolean): KThread<void> {
  const [start, nr] = hole_pages(holebegin, holelen);
  yield* unmap_mapping_pages(k, mapping, start, nr, even_cows);
}

/** unmap_mapping_range in one step (see unmap_mapping_pages_now). */
export function unmap_mapping_range_now(k: Kctx, mapping: address_space, holebegin: number, holelen: number, even_cows: boolean): void {
  const [start, nr] = hole_pages(holebegin, holelen);
  unmap_mapping_pages_now(k, mapping, start, nr, even_cows);
}

/**
 * truncate_inode_pages_range(mapping, lstart, lend): pages whose index lies in
 * [ceil(lstart), floor((lend+1))) — lend inclusive bytes, -1 = EOF. Each page (or DAX
 * entry) is its own step: the kernel locks each folio (or the entry's xarray slot) to
 * remove it, and nothing it holds excludes a fault or GUP of the next page (v5.4.1 ..
 * 6.12.117; the points are the folio locks, the batch cond_resched() between them).
 */
export function* truncate_inode_pages_range(k: Kctx, mapping: address_space, lstart: number, lend: number): KThread<void> {
  const start = Math.ceil(lstart / PAGE_SIZE);
  const end = lend < 0 ? Number.MAX_SAFE_INTEGER : Math.floor((lend + 1) / PAGE_SIZE);
  const dax = dax_mapping(mapping);
  let n = 0;
  for (const index of [...mapping.i_pages.keys()].sort((a, b) => a - b)) {
    if (index < start || index >= end) continue;
    // An index already gone (a DAX PMD entry removed whole with its first index) is not an
    // entry the kernel's lookup returns (find_lock_entries steps over a multi-index entry):
    // no lock, no point.
    if (!mapping.i_pages.has(index)) continue;
    if (n++ > 0) yield* race_window(k, 'mm/truncate.c:truncate_inode_pages_range:folio', `${index}`);
    if (!mapping.i_pages.has(index)) continue;
    if (dax) dax_delete_mapping_entry(k, mapping, index);
    else delete_from_page_cache(k, mapping, index);
  }
  k.m.event(k.tid, 'truncate-pages', [`file:${mapping.host.path}`], 'mm/truncate.c:truncate_inode_pages_range', { start, end: end === Number.MAX_SAFE_INTEGER ? -1 : end });
}

/** truncate_pagecache(inode, newsize) */
export function* truncate_pagecache(k: Kctx, i: inode, newsize: number): KThread<void> {
  const mapping = i.i_mapping;
  const holebegin = Math.ceil(newsize / PAGE_SIZE) * PAGE_SIZE;
  yield* unmap_mapping_range(k, mapping, holebegin, 0, true);
  yield* truncate_inode_pages_range(k, mapping, newsize, -1);
  yield* unmap_mapping_range(k, mapping, holebegin, 0, true);
}

/** truncate_pagecache_range(inode, lstart, lend): lend inclusive. */
export function* truncate_pagecache_range(k: Kctx, i: inode, lstart: number, lend: number): KThread<void> {
  const mapping = i.i_mapping;
  const unmap_start = Math.ceil(lstart / PAGE_SIZE) * PAGE_SIZE;
  const unmap_end = Math.floor((lend + 1) / PAGE_SIZE) * PAGE_SIZE - 1;
  if (unmap_end > unmap_start) yield* unmap_mapping_range(k, mapping, unmap_start, unmap_end - unmap_start + 1, true);
  yield* truncate_inode_pages_range(k, mapping, lstart, lend);
}
