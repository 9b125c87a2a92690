/**
 * Op group: the GUP entry points of mm/gup.c and mm/gup_fast (kernel entry points: model
 * only) and the release of what they took.
 */
import { unsupported } from '../../linux/include/linux/bug.js';
import { EINVAL } from '../../linux/include/uapi/linux/errno.js';
import { FOLL_LONGTERM } from '../../linux/include/linux/foll.js';
import { put_page } from '../../linux/include/linux/mm.js';
import * as gup from '../../linux/mm/gup.js';
import * as gupFast from '../../linux/mm/gup_fast.js';
import type { page_array } from '../../linux/mm/gup.js';
import { down_read, up_read } from '../../linux/kernel/locking/rwsem.js';
import type { KThread } from '../../sched/index.js';
import type { StepResult } from '../state.js';
import type { OpImpl, StepCtx } from '../step.js';
import { bool, evalFlags, evalNum, noPoint, processTask, ret } from '../step.js';
import { FOLL_NAMES, a, fl, int } from './flags.js';
import type { ArgSpec } from './types.js';
import type { OpGroup } from './types.js';

function gupArgs(c: StepCtx): { start: number; nr: number; flags: number | null; pages: page_array | null } {
  const a = c.step.args;
  const start = evalNum(c, a.start);
  const nr = evalNum(c, a.nr_pages);
  const flags = evalFlags(c, a.gup_flags, 'gup_flags');
  const wantPages = bool(a.pages, true);
  const pages: page_array | null = wantPages && nr > 0 && nr <= 1 << 20 ? new Array<number | null>(nr).fill(null) : wantPages ? [] : null;
  return { start, nr, flags, pages };
}

/** Keep the pages a GUP step took (until a later unpin/put step releases them). */
function gupResult(c: StepCtx, r: number, pages: page_array | null, flags: number, kind: 'pin' | 'ref'): StepResult {
  const got: number[] = [];
  if (pages !== null && r > 0) for (let i = 0; i < r; i++) if (pages[i] !== null && pages[i] !== undefined) got.push(pages[i] as number);
  if (got.length > 0 && c.step.as !== null) c.rs.holds.push({ result: c.step.as, pfns: got, kind, longterm: (flags & FOLL_LONGTERM) !== 0, thread: c.tid });
  return ret(r, { pages: got });
}

function gupLocal(kind: 'pin' | 'ref', fn: 'pin_user_pages' | 'get_user_pages'): OpImpl {
  return function* (c) {
    const { start, nr, flags, pages } = gupArgs(c);
    if (flags === null) return ret(-EINVAL);
    const mm = c.k.current.mm;
    if (mm === null) return ret(unsupported(c.k, `scenario:${fn}`, `${fn} from a kernel thread (no current->mm)`));
    // The caller holds mmap_lock for read across the call, as in-kernel callers of these do.
    yield* down_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    const r = fn === 'pin_user_pages' ? yield* gup.pin_user_pages(c.k, start, nr, flags, pages) : yield* gup.get_user_pages(c.k, start, nr, flags, pages);
    up_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    return gupResult(c, r, pages, flags, kind);
  };
}

function gupRemote(kind: 'pin' | 'ref', fn: 'pin_user_pages_remote' | 'get_user_pages_remote'): OpImpl {
  return function* (c) {
    const { start, nr, flags, pages } = gupArgs(c);
    if (flags === null) return ret(-EINVAL);
    const t = processTask(c, c.step.args.mm);
    const mm = t?.mm ?? null;
    if (mm === null) return ret(unsupported(c.k, `scenario:${fn}`, `${fn}: the target process has no mm`));
    const lockedArg = bool(c.step.args.locked, false);
    const locked = lockedArg ? { v: 1 } : null;
    yield* down_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    const r = fn === 'pin_user_pages_remote'
      ? yield* gup.pin_user_pages_remote(c.k, mm, start, nr, flags, pages, null, locked)
      : yield* gup.get_user_pages_remote(c.k, mm, start, nr, flags, pages, null, locked);
    // With `locked`, GUP may have dropped the lock (*locked = 0); release it only if still held.
    if (locked === null || locked.v === 1) up_read(c.k, mm.mmap_lock, `scenario:${fn}`);
    return gupResult(c, r, pages, flags, kind);
  };
}

