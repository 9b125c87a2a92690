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
  /** While true, every lock's fingerprint() is '' (the world without its locks). */
  masking = false;
  /** The step did something whose effect on other threads is not described here. */
  unknown = false;
  /** Why (the first reason), for tests and debugging. */
  why: string | null = null;

  /** A new step begins. */
  begin(): void {
    if (this.touched.size > 0) this.touched.clear();
    this.unknown = false;
    this.why = null;
  }

  /** Mark the running step as unknown (dependent with every step). */
  markUnknown(why: string): void {
    if (!this.unknown) this.why = why;
    this.unknown = true;
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

  /** Evaluate `f` with every lock's fingerprint masked (''). */
  withoutLocks<T>(f: () => T): T {
    this.masking = true;
    try {
      return f();
    } finally {
      this.masking = false;
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
