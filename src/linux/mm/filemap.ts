/**
 * mm/filemap.c: the page cache (find_get_page, add_to_page_cache_lru,
 * delete_from_page_cache) and filemap_fault() — v5.4.1, v5.6.4, Debian 6.1.192,
 * Debian 6.12.117.
 *
 * filemap_fault() (all four trees, same shape): a page beyond EOF is SIGBUS; a
 * page-cache hit is returned referenced; a miss needs read I/O. When the caller
 * allowed a retry (FAULT_FLAG_ALLOW_RETRY without FAULT_FLAG_RETRY_NOWAIT),
 * maybe_unlock_mmap_for_io() pins the file, drops mmap_lock, the read runs, and
 * the fault returns VM_FAULT_RETRY so the caller retakes the lock and faults again
 * (then it hits). With RETRY_NOWAIT the read is started and VM_FAULT_RETRY comes
 * back with the lock still held. Without ALLOW_RETRY the read completes under the
 * lock (VM_FAULT_MAJOR).
 * Whether a clean, otherwise unused cached page was reclaimed before the fault is a
 * data choice `mm/filemap.c:filemap_fault:io` ([cached, evicted]): evicted means
 * the fault must wait for I/O.
 *
 * MODEL: no readahead windows, no page locks, no invalidate_lock/i_mmap_sem (the
 * truncate side is phase 2), reads are one page; the read I/O is one scheduling
 * point (`mm/filemap.c:filemap_fault:io-wait`).
 */
import type { KThread } from '../../sched/index.js';
import { choose } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import type { address_space } from '../include/linux/fs.js';
import { fput, get_file } from '../include/linux/fs.js';
import { GFP_HIGHUSER_MOVABLE } from '../include/linux/gfp.js';
import type { vm_fault } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PG_lru, PG_uptodate } from '../include/linux/mm_types.js';
import type { vm_fault_t } from '../include/linux/mm.js';
import {
  FAULT_FLAG_ALLOW_RETRY, FAULT_FLAG_RETRY_NOWAIT, PageDirty, VM_FAULT_LOCKED, VM_FAULT_MAJOR, VM_FAULT_OOM, VM_FAULT_RETRY,
  VM_FAULT_SIGBUS, get_page, page_count, page_label, page_mapcount, put_page, set_folio_content,
} from '../include/linux/mm.js';
import { race_window } from '../kernel/sched.js';
import { up_read } from '../kernel/locking/rwsem.js';
import { alloc_pages } from './page_alloc.js';
import { inode_data } from '../include/linux/fs.js';

/** find_get_page(mapping, index): the cached page with a new reference, or null. */
export function find_get_page(m: Machine, mapping: address_space, index: number): number | null {
  const page = mapping.i_pages.get(index);
  if (page === undefined) return null;
  get_page(m, page);
  return page;
}

/** find_lock_page without taking a reference (model helper for checks): the cached pfn or null. */
export function page_cache_peek(mapping: address_space, index: number): number | null {
  return mapping.i_pages.get(index) ?? null;
}

/**
 * add_to_page_cache_lru(page, mapping, index): the cache takes its own reference
 * (the caller keeps the one it has).
 */
export function add_to_page_cache_lru(k: Kctx, page: number, mapping: address_space, index: number): void {
  const mem = k.m.mem;
  const s = mem.slot_of(page);
  mem.s_flags[s] |= PG_lru;
  mem.s_mapping[s] = mapping.id;
  mem.s_index[s] = index;
  get_page(k.m, page);
  mapping.i_pages.set(index, page);
  mapping.nrpages++;
  k.m.event(k.tid, 'page-cache-add', [page_label(page), `file:${mapping.host.path}`], 'mm/filemap.c:add_to_page_cache_lru', index);
}

/** delete_from_page_cache(page): drop the cache's reference (the page may live on if referenced elsewhere). */
export function delete_from_page_cache(k: Kctx, mapping: address_space, index: number): void {
  const page = mapping.i_pages.get(index);
  if (page === undefined) return;
  mapping.i_pages.delete(index);
  mapping.nrpages--;
  const mem = k.m.mem;
  mem.s_mapping[mem.slot_of(page)] = 0;
  k.m.event(k.tid, 'page-cache-del', [page_label(page), `file:${mapping.host.path}`], 'mm/filemap.c:delete_from_page_cache', index);
  put_page(k.m, page);
}

