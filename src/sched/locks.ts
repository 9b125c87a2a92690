/**
 * Kernel locking primitives with kernel semantics, mm-agnostic.
 * src/linux/kernel/locking/ wraps these under their kernel names
 * (down_read, up_read, mutex_lock, spin_lock, wait_for_completion, ...).
 *
 * Acquisition is a scheduling point; release is not (the kernel's release paths
 * never sleep). A contended acquire parks the thread on a wait predicate, so a
 * blocked thread is enabled exactly when the lock has been handed to it.
 */
import type { HeldLock, KThread, ThreadId, WaitMode } from './api.js';
import { point, waitUntil } from './points.js';
import type { Sched } from './runtime.js';
import type { TrackedLock } from './access.js';

/**
 * What every lock class shares for access recording (access.ts): each method reports
 * its access to the running step's log before it touches the lock's private state.
 */
abstract class Recorded implements TrackedLock {
  abstract readonly pristine: string;
  /** The runtime of the latest operation on this lock (null: none yet in this run). */
  private sched: Sched | null = null;
  /** A getter read this lock before any operation did (access.ts). */
  private peeked = false;

  constructor(readonly name: string) {}

  abstract fingerprint(): string;

  /** What fingerprint() shows while the access log masks lock states (AccessLog.shown), else null. */
  protected get masked(): string | null {
    return this.sched?.access?.shown(this) ?? null;
  }

  /** An operation of the running thread of `s` reads (`write` false) or changes this lock. */
  protected note(s: Sched, write: boolean): void {
    if (this.sched !== s) {
      const a = s.access;
      if (a !== null) {
        a.firstOperation(this, this.fingerprint()); // before this.sched is set: unmasked
        if (this.peeked) a.markUnknown(`first operation on ${this.name}, read before by a getter`);
      }
      this.sched = s;
    }
    s.access?.lock(this, write);
  }

  /** A getter read of this lock's state (by a step, or by a checker between steps). */
  protected peek(): void {
    const s = this.sched;
    if (s === null) this.peeked = true;
    else if (s.inThread) s.access?.lock(this, false);
  }
}

interface RwWaiter {
  readonly tid: ThreadId;
  readonly write: boolean;
  granted: boolean;
}

/**
 * struct rw_semaphore (kernel/locking/rwsem.c, v5.4 … v6.12).
 *
 * Semantics kept from the kernel:
 * - readers share the lock; a writer excludes everyone;
 * - waiters queue in FIFO order, and once anything is queued a new reader does not
 *   jump the queue: a queued writer blocks later readers (the kernel sets
 *   RWSEM_FLAG_WAITERS, which fails the reader fast path), so writers cannot starve;
 * - on release the head of the queue is woken: a writer alone, or the readers at
 *   the head of the queue together;
 * - trylocks fail whenever they would have to wait, including when waiters exist;
 * - killable waits give up on a fatal signal (the caller returns -EINTR).
 * - when a reader is at the head of the queue, a wake-up grants the lock to every
 *   queued reader at once, skipping the writers, who keep their order;
 * - acquiring may sleep: holding a spinlock there is `sleep-in-atomic` even when the
 *   lock is free (the kernel's might_sleep() check).
 * MODEL: no optimistic spinning or lock stealing (both only change timing), and no
 * MAX_READERS_WAKEUP (256) cap on one wake-up.
 */
export class RwSemaphore extends Recorded {
  readonly pristine = '-||';
  private writer: ThreadId | null = null;
  private readonly readers: ThreadId[] = [];
  private readonly queue: RwWaiter[] = [];

  /** Holders, for reports and fingerprints. */
  get state(): { readonly writer: ThreadId | null; readonly readers: readonly ThreadId[]; readonly waiting: number } {
    this.peek();
    return { writer: this.writer, readers: this.readers, waiting: this.queue.length };
  }

  isLocked(): boolean {
    this.peek();
    return this.writer !== null || this.readers.length > 0;
  }

  isWriteLocked(): boolean {
    this.peek();
    return this.writer !== null;
  }

  /** Fingerprint of the lock state (holders and queue). */
  fingerprint(): string {
    const shown = this.masked;
    if (shown !== null) return shown;
    const q = this.queue.map((w) => `${w.write ? 'W' : 'R'}${w.tid}${w.granted ? '+' : ''}`).join(',');
    return `${this.writer ?? '-'}|${this.readers.join(',')}|${q}`;
  }

  /** down_read / down_read_killable. Returns true if a signal ended the wait (lock not taken). */
  *downRead(s: Sched, label: string, mode: WaitMode = 'uninterruptible'): KThread<boolean> {
    yield* point(label);
    s.mightSleep(label);
    const tid = s.current;
    this.note(s, true); // takes the lock or queues
    if (this.writer === null && this.queue.length === 0) {
      this.readers.push(tid);
      s.noteAcquire(this.held('read'));
      return false;
    }
    return yield* this.wait(s, label, tid, false, mode);
  }