function gupUnlocked(kind: 'pin' | 'ref', fn: 'pin_user_pages_unlocked' | 'get_user_pages_unlocked' | 'pin_user_pages_fast' | 'get_user_pages_fast'): OpImpl {
  return function* (c) {
    const { start, nr, flags, pages } = gupArgs(c);
    if (flags === null) return ret(-EINVAL);
    if (c.k.current.mm === null) return ret(unsupported(c.k, `scenario:${fn}`, `${fn} from a kernel thread (no current->mm)`));
    let r: number;
    switch (fn) {
      case 'pin_user_pages_unlocked':
        r = yield* gup.pin_user_pages_unlocked(c.k, start, nr, pages, flags);
        break;
      case 'get_user_pages_unlocked':
        r = yield* gup.get_user_pages_unlocked(c.k, start, nr, pages, flags);
        break;
      case 'pin_user_pages_fast':
        r = yield* gupFast.pin_user_pages_fast(c.k, start, nr, flags, pages);
        break;
      case 'get_user_pages_fast':
        r = yield* gupFast.get_user_pages_fast(c.k, start, nr, flags, pages ?? []);
        break;
    }
    return gupResult(c, r, pages, flags, kind);
  };
}

function heldPages(c: StepCtx): { idx: number; pfns: readonly number[] } | null {
  const v = c.step.args.pages;
  if (v === undefined || v.kind !== 'ref') return null;
  const idx = c.rs.holds.findIndex((h) => h.result === v.name);
  const r = c.rs.results.get(v.name);
  const pfns = (r?.outputs.pages as readonly number[] | undefined) ?? [];
  return { idx, pfns };
}

function* opUnpin(c: StepCtx): KThread<StepResult> {
  const h = heldPages(c);
  if (h === null) return ret(-EINVAL);
  const pages: page_array = h.pfns.slice();
  if (bool(c.step.args.dirty, false)) gup.unpin_user_pages_dirty_lock(c.k, pages, pages.length, true);
  else gup.unpin_user_pages(c.k, pages, pages.length);
  if (h.idx >= 0) c.rs.holds.splice(h.idx, 1);
  yield* noPoint();
  return ret(0);
}

function* opPutPages(c: StepCtx): KThread<StepResult> {
  const h = heldPages(c);
  if (h === null) return ret(-EINVAL);
  for (const p of h.pfns) put_page(c.k.m, p);
  if (h.idx >= 0) c.rs.holds.splice(h.idx, 1);
  yield* noPoint();
  return ret(0);
}

const GUP_LOCAL: readonly ArgSpec[] = [a('start', int), a('nr_pages', int), a('gup_flags', fl('FOLL_', FOLL_NAMES), 0), a('pages', { kind: 'bool' }, true), a('vmas', { kind: 'bool' }, false)];
const GUP_REMOTE: readonly ArgSpec[] = [a('mm', { kind: 'process' }, null, "a process; default the thread's"), ...GUP_LOCAL, a('locked', { kind: 'bool' }, false)];
const GUP_FAST: readonly ArgSpec[] = [a('start', int), a('nr_pages', int), a('gup_flags', fl('FOLL_', FOLL_NAMES), 0)];
const PINNED = 'pages pinned or -errno (`$r.pages`)';

export const GUP_OPS = {
  get_user_pages: { cls: 'kernel', args: GUP_LOCAL, outputs: ['pages'], doc: 'mm/gup.c get_user_pages() on current->mm', result: PINNED, impl: gupLocal('ref', 'get_user_pages') },
  pin_user_pages: { cls: 'kernel', args: GUP_LOCAL, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages() on current->mm', result: PINNED, impl: gupLocal('pin', 'pin_user_pages') },
  get_user_pages_remote: {
    cls: 'kernel', args: GUP_REMOTE, outputs: ['pages'], doc: 'mm/gup.c get_user_pages_remote(); mm_lock taken by the step', result: PINNED,
    impl: gupRemote('ref', 'get_user_pages_remote'),
  },
  pin_user_pages_remote: {
    cls: 'kernel', args: GUP_REMOTE, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages_remote(); mm_lock taken by the step', result: PINNED,
    impl: gupRemote('pin', 'pin_user_pages_remote'),
  },
  get_user_pages_fast: { cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c get_user_pages_fast()', result: PINNED, impl: gupUnlocked('ref', 'get_user_pages_fast') },
  pin_user_pages_fast: { cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages_fast()', result: PINNED, impl: gupUnlocked('pin', 'pin_user_pages_fast') },
  get_user_pages_unlocked: {
    cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c get_user_pages_unlocked()', result: PINNED, impl: gupUnlocked('ref', 'get_user_pages_unlocked'),
  },
  pin_user_pages_unlocked: {
    cls: 'kernel', args: GUP_FAST, outputs: ['pages'], doc: 'mm/gup.c pin_user_pages_unlocked()', result: PINNED, impl: gupUnlocked('pin', 'pin_user_pages_unlocked'),
  },
  unpin_user_pages: {
    cls: 'kernel', args: [a('pages', { kind: 'pages' }), a('dirty', { kind: 'bool' }, false)], doc: 'unpin_user_pages() / unpin_user_pages_dirty_lock()',
    result: '0', impl: opUnpin,
  },
  put_pages: { cls: 'kernel', args: [a('pages', { kind: 'pages' })], doc: 'put_page() on each page', result: '0 (put_page on each)', impl: opPutPages },
} satisfies OpGroup;
