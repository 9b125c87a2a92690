/**
 * Step access recording for the explorer's partial-order reduction (src/explore/dpor.ts):
 * what the step that is running did to the runtime's locks, and whether it did
 * something whose effect on other threads this layer cannot describe.
 *
 * The lock classes (locks.ts) keep their state in private fields, so every access to a
 * lock goes through one of their methods, and each method reports itself here before
 * it reads or changes anything: the record of lock accesses is complete by
 * construction (the type checker enforces the privacy). A getter read (`state`,
 * `holder`, `isLocked`) of a lock that no thread has operated on yet in this run cannot
 * be attributed to a step (the lock does not know its runtime yet); the first step that
 * then operates on that lock is marked `unknown`, so it is dependent with every step.
 *
 * `unknown` is also set for what the runtime does to other threads: a signal sent to a
 * thread (Sched.kill), a step that ran because a thread it waited for had exited
 * (Sched.alone answered true), and a step resumed from a wait that is not on a lock
 * (completion, wait queue: its predicate read state this layer does not see). The
 * explorer's target (src/scenario/access-footprint.ts) turns a record into a
 * footprint; everything else a step reads or writes is outside this layer.
 *
 * Cost: one map entry per lock a step touches; nothing when no log is attached.
 */

/** A lock whose accesses are recorded (the classes of locks.ts). */
export interface TrackedLock {
  readonly name: string;
  /** The lock's state as the world fingerprint hashes it ('' while the log masks locks). */
  fingerprint(): string;
  /** The state of a lock no thread holds or waits for. */
  readonly pristine: string;
}

/** One lock a step touched. */
interface LockAccess {
  write: boolean;
}

/** The access record of the running step (attached to a Sched as `access`), and the run's locks. */
export class AccessLog {
  private readonly touched = new Map<TrackedLock, LockAccess>();
  /** Every lock an operation touched in this run, by name (null: two locks share a name). */
  private readonly byName = new Map<string, TrackedLock>();
  private dupNames = false;
  /** While true, every operated lock's fingerprint() is '' (the world without its locks), or `unmaskedAs`'s string. */
  masking = false;
  /** Locks the running step operated on first in this run, with their state before (their fingerprints until then were not masked). */
  private readonly first = new Map<TrackedLock, string>();
  private unmaskedAs: ReadonlyMap<TrackedLock, string> | null = null;
  /** The step did something whose effect on other threads is not described here. */
  unknown = false;
  /** Why (the first reason), for tests and debugging. */
  why: string | null = null;
  /**
   * Objects of the world the running step read, by id, as the model's own lookups report
   * them (src/scenario/access-footprint.ts installs the hooks; this layer only keeps the set).
   */
  readonly reads = new Set<string>();

  /** A new step begins. */
  begin(): void {
    if (this.reads.size > 0) this.reads.clear();
    if (this.touched.size > 0) this.touched.clear();
    if (this.first.size > 0) this.first.clear();
    this.unknown = false;
    this.why = null;
  }

  /** Mark the running step as unknown (dependent with every step). */
  markUnknown(why: string): void {
    if (!this.unknown) this.why = why;
    this.unknown = true;
  }

  /** Lock `l`'s first operation in this run, in the running step; `before` is its state then. */
  firstOperation(l: TrackedLock, before: string): void {
    this.first.set(l, before);
  }

  /** The running step read world object `id` (the hooks record only while a thread runs: Sched.inThread). */
  read(id: string): void {
    this.reads.add(id);
  }

  /** Did the running step operate on a lock for the first time in this run? */
  get firstOperations(): boolean {
    return this.first.size > 0;
  }

  /** What a lock's fingerprint() shows: null when not masking, else '' or its state from before its first operation. */
  shown(l: TrackedLock): string | null {
    if (!this.masking) return null;
    return this.unmaskedAs?.get(l) ?? '';
  }

  /** The running step reads (`write` false) or changes lock `l`. */
  lock(l: TrackedLock, write: boolean): void {
    const a = this.touched.get(l);
    if (a === undefined) {
      this.touched.set(l, { write });
      const other = this.byName.get(l.name);
      if (other === undefined) this.byName.set(l.name, l);
      else if (other !== l) this.dupNames = true;
    } else if (write) a.write = true;
  }

  /** The step's lock accesses as footprint entries (`r:lock:<name>` / `w:lock:<name>`). */
  lockEntries(): string[] {
    const out: string[] = [];
    for (const [l, a] of this.touched) {
      const e = `${a.write ? 'w' : 'r'}:lock:${l.name}`;
      if (!out.includes(e)) out.push(e);
    }
    return out;
  }

  /**
   * Evaluate `f` with every operated lock's fingerprint masked (''); with `asBefore`, the
   * locks the step operated on first show their state from before the step instead (as
   * the fingerprint before the step showed them, unmasked).
   */
  withoutLocks<T>(f: () => T, asBefore = false): T {
    this.masking = true;
    if (asBefore) this.unmaskedAs = this.first;
    try {
      return f();
    } finally {
      this.masking = false;
      this.unmaskedAs = null;
    }
  }

  /**
   * The state of every lock of the run that is not pristine, in a canonical order, or null
   * when two locks share a name (the key would be ambiguous). Locks no operation
   * touched in this run are pristine.
   */
  locksKey(): string | null {
    if (this.dupNames) return null;
    let held: string[] | null = null;
    for (const [n, l] of this.byName) {
      const fp = l.fingerprint();
      if (fp !== l.pristine) (held ??= []).push(`${n}=${fp}\u0007`);
    }
    if (held === null) return '';
    if (held.length === 1) return held[0];
    // Sorted entries: one string per set of lock states (names are unique, entries end in \u0007).
    return held.sort().join('');
  }
}
