/**
 * include/linux/sched/mm.h: the per-task allocation scopes the long-term pinning
 * path opens around its GUP calls, and current_gfp_context().
 *
 * v5.4–v5.12: memalloc_nocma_save()/restore() set PF_MEMALLOC_NOCMA.
 * v5.13+ (PATCH(memalloc-pin), 1a08ae36cf8b): renamed memalloc_pin_save()/restore(),
 * PF_MEMALLOC_PIN (the same bit). In both, current_gfp_context() strips
 * __GFP_MOVABLE, which keeps the allocation out of CMA pageblocks and ZONE_MOVABLE.
 * Whether the allocator's first (fast) attempt sees the scope is mm/page_alloc.ts
 * (PATCH(alloc-fastpath-task-gfp)).
 */
import type { Kctx } from '../../kctx.js';
import { __GFP_MOVABLE } from './gfp.js';
import type { gfp_t } from './gfp.js';
import { PF_MEMALLOC_NOCMA, PF_MEMALLOC_PIN, get_current } from './sched.js';

/** memalloc_nocma_save() (v5.4–v5.12): returns the old PF_MEMALLOC_NOCMA bit. */
export function memalloc_nocma_save(k: Kctx): number {
  // PATCH(memalloc-pin) 1a08ae36cf8b: memalloc_nocma_save() is renamed away
  if (k.patch('memalloc-pin')) throw new Error('pinlab bug: memalloc_nocma_save() does not exist in this release (memalloc_pin_save)');
  const t = get_current(k);
  const old = t.flags & PF_MEMALLOC_NOCMA;
  t.flags |= PF_MEMALLOC_NOCMA;
  return old;
}

/** memalloc_nocma_restore(flags) */
export function memalloc_nocma_restore(k: Kctx, flags: number): void {
  // PATCH(memalloc-pin) 1a08ae36cf8b: memalloc_nocma_restore() is renamed away
  if (k.patch('memalloc-pin')) throw new Error('pinlab bug: memalloc_nocma_restore() does not exist in this release');
  const t = get_current(k);
  t.flags = (t.flags & ~PF_MEMALLOC_NOCMA) | flags;
}

/** memalloc_pin_save() (v5.13+): returns the old PF_MEMALLOC_PIN bit. */
export function memalloc_pin_save(k: Kctx): number {
  // PATCH(memalloc-pin) 1a08ae36cf8b: memalloc_pin_save() exists
  if (!k.patch('memalloc-pin')) throw new Error('pinlab bug: memalloc_pin_save() does not exist in this release (memalloc_nocma_save)');
  const t = get_current(k);
  const old = t.flags & PF_MEMALLOC_PIN;
  t.flags |= PF_MEMALLOC_PIN;
  return old;
}

/** memalloc_pin_restore(flags) */
export function memalloc_pin_restore(k: Kctx, flags: number): void {
  // PATCH(memalloc-pin) 1a08ae36cf8b: memalloc_pin_restore() exists
  if (!k.patch('memalloc-pin')) throw new Error('pinlab bug: memalloc_pin_restore() does not exist in this release');
  const t = get_current(k);
  t.flags = (t.flags & ~PF_MEMALLOC_PIN) | flags;
}

/**
 * current_gfp_context(flags): the caller's mask narrowed by current's scopes.
 * MODEL: PF_MEMALLOC_NOIO / NOFS are not modelled (they do not change where a page comes from).
 */
export function current_gfp_context(k: Kctx, flags: gfp_t): gfp_t {
  // PF_MEMALLOC_NOCMA and PF_MEMALLOC_PIN are the same bit; both strip __GFP_MOVABLE.
  if (get_current(k).flags & PF_MEMALLOC_PIN) return flags & ~__GFP_MOVABLE;
  return flags;
}
