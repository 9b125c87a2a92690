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
import { zap_page_range } from './memory.js';
import { delete_from_page_cache } from './filemap.js';

/** unmap_mapping_pages(mapping, start, nr, even_cows) */
export function unmap_mapping_pages(k: Kctx, mapping: address_space, start: number, nr: number, even_cows: boolean): void {
  const last = start + nr; // exclusive, in pages
  for (const vma of [...mapping.i_mmap]) {
    const vstart = vma.vm_pgoff;
    const vend = vma.vm_pgoff + (vma.vm_end - vma.vm_start) / PAGE_SIZE;
    const lo = Math.max(start, vstart);
    const hi = Math.min(last, vend);
    if (lo >= hi) continue;
    const a = vma.vm_start + (lo - vstart) * PAGE_SIZE;
    const b = vma.vm_start + (hi - vstart) * PAGE_SIZE;
    zap_page_range(k, vma, a, b, even_cows ? null : mapping);
  }
}

/** unmap_mapping_range(mapping, holebegin, holelen, even_cows): bytes; holelen 0 = to the end. */
export function unmap_mapping_range(k: Kctx, mapping: address_space, holebegin: number, holelen: number, even_cows: boolean): void {
  const start = Math.floor(holebegin / PAGE_SIZE);
  const nr = holelen === 0 ? Number.MAX_SAFE_INTEGER - start : Math.ceil((holebegin + holelen) / PAGE_SIZE) - start;
  unmap_mapping_pages(k, mapping, start, nr, even_cows);
}

/** truncate_inode_pages_range(mapping, lstart, lend): pages whose index lies in [ceil(lstart), floor((lend+1))) — lend inclusive bytes, -1 = EOF. */
export function truncate_inode_pages_range(k: Kctx, mapping: address_space, lstart: number, lend: number): void {
  const start = Math.ceil(lstart / PAGE_SIZE);
  const end = lend < 0 ? Number.MAX_SAFE_INTEGER : Math.floor((lend + 1) / PAGE_SIZE);
  const dax = dax_mapping(mapping);
  for (const index of [...mapping.i_pages.keys()].sort((a, b) => a - b)) {
    if (index < start || index >= end) continue;
    if (dax) dax_delete_mapping_entry(k, mapping, index);
    else delete_from_page_cache(k, mapping, index);
  }
  k.m.event(k.tid, 'truncate-pages', [`file:${mapping.host.path}`], 'mm/truncate.c:truncate_inode_pages_range', { start, end: end === Number.MAX_SAFE_INTEGER ? -1 : end });
}

/** truncate_pagecache(inode, newsize) */
export function truncate_pagecache(k: Kctx, i: inode, newsize: number): void {
  const mapping = i.i_mapping;
  const holebegin = Math.ceil(newsize / PAGE_SIZE) * PAGE_SIZE;
  unmap_mapping_range(k, mapping, holebegin, 0, true);
  truncate_inode_pages_range(k, mapping, newsize, -1);
  unmap_mapping_range(k, mapping, holebegin, 0, true);
}

/** truncate_pagecache_range(inode, lstart, lend): lend inclusive. */
export function truncate_pagecache_range(k: Kctx, i: inode, lstart: number, lend: number): void {
  const mapping = i.i_mapping;
  const unmap_start = Math.ceil(lstart / PAGE_SIZE) * PAGE_SIZE;
  const unmap_end = Math.floor((lend + 1) / PAGE_SIZE) * PAGE_SIZE - 1;
  if (unmap_end > unmap_start) unmap_mapping_range(k, mapping, unmap_start, unmap_end - unmap_start + 1, true);
  truncate_inode_pages_range(k, mapping, lstart, lend);
}