/**
 * Read page `index` of `mapping` from the backing store into a new page-cache
 * page (the read itself happens at the caller's I/O point). Returns the page with
 * the caller's reference, or null on allocation failure.
 */
export function page_cache_read(k: Kctx, mapping: address_space, index: number): number | null {
  const page = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
  if (page === null) return null;
  const data = inode_data(mapping.host, index);
  if (data !== undefined) set_folio_content(k.m, page, data);
  k.m.mem.s_flags[k.m.mem.slot_of(page)] |= PG_uptodate;
  add_to_page_cache_lru(k, page, mapping, index);
  return page;
}

/** Could reclaim have evicted this cached page? Clean, unmapped, only the cache's reference. */
function page_evictable_now(m: Machine, page: number): boolean {
  return !PageDirty(m, page) && page_mapcount(m, page) === 0 && page_count(m, page) === 1;
}

/** filemap_fault(vmf) — see the file header. */
export function* filemap_fault(k: Kctx, vmf: vm_fault): KThread<vm_fault_t> {
  const vma = vmf.vma;
  const f = vma.vm_file;
  if (!f) return VM_FAULT_SIGBUS;
  const mapping = f.f_mapping;
  const inode = mapping.host;
  const offset = vmf.pgoff;
  const max_off = Math.ceil(inode.i_size / PAGE_SIZE);
  if (offset >= max_off) return VM_FAULT_SIGBUS;

  let cached = mapping.i_pages.get(offset);
  if (cached !== undefined && page_evictable_now(k.m, cached)) {
    const evicted = yield* choose('mm/filemap.c:filemap_fault:io', [false, true], ['cached', 'evicted']);
    if (evicted) {
      // MODEL: reclaim ran before this fault (shrink_page_list → __remove_mapping).
      delete_from_page_cache(k, mapping, offset);
      cached = undefined;
    }
  }
  if (cached !== undefined) {
    get_page(k.m, cached);
    vmf.page = cached;
    return VM_FAULT_LOCKED;
  }

  // Page-cache miss: read I/O is needed.
  const mm = vma.vm_mm;
  if ((vmf.flags & (FAULT_FLAG_ALLOW_RETRY | FAULT_FLAG_RETRY_NOWAIT)) === FAULT_FLAG_ALLOW_RETRY) {
    // maybe_unlock_mmap_for_io(): keep the file alive, drop mmap_lock, do the I/O, ask for a retry.
    const fpin = get_file(f);
    up_read(k, mm.mmap_lock, 'mm/filemap.c:filemap_fault');
    k.m.event(k.tid, 'mmap-unlock-for-io', [`mm:${mm.id}`, `file:${inode.path}`], 'mm/filemap.c:filemap_fault', offset);
    const page = page_cache_read(k, mapping, offset);
    // MODEL: the read is in flight; other threads run (mmap_lock is free).
    yield* race_window(k, 'mm/filemap.c:filemap_fault:io-wait');
    if (page !== null) put_page(k.m, page);
    yield* fput(k, fpin);
    return page === null ? VM_FAULT_OOM : VM_FAULT_RETRY;
  }
  if (vmf.flags & FAULT_FLAG_RETRY_NOWAIT) {
    // Start the read and report a retry with mmap_lock still held.
    const page = page_cache_read(k, mapping, offset);
    if (page === null) return VM_FAULT_OOM;
    put_page(k.m, page);
    return VM_FAULT_RETRY;
  }
  const page = page_cache_read(k, mapping, offset);
  if (page === null) return VM_FAULT_OOM;
  // MODEL: synchronous read under mmap_lock.
  yield* race_window(k, 'mm/filemap.c:filemap_fault:io-wait');
  vmf.page = page;
  return VM_FAULT_MAJOR | VM_FAULT_LOCKED;
}
