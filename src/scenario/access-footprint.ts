/**
 * MODEL (no kernel counterpart): step footprints for the explorer's partial-order
 * reduction (src/explore/dpor.ts) and inputs for its history key (src/explore/history.ts),
 * from what the model itself did in each step, for every scenario.
 *
 * Vocabulary: `lock:<name>`, one object per runtime lock (mmap_lock(mm#1), the VFIO
 * container mutex, i_rwsem, ...); `f<slot>` and `p<mm>.<key>.<i>` (with `p<mm>.<key>`,
 * `p<mm>` covering them), one object per folio and per PTE (src/scenario/object-footprint.ts);
 * the extra objects a run passes in (`res.<i>`, a scenario thread's progress and results:
 * thread-footprint.ts; `vm.<mm>`, an mm's pinning counters: counter-footprint.ts); and
 * `world`, everything else the world fingerprint hashes.
 *
 * - Lock accesses come from the lock classes themselves (src/sched/access.ts): exact
 *   and complete by construction, reads (a failed trylock, a getter) apart from writes.
 * - Writes are found, not declared: the world fingerprint with every lock masked and the
 *   tracked objects' values left out (the *rest*) is compared with the one before the
 *   step (`w:world`), and each tracked object's value with its value before the step. The
 *   rest and the tracked values together are the whole lock-masked world: nothing can be
 *   forgotten (a change neither shows is thrown as a pinlab bug).
 * - Reads: every step reads `world`; reads of folios and PTEs are reported by the model's
 *   lookups (object-footprint.ts says which, and what they cannot see), reads of the extra
 *   objects by their owners (read()).
 * - A step the runtime cannot describe (AccessLog.unknown: a signal, a merge that
 *   relied on other threads having exited, a resume from a non-lock wait, a first lock
 *   operation after a getter read, a page table of an mm created within the step) has
 *   no footprint: dependent with every step.
 *
 * Invariants (`observes: ['world']`): each step condition reads `world` and at most one
 * tracked object (docs/explorer.md gives the argument), so only `w:world` steps are visible.
 *
 * Cost per step: one masked fingerprint (the rest), one pass over the live folio slots and
 * the PTE tables (their values, kept in two buffers, and a digest of them for the state key).
 * Without a machine (`m` null) the tracked objects are part of `world` (the previous
 * footprints, kept for measurements).
 */
import type { Footprint } from '../explore/dpor.js';
import type { Machine } from '../linux/machine.js';
import { fingerprintMask } from '../linux/mm/fingerprint.js';
import { AccessLog } from '../sched/index.js';
import type { Sched } from '../sched/index.js';
import { ObjectValues, ReadHooks } from './object-footprint.js';
import type { ExtraObjects } from './object-footprint.js';

/** What the step invariants of a scenario read, in this vocabulary. */
export const ACCESS_OBSERVES: readonly string[] = ['world'];

/** The per-step footprints of one run (see the file header). */
export class AccessFootprints {
  private readonly log = new AccessLog();
  private readonly hooks: ReadHooks | null;
  /** The world fingerprint without locks after step `prevStep` (null: none yet). */
  private prev: string | null = null;
  /** The same without the tracked objects' values (`rest`), and those values, after step `prevStep`. */
  private prevRest = '';
  private prevObjs = new ObjectValues();
  private nowObjs = new ObjectValues();
  private prevStep = -1;
  private memoStep = -1;
  private memo = '';
  /** The world fingerprint without locks at `memoStep`. */
  private bare = '';
  /** Steps reported, and how many changed only locks / only tracked objects and locks / were unknown (statistics for tests and benchmarks). */
  steps = 0;
  lockOnly = 0;
  objectsOnly = 0;
  unknown = 0;
  /** Debug: the last step's written tracked objects (for tests). */
  lastWrites: readonly string[] = [];
  /**
   * What the last step depended on besides its thread's own state (stepInput()): the rest of
   * the world and the lock states before it, and the values before it (`inputObjs`) of what it
   * read (the log's reads). Built only when asked for (the history key): null when unknown.
   */
  private input: string | null = null;
  private inputParts: { readonly rest: string; readonly locks: string; readonly objs: ObjectValues } | null = null;
  /** The states of the locks that are not pristine at `prevStep` (see key()). */
  private prevLocks = '';
  private lastLocks = '';
  /** The states of the locks that are not pristine at `memoStep`. */
  private locksAt = '';

  constructor(
    private readonly sched: Sched,
    private readonly world: () => string,
    /** The machine whose folios and PTEs are tracked one by one (null: none, all of the world is `world`). */
    private readonly m: Machine | null = null,
    /**
     * Objects outside the machine tracked one by one (with `m` only): `world` (the
     * fingerprint with `fingerprintMask.precise`) must then leave their values out.
     */
    private readonly extra: ExtraObjects | null = null,
  ) {
    sched.access = this.log;
    this.hooks = m === null ? null : new ReadHooks(m, sched, this.log);
  }

  /**
   * The state key's world part now (computed once per step): the world fingerprint with
   * every lock masked, then the state of each lock that is not pristine, by name. Two
   * worlds with the same key are the same world (locks no operation touched are
   * pristine); should two locks share a name, the unmasked fingerprint is used instead.
   */
  fingerprint(): string {
    const n = this.sched.stepCount;
    // Inside a step (a caller looking at an instant within it) the world is still changing: no memo.
    if (this.sched.inThread) return this.key(new ObjectValues());
    if (this.memoStep !== n) {
      this.memo = this.key(this.nowObjs);
      this.bare = this.lastBare;
      this.locksAt = this.lastLocks;
      this.restAt = this.lastRest;
      this.memoStep = n;
    }
    return this.memo;
  }

