/**
 * mm/rmap.c: adding and removing the reverse mappings of pages as PTEs / huge
 * entries are installed and zapped (mapcount bookkeeping), anon_vma_prepare().
 *
 * - page_add_new_anon_rmap() (v5.4, v6.1; folio_add_new_anon_rmap in v6.12): a
 *   freshly allocated anon page gets PageAnon, its anon_vma and linear index, a
 *   mapcount of 1, and — PATCH(anon-exclusive), 6c287605fd56, v5.19 — PageAnonExclusive.
 * - page_add_anon_rmap(): one more mapping of an existing anon page (fork, reuse).
 * - page_add_file_rmap() / page_remove_rmap(): file and anon unmapping; an anonymous
 *   THP left partially mapped is marked PG_partially_mapped (deferred_split_folio).
 * - page_move_anon_rmap(): a reused page now belongs to this VMA's anon_vma
 *   (and, with anon-exclusive, becomes exclusive).
 * MODEL: the rmap walk itself (try_to_unmap) is done by scanning the mms in
 * mm/migrate.ts; here only counts and ownership change. Caller holds mmap_lock.
 */
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import type { anon_vma, vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PG_anon, PG_hugetlb, PG_partially_mapped, PG_swapbacked } from '../include/linux/mm_types.js';
import { SetPageAnonExclusive, folio_set_anon_exclusive_all, page_label } from '../include/linux/mm.js';
import { BUG_ON } from '../include/linux/bug.js';

/** anon_vma_prepare(vma): give the VMA an anon_vma (a new root) if it has none. */
export function anon_vma_prepare(k: Kctx, vma: vm_area_struct): anon_vma {
  if (vma.anon_vma) return vma.anon_vma;
  const id = k.m.nextId('anon_vma');
  const av = { id, root: undefined as unknown as anon_vma };
  (av as { root: anon_vma }).root = av;
  vma.anon_vma = av;
  return av;
}

/** linear_page_index(vma, address) */
export function linear_page_index(vma: vm_area_struct, address: number): number {
  return Math.floor((address - vma.vm_start) / PAGE_SIZE) + vma.vm_pgoff;
}

/** Add `delta` PTE mappings of one subpage (or of an order-0 page). */
function pte_map_add(m: Machine, page: number, delta: number): void {
  const mem = m.mem;
  const s = mem.slot_of(page);
  if (mem.s_order[s] === 0) {
    mem.s_map[s] += delta;
    return;
  }
  const v = (mem.sub_map.get(page) ?? 0) + delta;
  if (v === 0) mem.sub_map.delete(page);
  else mem.sub_map.set(page, v);
  mem.s_ptemaps[s] += delta;
}

/**
 * page_add_new_anon_rmap(page, vma, address, compound): a new anon folio
 * (`compound`: mapped whole by a PMD/PUD; else one PTE of an order-0 page).
 */
export function page_add_new_anon_rmap(k: Kctx, page: number, vma: vm_area_struct, address: number, compound: boolean): void {
  const m = k.m;
  const mem = m.mem;
  const s = mem.slot_of(page);
  const av = vma.anon_vma;
  if (BUG_ON(k, av === null, 'mm/rmap.c:page_add_new_anon_rmap', 'VMA has no anon_vma')) return;
  mem.s_flags[s] |= PG_anon | PG_swapbacked;
  mem.s_mapping[s] = (av as anon_vma).id;
  mem.s_index[s] = linear_page_index(vma, address);
  if (compound) mem.s_map[s] += 1;
  else pte_map_add(m, page, 1);
  // PATCH(anon-exclusive): 6c287605fd56 — a new anon page is exclusive to its mapper.
  if (k.patch('anon-exclusive')) {
    if (compound) folio_set_anon_exclusive_all(m, page, true);
    else SetPageAnonExclusive(m, page);
  }
  m.event(k.tid, 'map', [page_label(page), `vma:${vma.id}`], 'mm/rmap.c:page_add_new_anon_rmap');
}

