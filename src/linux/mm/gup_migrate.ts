/**
 * The migration primitives GUP's long-term path calls (mm/migrate.c, mm/vmscan.c,
 * mm/hugetlb.c), seen from gup.c. This file is the adapter between gup.ts and the
 * memory model; until the memory model has its own migration (mm/migrate.ts, owned by
 * the memory helper), it carries a small implementation of the part GUP needs.
 *
 * isolate_for_migration(k, head) — isolate_lru_page (5.4: 0 on success) /
 *   folio_isolate_lru (6.x): a folio on the LRU is taken off it with an extra
 *   reference; hugetlb folios (isolate_huge_page / isolate_hugetlb) likewise.
 *   Returns true if the folio is now isolated.
 * migrate_isolated_pages(k, heads, target) — migrate_pages(): for each isolated folio,
 *   allocate a target page (5.4 new_non_cma_page / 6.x alloc_migration_target: GFP_USER,
 *   never CMA or ZONE_MOVABLE, inside current's pin allocation scope), and move it only
 *   if nothing but its mappings, its page-cache entry and the isolation hold references
 *   (the kernel's expected-refcount test in folio_migrate_mapping); then every PTE that
 *   mapped the old frame maps the new one and the old frame is freed. Returns the
 *   number of folios not migrated.
 * putback_isolated_pages(k, heads) — putback_movable_pages(): back on the LRU, isolation
 *   reference dropped, for the folios still isolated.
 *
 * MODEL: order-0 folios only (a large folio is reported unsupported and counted as
 * not migrated); the rmap walk scans every mm's page tables; MIGRATE_SYNC always.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import { GFP_USER, __GFP_NOWARN } from '../include/linux/gfp.js';
import { copy_page_content, folio_mapcount, folio_order, page_count, page_label, put_page } from '../include/linux/mm.js';
import { PG_anon, PG_isolated, PG_lru, mk_pte, pte_flags, pte_pfn } from '../include/linux/mm_types.js';
import type { address_space } from '../include/linux/fs.js';
import { alloc_pages } from './page_alloc.js';
import { race_window } from '../kernel/sched.js';

export type migrate_target = 'non-cma' | 'longterm-pin';

export function isolate_for_migration(k: Kctx, head: number): boolean {
  const mem = k.m.mem;
  const s = mem.slot_of(head);
  if (s === 0) return false;
  const f = mem.s_flags[s];
  if (f & PG_isolated) return false;
  // Anonymous and page-cache folios sit on the LRU once mapped; the model marks PG_lru
  // only for page-cache pages, so anonymous folios count as on the LRU too.
  if (!(f & PG_lru) && mem.s_mapping[s] === 0) return false;
  mem.s_flags[s] = (f & ~PG_lru) | PG_isolated;
  mem.s_ref[s] += 1;
  k.m.event(k.tid, 'isolate', [page_label(head)], 'mm/vmscan.c:isolate_lru_page');
  return true;
}

/** The page-cache address_space with this id, found through the VMAs mapping it. */
function mapping_by_id(k: Kctx, id: number): address_space | null {
  for (const mm of k.m.mms) {
    for (const vma of mm.mmap) {
      const f = vma.vm_file;
      if (f && f.f_mapping.id === id) return f.f_mapping;
    }
  }
  return null;
}

/** Replace every PTE that maps `from` by one mapping `to` (remove_migration_ptes after try_to_unmap). */
function move_ptes(k: Kctx, from: number, to: number): number {
  let n = 0;
  for (const mm of k.m.mms) {
    for (const t of mm.pgd.pmd.values()) {
      if (typeof t === 'number') continue;
      const a = t.pte;
      for (let i = 0; i < a.length; i++) {
        const e = a[i];
        if (e !== 0 && pte_pfn(e) === from) {
          a[i] = mk_pte(to, pte_flags(e));
          n++;
        }
      }
    }
  }
  return n;
}

export function* migrate_isolated_pages(k: Kctx, heads: readonly number[], target: migrate_target): KThread<number> {
  const m = k.m;
  const mem = m.mem;
  let failed = 0;
  for (const head of heads) {
    if (folio_order(m, head) > 0) {
      unsupported(k, 'mm/migrate.c:migrate_pages', `migrating a large folio (pfn:${head}) is not modelled`);
      failed++;
      continue;
    }
    const s = mem.slot_of(head);
    if (!(mem.s_flags[s] & PG_isolated)) {
      failed++;
      continue;
    }
    const mapping = mem.s_mapping[s] !== 0 && !(mem.s_flags[s] & PG_anon) ? mapping_by_id(k, mem.s_mapping[s]) : null;
    const cacheRef = mapping !== null && mapping.i_pages.get(mem.s_index[s]) === head ? 1 : 0;
    // folio_migrate_mapping(): only the isolation, the mappings and the cache may hold it.
    if (page_count(m, head) !== folio_mapcount(m, head) + cacheRef + 1) {
      failed++;
      continue;
    }
    const gfp = GFP_USER | __GFP_NOWARN;
    void target;
    const np = alloc_pages(k, gfp, 0);
    if (np === null) {
      failed++;
      continue;
    }
    const ns = mem.slot_of(np);
    copy_page_content(m, np, head);
    mem.s_flags[ns] = mem.s_flags[s] & ~(PG_isolated | PG_lru);
    mem.s_mapping[ns] = mem.s_mapping[s];
    mem.s_index[ns] = mem.s_index[s];
    mem.s_map[ns] = mem.s_map[s];
    // The new page holds one reference per mapping and one for the cache.
    mem.s_ref[ns] = mem.s_map[s] + cacheRef;
    const moved = move_ptes(k, head, np);
    void moved;
    if (cacheRef && mapping) mapping.i_pages.set(mem.s_index[s], np);
    // The old frame: no mappings, no cache entry; the isolation reference goes last.
    mem.s_map[s] = 0;
    mem.s_mapping[s] = 0;
    mem.s_ref[s] = 1;
    mem.s_flags[s] &= ~PG_isolated;
    m.event(k.tid, 'migrate', [page_label(head), page_label(np)], 'mm/migrate.c:migrate_pages', target);
    put_page(m, head);
    yield* race_window(k, 'mm/migrate.c:migrate_pages:after-move');
  }
  return failed;
}

export function putback_isolated_pages(k: Kctx, heads: readonly number[]): void {
  const mem = k.m.mem;
  for (const head of heads) {
    const s = mem.slot_of(head);
    if (s === 0 || mem.s_pfn[s] !== head || !(mem.s_flags[s] & PG_isolated)) continue;
    mem.s_flags[s] &= ~PG_isolated;
    if (mem.s_mapping[s] !== 0) mem.s_flags[s] |= PG_lru;
    put_page(k.m, head);
  }
}