  /** down_write / down_write_killable. Returns true if a signal ended the wait. */
  *downWrite(s: Sched, label: string, mode: WaitMode = 'uninterruptible'): KThread<boolean> {
    yield* point(label);
    s.mightSleep(label);
    const tid = s.current;
    this.note(s, true); // takes the lock or queues
    if (this.writer === null && this.readers.length === 0 && this.queue.length === 0) {
      this.writer = tid;
      s.noteAcquire(this.held('write'));
      return false;
    }
    return yield* this.wait(s, label, tid, true, mode);
  }

  /** down_read_trylock: true if taken. Not a scheduling point (it never sleeps). */
  tryRead(s: Sched): boolean {
    this.note(s, false);
    if (this.writer !== null || this.queue.length > 0) return false;
    this.note(s, true);
    this.readers.push(s.current);
    s.noteAcquire(this.held('read'));
    return true;
  }

  /** down_write_trylock: true if taken. */
  tryWrite(s: Sched): boolean {
    this.note(s, false);
    if (this.writer !== null || this.readers.length > 0 || this.queue.length > 0) return false;
    this.note(s, true);
    this.writer = s.current;
    s.noteAcquire(this.held('write'));
    return true;
  }

  /** up_read. Returns false (and changes nothing) if the caller held no read lock: a kernel bug. */
  upRead(s: Sched): boolean {
    const tid = s.current;
    this.note(s, false);
    const i = this.readers.lastIndexOf(tid);
    if (i < 0) return false;
    this.note(s, true);
    this.readers.splice(i, 1);
    s.noteRelease(this.name);
    this.wake();
    return true;
  }

  /** up_write. Returns false if the caller was not the writer. */
  upWrite(s: Sched): boolean {
    this.note(s, false);
    if (this.writer !== s.current) return false;
    this.note(s, true);
    this.writer = null;
    s.noteRelease(this.name);
    this.wake();
    return true;
  }

  /** downgrade_write: the writer becomes a reader and queued readers at the head may join. */
  downgradeWrite(s: Sched): boolean {
    const tid = s.current;
    this.note(s, false);
    if (this.writer !== tid) return false;
    this.note(s, true);
    this.writer = null;
    this.readers.push(tid);
    s.noteRelease(this.name);
    s.noteAcquire(this.held('read'));
    this.wake();
    return true;
  }

  private held(mode: 'read' | 'write'): HeldLock {
    return { lock: this.name, mode, spin: false };
  }

  private *wait(s: Sched, label: string, tid: ThreadId, write: boolean, mode: WaitMode): KThread<boolean> {
    const w: RwWaiter = { tid, write, granted: false };
    this.queue.push(w);
    const interrupted = yield* waitUntil(
      label,
      { kind: write ? 'rwsem-write' : 'rwsem-read', object: this.name },
      () => w.granted,
      mode,
    );
    this.note(s, true); // leaves the queue, or holds the lock handed to it
    if (interrupted && !w.granted) {
      this.queue.splice(this.queue.indexOf(w), 1);
      this.wake(); // a reader behind a departed writer may now proceed
      return true;
    }
    s.noteAcquire(this.held(write ? 'write' : 'read'));
    return false;
  }

  /** Hand the lock to the head of the queue if it can have it. */
  private wake(): void {
    while (this.queue.length > 0) {
      const head = this.queue[0];
      if (head.write) {
        if (this.writer === null && this.readers.length === 0) {
          this.queue.shift();
          this.writer = head.tid;
          head.granted = true;
        }
        return;
      }
      // A reader at the head: every queued reader is granted together, writers keep
      // their places (kernel/locking/rwsem.c:rwsem_mark_wake, phase-fair reader
      // wake-up since d3681e269fff, v5.3; read in the 6.1 and 6.12 trees).
      if (this.writer !== null) return;
      for (let i = 0; i < this.queue.length; ) {
        const w = this.queue[i];
        if (w.write) {
          i++;
          continue;
        }
        this.queue.splice(i, 1);
        this.readers.push(w.tid);
        w.granted = true;
      }
      return;
    }
  }
}

/**
 * struct mutex (kernel/locking/mutex.c): one owner, sleeping waiters in FIFO order,
 * ownership handed to the first waiter on unlock.
 * MODEL: no optimistic spinning (timing only).
 */
export class Mutex extends Recorded {
  readonly pristine = '-|';
  private owner: ThreadId | null = null;
  private readonly queue: { readonly tid: ThreadId; granted: boolean }[] = [];

  get holder(): ThreadId | null {
    this.peek();
    return this.owner;
  }

  fingerprint(): string {
    const shown = this.masked;
    if (shown !== null) return shown;
    return `${this.owner ?? '-'}|${this.queue.map((w) => w.tid).join(',')}`;
  }