/** page_add_anon_rmap(page, vma, address, compound): another mapping of an existing anon page. */
export function page_add_anon_rmap(k: Kctx, page: number, vma: vm_area_struct, compound: boolean): void {
  if (compound) k.m.mem.s_map[k.m.mem.slot_of(page)] += 1;
  else pte_map_add(k.m, page, 1);
  k.m.event(k.tid, 'map', [page_label(page), `vma:${vma.id}`], 'mm/rmap.c:page_add_anon_rmap');
}

/** page_add_file_rmap(page, compound) */
export function page_add_file_rmap(k: Kctx, page: number, vma: vm_area_struct, compound: boolean): void {
  if (compound) k.m.mem.s_map[k.m.mem.slot_of(page)] += 1;
  else pte_map_add(k.m, page, 1);
  k.m.event(k.tid, 'map', [page_label(page), `vma:${vma.id}`], 'mm/rmap.c:page_add_file_rmap');
}

/** page_remove_rmap(page, compound): one mapping fewer (anon or file). */
export function page_remove_rmap(k: Kctx, page: number, vma: vm_area_struct, compound: boolean): void {
  const mem = k.m.mem;
  const s = mem.slot_of(page);
  if (compound) mem.s_map[s] -= 1;
  else pte_map_add(k.m, page, -1);
  BUG_ON(k, mem.s_map[s] < 0 || (mem.s_order[s] > 0 && mem.s_ptemaps[s] < 0), 'mm/rmap.c:page_remove_rmap', `negative mapcount on ${page_label(page)}`, 'refcount');
  if (mem.s_order[s] > 0 && (mem.s_flags[s] & (PG_anon | PG_hugetlb | PG_partially_mapped)) === PG_anon &&
      folio_now_partially_mapped(k, page, compound)) {
    // deferred_split_folio(folio, true). MODEL: the flag only (no queue, no shrinker).
    mem.s_flags[s] |= PG_partially_mapped;
  }
  k.m.event(k.tid, 'unmap', [page_label(page), `vma:${vma.id}`], 'mm/rmap.c:page_remove_rmap');
}

/**
 * After one mapping of `page` went: is its anonymous large folio now partially mapped —
 * some subpages mapped, some not? (6.12.117 __folio_remove_rmap: a PTE removal that
 * unmapped its subpage while the folio has no PMD mapping and other subpages stay
 * mapped; a PMD removal that was the last PMD mapping while only some subpages are
 * PTE-mapped. 6.1.192 page_remove_rmap queues the same folios for deferred split.)
 * MODEL: the model removes PTE mappings one at a time where 6.12 removes a folio's run
 * of PTEs in one call, so a zap of every PTE of a folio in its only mm marks it on the
 * way; the folio is then mapped nowhere and no GUP reaches it.
 */
function folio_now_partially_mapped(k: Kctx, page: number, compound: boolean): boolean {
  const mem = k.m.mem;
  const s = mem.slot_of(page);
  if (mem.s_map[s] !== 0 || mem.s_ptemaps[s] === 0) return false;
  if (!compound) return !mem.sub_map.has(page);
  const head = mem.s_pfn[s];
  const n = 2 ** mem.s_order[s];
  let mapped = 0;
  for (let i = 0; i < n; i++) if (mem.sub_map.has(head + i)) mapped++;
  return mapped < n;
}

/** page_move_anon_rmap(page, vma): the page now belongs to vma's anon_vma (reuse after COW). */
export function page_move_anon_rmap(k: Kctx, page: number, vma: vm_area_struct): void {
  const mem = k.m.mem;
  const s = mem.slot_of(page);
  if (vma.anon_vma) mem.s_mapping[s] = vma.anon_vma.id;
  // PATCH(anon-exclusive): 6c287605fd56 — moving the page to this VMA makes it exclusive.
  if (k.patch('anon-exclusive')) SetPageAnonExclusive(k.m, page);
}
