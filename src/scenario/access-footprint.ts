/**
 * MODEL (no kernel counterpart): step footprints for the explorer's partial-order
 * reduction (src/explore/dpor.ts) from what the model itself did in each step, for
 * every scenario.
 *
 * Vocabulary: `lock:<name>`, one object per runtime lock (mmap_lock(mm#1), the VFIO
 * container mutex, i_rwsem, ...), and `world`, everything else the world fingerprint
 * hashes (mem_map, zones, mms with their VMAs and page tables, tasks, files, VFIO,
 * IOMMU, iommufd, io_uring, pipes, kernel reports, the scenario's own results).
 *
 * - Lock accesses come from the lock classes themselves (src/sched/access.ts): exact
 *   and complete by construction, reads (a failed trylock, a getter) apart from writes.
 * - Writes to `world` are found, not declared: the world fingerprint with every lock
 *   masked (AccessLog.withoutLocks) after the step is compared with the one before it.
 *   Equal: the step changed nothing but locks; different: `w:world`. Nothing can be
 *   forgotten here: any change the world fingerprint sees is a write (the same
 *   fingerprint the state cache trusts).
 * - Reads of `world` are not recorded by the model's code, so every step reads it
 *   (`r:world`): a step that changes anything outside the locks is dependent with every
 *   other step; two steps that change no more than locks are independent unless they
 *   touch the same lock (one of them changing it).
 * - A step the runtime cannot describe (AccessLog.unknown: a signal, a merge that
 *   relied on other threads having exited, a resume from a non-lock wait, a first lock
 *   operation after a getter read) has no footprint: dependent with every step.
 *
 * Invariants (`observes: ['world']`): the step invariants read world state only (the
 * runtime's own `sched` invariants are per thread), so a step that changes only locks is
 * invisible to them; every `w:world` step is visible.
 *
 * Cost: one world fingerprint per step, the masked one: the state key is that plus the
 * states of the run's locks that are not pristine (`fingerprint()`), so the explorer's
 * state key costs nothing more.
 */
import type { Footprint } from '../explore/dpor.js';
import { AccessLog } from '../sched/index.js';
import type { Sched } from '../sched/index.js';

/** What the step invariants of a scenario read, in this vocabulary. */
export const ACCESS_OBSERVES: readonly string[] = ['world'];

/** The per-step footprints of one run (see the file header). */
export class AccessFootprints {
  private readonly log = new AccessLog();
  /** The world fingerprint without locks after step `prevStep` (null: none yet). */
  private prev: string | null = null;
  private prevStep = -1;
  private memoStep = -1;
  private memo = '';
  /** The world fingerprint without locks at `memoStep`. */
  private bare = '';
  /** Steps reported, and how many changed only locks / were unknown (statistics for tests and benchmarks). */
  steps = 0;
  lockOnly = 0;
  unknown = 0;

  constructor(
    private readonly sched: Sched,
    private readonly world: () => string,
  ) {
    sched.access = this.log;
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
    if (this.sched.inThread) return this.key();
    if (this.memoStep !== n) {
      this.memo = this.key();
      this.bare = this.lastBare;
      this.memoStep = n;
    }
    return this.memo;
  }

  /** The world fingerprint without locks computed by the latest key(). */
  private lastBare = '';

  private key(): string {
    const bare = this.log.withoutLocks(this.world);
    this.lastBare = bare;
    const locks = this.log.locksKey();
    return locks === null ? `${this.world()}\u0006${bare}` : `${bare}\u0006${locks}`;
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
    this.prev = now;
    this.prevStep = n;
    if (before === null) return null;
    this.steps++;
    const log = this.log;
    if (log.unknown) {
      this.unknown++;
      return null;
    }
    let wrote = now !== before;
    // A lock operated on for the first time in this run was hashed unmasked before the step.
    if (wrote && log.firstOperations) wrote = log.withoutLocks(this.world, true) !== before;
    const fp = log.lockEntries();
    fp.push('r:world');
    if (wrote) fp.push('w:world');
    else this.lockOnly++;
    return fp;
  }
}
