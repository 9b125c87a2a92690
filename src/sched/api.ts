/**
 * The vocabulary of the deterministic kernel-thread runtime.
 *
 * A kernel path that can sleep or be preempted is a generator function returning
 * `KThread<T>`; it is always called with `yield*`, so its return value stays typed.
 * The generator yields a `SchedPoint` at every place where another thread may run
 * (a named scheduling point), where it must wait for a condition (a wait predicate),
 * or where the model makes a nondeterministic data choice. The runtime resumes it
 * with the index chosen for a data choice, and with 0 otherwise.
 *
 * This layer knows nothing about mm: it sees labels, predicates and lock names.
 */

/** A thread id, stable across replays (threads are numbered in spawn order). */
export type ThreadId = number & { readonly __brand: 'ThreadId' };

/** Why a thread cannot run. `kind` is a closed set; `object` names the lock or object. */
export interface BlockReason {
  readonly kind: BlockKind;
  /** The lock or object waited on, e.g. `mmap_lock(mm#1)`, `PAGE#3`. */
  readonly object: string;
  /** Free text for reports, e.g. `dax_layout_busy_page`. */
  readonly detail?: string;
}

export type BlockKind =
  /** Waiting for a rw_semaphore for read. */
  | 'rwsem-read'
  /** Waiting for a rw_semaphore for write. */
  | 'rwsem-write'
  /** Waiting for a mutex. */
  | 'mutex'
  /** Spinning on a spinlock held by another CPU. */
  | 'spinlock'
  /** wait_for_completion(). */
  | 'completion'
  /** wait_event() on a wait queue: a condition that another thread must make true. */
  | 'waitqueue';

/**
 * Interruptibility of a wait: may a pending signal end it early? `user` is not a kernel wait: the
 * scenario's program waits in user space (for a forked process to exist, or for another thread's
 * step result); no signal ends it, and a deadlock made of such waits is the program's own hang.
 */
export type WaitMode = 'uninterruptible' | 'killable' | 'interruptible' | 'user';

export type SchedPoint =
  | {
      readonly kind: 'point';
      /** `<kernel file>.c:<function>:<tag>`, e.g. `mm/gup.c:__get_user_pages:retry`. */
      readonly label: string;
      /** Thread-local state that matters for the state fingerprint at this point. */
      readonly locals?: string;
      /** The label and `locals` describe the thread's whole state here (see `Sched.described`). */
      readonly whole?: true;
    }
  | {
      readonly kind: 'wait';
      readonly label: string;
      readonly reason: BlockReason;
      /** The thread is enabled exactly when this holds (or a signal ends the wait). */
      readonly ready: () => boolean;
      readonly mode: WaitMode;
      readonly locals?: string;
      /** The label and `locals` describe the thread's whole state here (see `Sched.described`). */
      readonly whole?: true;
    }
  | {
      readonly kind: 'choose';
      readonly label: string;
      /** Number of options; the runtime resumes the thread with an index in [0, n). */
      readonly n: number;
      /** Option names for traces and reports. */
      readonly names: readonly string[];
    };

/** A kernel path: yields scheduling points, returns T. Resumed with a choice index (or 0). */
export type KThread<T> = Generator<SchedPoint, T, number>;

/** Values allowed in trace events: JSON-safe and stable. */
export type TraceValue = string | number | boolean | null | readonly TraceValue[] | { readonly [k: string]: TraceValue };

/** One event of a run's trace. Traces are deterministic: same inputs, same bytes. */
export type TraceEvent =
  | { readonly kind: 'spawn'; readonly thread: ThreadId; readonly name: string }
  | { readonly kind: 'switch'; readonly thread: ThreadId; readonly step: number }
  | { readonly kind: 'point'; readonly thread: ThreadId; readonly label: string }
  | { readonly kind: 'block'; readonly thread: ThreadId; readonly label: string; readonly reason: BlockReason }
  | { readonly kind: 'choose'; readonly thread: ThreadId; readonly label: string; readonly chosen: string; readonly index: number }
  | { readonly kind: 'call'; readonly thread: ThreadId; readonly fn: string; readonly args: TraceValue }
  | { readonly kind: 'ret'; readonly thread: ThreadId; readonly fn: string; readonly result: TraceValue }
  | { readonly kind: 'note'; readonly thread: ThreadId; readonly text: string; readonly data?: TraceValue }
  | { readonly kind: 'signal'; readonly thread: ThreadId; readonly fatal: boolean }
  /**
   * A lone thread's merged run (Sched.alone): `points` scheduling points labelled `label`
   * that the thread did not stop at, because no other thread could run there; `data` says
   * what the run covered (e.g. a page range and counts). It holds no choice, so the
   * schedule string of the run is the same as with those points taken one by one.
   */
  | { readonly kind: 'batch'; readonly thread: ThreadId; readonly label: string; readonly points: number; readonly data: TraceValue }
  | { readonly kind: 'exit'; readonly thread: ThreadId; readonly result: TraceValue };

/** A lock as the runtime sees it: held by threads, reported in deadlocks and at exit. */
export interface HeldLock {
  readonly lock: string;
  readonly mode: 'read' | 'write' | 'exclusive';
  /** Spinlocks forbid sleeping while held. */
  readonly spin: boolean;
}

/** Problems the runtime itself detects (the invariant checker adds the rest). */
export type SchedViolation =
  | {
      readonly kind: 'deadlock';
      readonly threads: readonly {
        readonly thread: ThreadId;
        readonly name: string;
        readonly label: string;
        readonly reason: BlockReason;
        /** How the wait may end early: an interruptible wait is ended by any signal. */
        readonly mode: WaitMode;
        readonly held: readonly HeldLock[];
      }[];
    }
  | { readonly kind: 'lock-held-at-exit'; readonly thread: ThreadId; readonly name: string; readonly held: readonly HeldLock[] }
  | { readonly kind: 'sleep-in-atomic'; readonly thread: ThreadId; readonly name: string; readonly label: string; readonly spinlock: string };