  /** mutex_lock / mutex_lock_killable / mutex_lock_interruptible. True if a signal ended the wait. */
  *lock(s: Sched, label: string, mode: WaitMode = 'uninterruptible'): KThread<boolean> {
    yield* point(label);
    s.mightSleep(label);
    const tid = s.current;
    this.note(s, true); // takes the mutex or queues
    if (this.owner === null && this.queue.length === 0) {
      this.owner = tid;
      s.noteAcquire({ lock: this.name, mode: 'exclusive', spin: false });
      return false;
    }
    const w = { tid, granted: false };
    this.queue.push(w);
    const interrupted = yield* waitUntil(label, { kind: 'mutex', object: this.name }, () => w.granted, mode);
    this.note(s, true); // leaves the queue, or holds the mutex handed to it
    if (interrupted && !w.granted) {
      this.queue.splice(this.queue.indexOf(w), 1);
      return true;
    }
    s.noteAcquire({ lock: this.name, mode: 'exclusive', spin: false });
    return false;
  }

  tryLock(s: Sched): boolean {
    this.note(s, false);
    if (this.owner !== null || this.queue.length > 0) return false;
    this.note(s, true);
    this.owner = s.current;
    s.noteAcquire({ lock: this.name, mode: 'exclusive', spin: false });
    return true;
  }

  /** mutex_unlock. Returns false if the caller was not the owner. */
  unlock(s: Sched): boolean {
    this.note(s, false);
    if (this.owner !== s.current) return false;
    this.note(s, true);
    s.noteRelease(this.name);
    const next = this.queue.shift();
    if (next === undefined) this.owner = null;
    else {
      this.owner = next.tid;
      next.granted = true;
    }
    return true;
  }
}

/**
 * spinlock_t. Threads model CPUs, so other threads keep running while one holds a
 * spinlock; what is forbidden is sleeping (any blocking wait other than spinning)
 * while holding one: the runtime reports that as `sleep-in-atomic`.
 * MODEL: waiters spin on "free" without a ticket order.
 */
export class SpinLock extends Recorded {
  readonly pristine = '-';
  private owner: ThreadId | null = null;

  get holder(): ThreadId | null {
    this.peek();
    return this.owner;
  }

  /** The holder, for access recording (no world fingerprint hashes spinlocks today). */
  fingerprint(): string {
    const shown = this.masked;
    if (shown !== null) return shown;
    return `${this.owner ?? '-'}`;
  }

  *lock(s: Sched, label: string): KThread<void> {
    yield* point(label);
    this.note(s, true); // reads it free and takes it, or spins
    if (this.owner !== null) {
      yield* waitUntil(label, { kind: 'spinlock', object: this.name }, () => this.owner === null);
      this.note(s, true);
    }
    this.owner = s.current;
    s.noteAcquire({ lock: this.name, mode: 'exclusive', spin: true });
  }

  unlock(s: Sched): boolean {
    this.note(s, false);
    if (this.owner !== s.current) return false;
    this.note(s, true);
    this.owner = null;
    s.noteRelease(this.name);
    return true;
  }
}

/** struct completion (kernel/sched/completion.c). */
export class Completion {
  private done = 0;

  constructor(readonly name: string) {}

  /** wait_for_completion(_killable). True if a signal ended the wait. */
  *wait(s: Sched, label: string, mode: WaitMode = 'uninterruptible'): KThread<boolean> {
    s.mightSleep(label);
    const interrupted = yield* waitUntil(label, { kind: 'completion', object: this.name }, () => this.done > 0, mode);
    if (interrupted && this.done === 0) return true;
    if (this.done !== Number.MAX_SAFE_INTEGER) this.done--;
    return false;
  }

  /** complete(): release one waiter. */
  complete(): void {
    if (this.done !== Number.MAX_SAFE_INTEGER) this.done++;
  }

  /** complete_all(): release every present and future waiter. */
  completeAll(): void {
    this.done = Number.MAX_SAFE_INTEGER;
  }

  get count(): number {
    return this.done;
  }
}

/**
 * wait_queue_head_t with wait_event*(): the waiter sleeps until its condition holds.
 * Predicates are re-evaluated before every scheduling decision, so wake_up() has
 * nothing to do; it exists so kernel code reads like the kernel.
 */
export class WaitQueueHead {
  constructor(readonly name: string) {}

  /** wait_event / wait_event_killable / wait_event_interruptible. True if a signal ended the wait. */
  *waitEvent(label: string, cond: () => boolean, mode: WaitMode = 'uninterruptible', detail?: string): KThread<boolean> {
    if (cond()) return false;
    const reason = detail === undefined ? { kind: 'waitqueue' as const, object: this.name } : { kind: 'waitqueue' as const, object: this.name, detail };
    const interrupted = yield* waitUntil(label, reason, cond, mode);
    return interrupted && !cond();
  }

  wakeUp(): void {
    // Nothing to do: see the class comment.
  }
}