  /** The world fingerprint without locks computed by the latest key(), and its rest. */
  private lastBare = '';
  private lastRest = '';
  /** The rest of the world at `memoStep`. */
  private restAt = '';

  /**
   * The key now. With tracked objects, the world without locks is the rest of the world
   * and a digest of the tracked objects' values (taken into `objs`): one masked
   * fingerprint and one pass over the folios and PTE tables, not two fingerprints.
   */
  private key(objs: ObjectValues): string {
    let bare: string;
    if (this.m !== null) {
      const rest = this.rest();
      objs.take(this.m, this.extra);
      this.lastRest = rest;
      bare = `${rest}\u0007${objs.hash()}`;
    } else bare = this.log.withoutLocks(this.world);
    this.lastBare = bare;
    const locks = this.log.locksKey();
    this.lastLocks = locks ?? '\u0000';
    return locks === null ? `${this.world()}\u0006${bare}` : `${bare}\u0006${locks}`;
  }

  /** The world fingerprint without locks and without the tracked objects' values (`asBefore`: see AccessLog.withoutLocks). */
  private rest(asBefore = false): string {
    fingerprintMask.precise = this.m !== null;
    try {
      return this.log.withoutLocks(this.world, asBefore);
    } finally {
      fingerprintMask.precise = false;
    }
  }

  /** Record a read of tracked object `id` by the running step (nothing outside steps: the checker and the explorer read too). */
  read(id: string): void {
    if (this.sched.inThread) this.log.read(id);
  }

  /**
   * The footprint of the step that just ran; a call before any step only records the
   * start. The explorer skips the calls of replayed steps: a step whose previous state
   * was not seen (no call after the step before it) has no footprint.
   */
  next(): Footprint {
    this.fingerprint();
    const now = this.bare;
    const n = this.sched.stepCount;
    const before = this.prevStep === n - 1 ? this.prev : null;
    const log = this.log;
    this.prev = now;
    this.prevStep = n;
    const prevLocks = this.prevLocks;
    this.prevLocks = this.locksAt;
    const prevRest = this.prevRest;
    this.prevRest = this.restAt;
    const prevObjs = this.prevObjs;
    this.input = null;
    this.inputParts = null;
    this.hooks?.register();
    // Nothing but locks changed (a first lock operation shows as a change: see below).
    let changed = before === null || now !== before;
    // A lock operated on for the first time in this run was hashed unmasked before the step.
    const asBefore = (): string => (this.m === null ? log.withoutLocks(this.world, true) : `${this.rest(true)}\u0007${this.nowObjs.hash()}`);
    if (changed && before !== null && log.firstOperations) changed = asBefore() !== before;
    let w: string[] | null = null;
    let restWrote = false;
    if (changed) {
      if (before !== null) {
        restWrote = this.restAt !== prevRest;
        if (restWrote && log.firstOperations) restWrote = this.rest(true) !== prevRest;
        if (this.m !== null) ObjectValues.diff(prevObjs, this.nowObjs, (w = []));
      }
      // The values now become the ones before the next step (the other buffer takes the next ones).
      this.prevObjs = this.nowObjs;
      this.nowObjs = prevObjs;
    }
    if (before === null) return null;
    this.steps++;
    if (log.unknown) {
      this.unknown++;
      return null;
    }
    if (this.m !== null) {
      // The step read the rest of the world, the locks (their states are in prevLocks) and the objects it reported.
      this.inputParts = { rest: prevRest, locks: prevLocks, objs: prevObjs };
    }
    const fp = log.lockEntries();
    fp.push('r:world');
    if (this.m === null) restWrote = changed;
    if (restWrote) fp.push('w:world');
    this.lastWrites = w ?? [];
    if (!changed) this.lockOnly++;
    else if (this.m !== null) {
      if ((w as string[]).length === 0 && !restWrote) this.unexplained();
      if (!restWrote) this.objectsOnly++;
      for (const x of w as string[]) fp.push(x);
    }
    for (const r of log.reads) fp.push(`r:${r}`);
    return fp;
  }

  /**
   * What the step that just ran (the one next() reported) depended on besides its own
   * thread's state and data choices: the rest of the world, the states of the locks and the
   * values of the tracked objects it read, as they were when it started. Null when its
   * footprint is unknown or no objects are tracked (the caller then uses the whole world).
   */
  stepInput(): string | null {
    // PERF: built here, not in next(): only the history key asks, and it asks before the next
    // step (the log's reads and the buffer of values before the step are still this step's).
    const p = this.inputParts;
    if (p !== null && this.input === null) {
      let input = `${p.rest}\u0001${p.locks}\u0001`;
      for (const r of this.log.reads) input += `${r}=${p.objs.value(r)};`;
      this.input = input;
    }
    return this.input;
  }

  /** A change the rest and the tracked objects do not show (a gap in the masked fingerprint: a pinlab bug). */
  private unexplained(): never {
    throw new Error('pinlab bug: a step changed the world fingerprint, but neither its rest nor any tracked object (src/scenario/object-footprint.ts)');
  }
}
