/**
 * Issue 2 acceptance: kernel locking semantics of the runtime's primitives.
 * Schedules are forced with schedule strings (ReplayChooser), so every test pins one
 * interleaving and checks who got which lock in which order.
 */
import { describe, expect, it } from 'vitest';
import type { ThreadId } from '../../../src/sched/index.js';
import { Completion, DefaultChooser, Mutex, RwSemaphore, Sched, SpinLock, WaitQueueHead, point } from '../../../src/sched/index.js';
import { ReplayChooser } from '../../../src/explore/choosers.js';
import { runThreads, steer } from './helpers.js';

describe('rw_semaphore', () => {
  it('readers share the lock', () => {
    const sem = new RwSemaphore('sem');
    const log: string[] = [];
    const reader = function* (s: Sched, tid: ThreadId) {
      yield* sem.downRead(s, 'test.c:reader:down_read');
      log.push(`T${tid}+R readers=${sem.state.readers.join(',')}`);
      yield* point('test.c:reader:inside');
      sem.upRead(s);
      log.push(`T${tid}-R`);
    };
    // T0 takes the lock and parks inside; T1 must get it too while T0 still holds it.
    const { r, pending } = steer(['T0@test.c:reader:inside', 'T1@test.c:reader:inside'], [reader, reader]);
    expect(r.status).toBe('done');
    expect(pending).toEqual([]);
    expect(log.slice(0, 2)).toEqual(['T0+R readers=0', 'T1+R readers=0,1']);
    expect(r.violations).toEqual([]);
  });

  it('a queued writer blocks later readers (writer preference), then readers after it', () => {
    const sem = new RwSemaphore('sem');
    const log: string[] = [];
    const reader = function* (s: Sched, tid: ThreadId) {
      yield* sem.downRead(s, 'test.c:reader:down_read');
      log.push(`T${tid}+R`);
      yield* point('test.c:reader:inside');
      sem.upRead(s);
    };
    const writer = function* (s: Sched, tid: ThreadId) {
      yield* sem.downWrite(s, 'test.c:writer:down_write');
      log.push(`T${tid}+W`);
      yield* point('test.c:writer:inside');
      sem.upWrite(s);
    };
    // T0 holds read; T1 queues for write; T2 tries to read while only a reader holds
    // the lock: it must queue behind T1, so the order is T0, T1, T2.
    const states: string[] = [];
    const { r, pending } = steer(
      ['T0@test.c:reader:inside', 'T1@test.c:writer:down_write#blocked', 'T2@test.c:reader:down_read#blocked'],
      [
        function* (s, tid) {
          yield* reader(s, tid);
        },
        writer,
        function* (s, tid) {
          yield* reader(s, tid);
        },
      ],
    );
    void states;
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(log).toEqual(['T0+R', 'T1+W', 'T2+R']);
    // Stop when T2 has queued, and look at the blocked threads and the lock.
    const sem2 = new RwSemaphore('sem2');
    const rd = function* (s: Sched) {
      yield* sem2.downRead(s, 'test.c:reader:down_read');
      yield* point('test.c:reader:inside');
      sem2.upRead(s);
    };
    const wr = function* (s: Sched) {
      yield* sem2.downWrite(s, 'test.c:writer:down_write');
      sem2.upWrite(s);
    };
    const c = new Sched({
      chooser: new ReplayChooser({ items: [], open: true }),
      afterStep: (s) => s.view(2 as ThreadId).state === 'blocked',
    });
    const order = [0, 0, 1, 1, 2, 2];
    const scripted = new Sched({
      chooser: {
        pickThread: (en, ctx) => {
          const t = order[ctx.step] as ThreadId;
          if (!en.includes(t)) throw new Error('test bug');
          return t;
        },
        pickData: () => 0,
      },
      afterStep: (s) => s.view(2 as ThreadId).state === 'blocked',
    });
    void c;
    scripted.spawn('t0', () => rd(scripted));
    scripted.spawn('t1', () => wr(scripted));
    scripted.spawn('t2', () => rd(scripted));
    expect(scripted.run().status).toBe('stopped');
    expect(scripted.views().map((v) => `${v.name}:${v.state}:${v.reason?.kind ?? '-'}`)).toEqual(['t0:runnable:-', 't1:blocked:rwsem-write', 't2:blocked:rwsem-read']);
    expect(sem2.state).toEqual({ writer: null, readers: [0], waiting: 2 });
  });

  it('a reader wake-up grants every queued reader, writers keep their place', () => {
    const sem = new RwSemaphore('sem');
    const log: string[] = [];
    const reader = function* (s: Sched, tid: ThreadId) {
      yield* sem.downRead(s, 'test.c:reader:down_read');
      log.push(`T${tid}+R`);
      yield* point('test.c:reader:inside');
      sem.upRead(s);
    };
    const writer = function* (s: Sched, tid: ThreadId) {
      yield* sem.downWrite(s, 'test.c:writer:down_write');
      log.push(`T${tid}+W`);
      yield* point('test.c:writer:inside');
      sem.upWrite(s);
    };
    // T0 writes; queue: T1 (R), T2 (W), T3 (R). On up_write both readers get the lock
    // together (rwsem_mark_wake), and T2 waits for both to leave.
    const { r, s, pending } = steer(
      [
        'T0@test.c:writer:inside',
        'T1@test.c:reader:down_read#blocked',
        'T2@test.c:writer:down_write#blocked',
        'T3@test.c:reader:down_read#blocked',
        'T0@<exit>',
        'T1@test.c:reader:inside',
        'T3@test.c:reader:inside',
      ],
      [writer, reader, writer, reader],
    );
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(log).toEqual(['T0+W', 'T1+R', 'T3+R', 'T2+W']);
    expect(s.violations).toEqual([]);
  });

  it('trylocks fail whenever they would have to wait', () => {
    const sem = new RwSemaphore('sem');
    const got: Record<string, boolean> = {};
    const holder = function* (s: Sched) {
      yield* sem.downRead(s, 'test.c:holder:down_read');
      yield* point('test.c:holder:inside');
      sem.upRead(s);
    };
    const writer = function* (s: Sched) {
      got.tryWriteWhileRead = sem.tryWrite(s);
      yield* sem.downWrite(s, 'test.c:writer:down_write');
      got.tryReadWhileWritten = sem.tryRead(s); // its own write lock: must fail
      sem.upWrite(s);
    };
    const prober = function* (s: Sched) {
      got.tryReadWithWriterQueued = sem.tryRead(s);
      yield* point('test.c:prober:later');
      got.tryWriteWhenFree = sem.tryWrite(s);
      if (got.tryWriteWhenFree) sem.upWrite(s);
      got.tryReadWhenFree = sem.tryRead(s);
      if (got.tryReadWhenFree) sem.upRead(s);
    };
    const { r, pending } = steer(
      ['T0@test.c:holder:inside', 'T1@test.c:writer:down_write#blocked', 'T2@test.c:prober:later', 'T0@<exit>', 'T1@<exit>'],
      [holder, writer, prober],
    );
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(got).toEqual({
      tryWriteWhileRead: false,
      tryReadWithWriterQueued: false,
      tryReadWhileWritten: false,
      tryWriteWhenFree: true,
      tryReadWhenFree: true,
    });
    expect(r.violations).toEqual([]);

    const m = new Mutex('m');
    const mgot: boolean[] = [];
    const { r: r2 } = runThreads(new DefaultChooser(), [
      function* (s) {
        mgot.push(m.tryLock(s));
        mgot.push(m.tryLock(s)); // not recursive
        m.unlock(s);
        mgot.push(m.tryLock(s));
        m.unlock(s);
        yield* point('test.c:m:after');
      },
    ]);
    expect(r2.status).toBe('done');
    expect(mgot).toEqual([true, false, true]);
  });

  it('downgrade_write turns the writer into a reader; queued readers get in only when a reader heads the queue', () => {
    const sem = new RwSemaphore('sem');
    const log: string[] = [];
    const owner = function* (s: Sched, tid: ThreadId) {
      yield* sem.downWrite(s, 'test.c:owner:down_write');
      log.push(`T${tid}+W`);
      yield* point('test.c:owner:write-held');
      sem.downgradeWrite(s);
      log.push(`T${tid} downgraded held=${s.heldBy(tid).map((h) => h.mode).join(',')}`);
      yield* point('test.c:owner:read-held');
      log.push(`T${tid} state=${JSON.stringify(sem.state)}`);
      sem.upRead(s);
    };
    const reader = function* (s: Sched, tid: ThreadId) {
      yield* sem.downRead(s, 'test.c:reader:down_read');
      log.push(`T${tid}+R`);
      sem.upRead(s);
    };
    const writer = function* (s: Sched, tid: ThreadId) {
      yield* sem.downWrite(s, 'test.c:writer:down_write');
      log.push(`T${tid}+W`);
      sem.upWrite(s);
    };
    // Head of the queue a reader: T1 (R), T2 (W), T3 (R) queue; T0 downgrades and parks
    // holding read. Both readers are let in together (rwsem_mark_wake with
    // RWSEM_WAKE_READ_OWNED); the writer waits for all three readers.
    const a = steer(
      [
        'T0@test.c:owner:write-held',
        'T1@test.c:reader:down_read#blocked',
        'T2@test.c:writer:down_write#blocked',
        'T3@test.c:reader:down_read#blocked',
        'T0@test.c:owner:read-held',
        'T1@<exit>',
        'T3@<exit>',
      ],
      [owner, reader, writer, reader],
    );
    expect(a.pending).toEqual([]);
    expect(a.r.status).toBe('done');
    expect(log).toEqual([
      'T0+W',
      'T0 downgraded held=read',
      'T1+R',
      'T3+R',
      'T0 state={"writer":null,"readers":[0],"waiting":1}',
      'T2+W',
    ]);
    expect(a.r.violations).toEqual([]);

    // Head of the queue a writer: the kernel wakes nobody on downgrade (the writer
    // heads the queue and the lock is read-owned), so the reader behind it waits too.
    log.length = 0;
    const b = steer(
      [
        'T0@test.c:owner:write-held',
        'T2@test.c:writer:down_write#blocked',
        'T1@test.c:reader:down_read#blocked',
        'T0@test.c:owner:read-held',
      ],
      [owner, reader, writer],
    );
    expect(b.pending).toEqual([]);
    expect(b.r.status).toBe('done');
    expect(log).toEqual(['T0+W', 'T0 downgraded held=read', 'T0 state={"writer":null,"readers":[0],"waiting":2}', 'T2+W', 'T1+R']);
  });

  it('a killable wait ends on a fatal signal (lock not taken), not on a non-fatal one', () => {
    const sem = new RwSemaphore('sem');
    const out: string[] = [];
    const owner = function* (s: Sched) {
      yield* sem.downWrite(s, 'test.c:owner:down_write');
      yield* point('test.c:owner:held');
      s.kill(1 as ThreadId, false);
      yield* point('test.c:owner:after-nonfatal');
      out.push(`T1 after non-fatal: ${s.view(1 as ThreadId).state}`);
      s.kill(1 as ThreadId, true);
      yield* point('test.c:owner:after-fatal');
      sem.upWrite(s);
    };
    const victim = function* (s: Sched, tid: ThreadId) {
      const interrupted = yield* sem.downRead(s, 'test.c:victim:down_read_killable', 'killable');
      out.push(`interrupted=${interrupted} held=${s.heldBy(tid).length} sem=${JSON.stringify(sem.state)}`);
    };
    const { r, pending } = steer(
      ['T0@test.c:owner:held', 'T1@test.c:victim:down_read_killable#blocked', 'T0@test.c:owner:after-fatal', 'T1@<exit>'],
      [owner, victim],
    );
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(out).toEqual(['T1 after non-fatal: blocked', 'interrupted=true held=0 sem={"writer":0,"readers":[],"waiting":0}']);
    expect(r.violations).toEqual([]);
  });

  it('a departing killed writer lets the readers queued behind it in', () => {
    const sem = new RwSemaphore('sem');
    const log: string[] = [];
    const holder = function* (s: Sched) {
      yield* sem.downRead(s, 'test.c:holder:down_read');
      yield* point('test.c:holder:held');
      s.kill(1 as ThreadId, true);
      yield* point('test.c:holder:after-kill');
      log.push(`T2 ${s.view(2 as ThreadId).state}`);
      yield* point('test.c:holder:before-up');
      sem.upRead(s);
    };
    const writer = function* (s: Sched) {
      const intr = yield* sem.downWrite(s, 'test.c:writer:down_write_killable', 'killable');
      log.push(`T1 interrupted=${intr}`);
    };
    const reader = function* (s: Sched) {
      yield* sem.downRead(s, 'test.c:reader:down_read');
      log.push('T2+R');
      sem.upRead(s);
    };
    // T0 read-holds; T1 queues for write, T2 for read behind it; T1 is killed and
    // leaves the queue: T2 shares the read lock with T0 before T0 lets go.
    const { r, pending } = steer(
      [
        'T0@test.c:holder:held',
        'T1@test.c:writer:down_write_killable#blocked',
        'T2@test.c:reader:down_read#blocked',
        'T0@test.c:holder:after-kill',
        'T1@<exit>',
        'T0@test.c:holder:before-up',
        'T2@<exit>',
      ],
      [holder, writer, reader],
    );
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(log).toEqual(['T1 interrupted=true', 'T2 runnable', 'T2+R']);
  });
});

describe('deadlock, lock-held-at-exit, sleep-in-atomic', () => {
  it('an ABBA lock-order inversion is a deadlock naming both threads and both locks', () => {
    let a = new Mutex('lockA');
    let b = new Mutex('lockB');
    const ab = function* (s: Sched) {
      yield* a.lock(s, 'test.c:ab:lock_a');
      yield* point('test.c:ab:between');
      yield* b.lock(s, 'test.c:ab:lock_b');
      b.unlock(s);
      a.unlock(s);
    };
    const ba = function* (s: Sched) {
      yield* b.lock(s, 'test.c:ba:lock_b');
      yield* point('test.c:ba:between');
      yield* a.lock(s, 'test.c:ba:lock_a');
      a.unlock(s);
      b.unlock(s);
    };
    const { r, pending } = steer(['T0@test.c:ab:between', 'T1@test.c:ba:between'], [ab, ba]);
    expect(pending).toEqual([]);
    expect(r.status).toBe('deadlock');
    expect(r.violations).toEqual([
      {
        kind: 'deadlock',
        threads: [
          { thread: 0, name: 't0', label: 'test.c:ab:lock_b', reason: { kind: 'mutex', object: 'lockB' }, mode: 'uninterruptible', held: [{ lock: 'lockA', mode: 'exclusive', spin: false }] },
          { thread: 1, name: 't1', label: 'test.c:ba:lock_a', reason: { kind: 'mutex', object: 'lockA' }, mode: 'uninterruptible', held: [{ lock: 'lockB', mode: 'exclusive', spin: false }] },
        ],
      },
    ]);
    // The non-preemptive default schedule runs T0 to the end first: no deadlock.
    a = new Mutex('lockA');
    b = new Mutex('lockB');
    const d = runThreads(new DefaultChooser(), [ab, ba]);
    expect(d.r.status).toBe('done');
  });

  it('an rwsem read/write inversion also deadlocks', () => {
    const x = new RwSemaphore('semX');
    const y = new RwSemaphore('semY');
    const t0 = function* (s: Sched) {
      yield* x.downRead(s, 'test.c:t0:down_read_x');
      yield* point('test.c:t0:between');
      yield* y.downWrite(s, 'test.c:t0:down_write_y');
      y.upWrite(s);
      x.upRead(s);
    };
    const t1 = function* (s: Sched) {
      yield* y.downRead(s, 'test.c:t1:down_read_y');
      yield* point('test.c:t1:between');
      yield* x.downWrite(s, 'test.c:t1:down_write_x');
      x.upWrite(s);
      y.upRead(s);
    };
    const { r } = steer(['T0@test.c:t0:between', 'T1@test.c:t1:between'], [t0, t1]);
    expect(r.status).toBe('deadlock');
    const dl = r.violations[0];
    expect(dl.kind).toBe('deadlock');
    if (dl.kind !== 'deadlock') return;
    expect(dl.threads.map((t) => `${t.name} waits ${t.reason.kind} ${t.reason.object} holding ${t.held.map((h) => `${h.lock}/${h.mode}`).join(',')}`)).toEqual([
      't0 waits rwsem-write semY holding semX/read',
      't1 waits rwsem-write semX holding semY/read',
    ]);
  });

  it('a thread that exits holding a lock is reported', () => {
    const m = new Mutex('m');
    const sem = new RwSemaphore('sem');
    const { r } = runThreads(new DefaultChooser(), [
      function* (s) {
        yield* m.lock(s, 'test.c:leak:lock');
        yield* sem.downRead(s, 'test.c:leak:down_read');
        return 0;
      },
      function* (s) {
        yield* point('test.c:other:p');
        const mm = new Mutex('tidy');
        yield* mm.lock(s, 'test.c:other:lock');
        mm.unlock(s);
      },
    ]);
    expect(r.status).toBe('done');
    expect(r.violations).toEqual([
      {
        kind: 'lock-held-at-exit',
        thread: 0,
        name: 't0',
        held: [
          { lock: 'm', mode: 'exclusive', spin: false },
          { lock: 'sem', mode: 'read', spin: false },
        ],
      },
    ]);
  });

  it('sleeping while holding a spinlock is sleep-in-atomic, contended or not', () => {
    const spin = new SpinLock('spin');
    const m = new Mutex('m');
    const c = new Completion('done');
    // Uncontended: might_sleep() alone reports it.
    const { r } = runThreads(new DefaultChooser(), [
      function* (s) {
        yield* spin.lock(s, 'test.c:bad:spin_lock');
        yield* m.lock(s, 'test.c:bad:mutex_lock');
        m.unlock(s);
        spin.unlock(s);
      },
    ]);
    expect(r.violations).toEqual([{ kind: 'sleep-in-atomic', thread: 0, name: 't0', label: 'test.c:bad:mutex_lock', spinlock: 'spin' }]);

    // Contended wait on a completion under a spinlock; spinning on a spinlock is fine.
    const spin2 = new SpinLock('spin2');
    const { r: r2, pending } = steer(['T0@test.c:w:held', 'T1@test.c:o:spin_lock#blocked'], [
      function* (s) {
        yield* spin2.lock(s, 'test.c:w:spin_lock');
        yield* point('test.c:w:held');
        yield* c.wait(s, 'test.c:w:wait_for_completion');
        spin2.unlock(s);
      },
      function* (s) {
        yield* spin2.lock(s, 'test.c:o:spin_lock'); // spins: not a sleep
        spin2.unlock(s);
      },
    ]);
    // T0 waits for a completion nobody completes, T1 spins on T0's spinlock: stuck.
    expect(pending).toEqual([]);
    expect(r2.status).toBe('deadlock');
    expect(r2.violations.filter((v) => v.kind === 'sleep-in-atomic')).toEqual([
      { kind: 'sleep-in-atomic', thread: 0, name: 't0', label: 'test.c:w:wait_for_completion', spinlock: 'spin2' },
    ]);
  });
});

describe('mutex, completion, wait queue, step bound', () => {
  it('a mutex is handed to its waiters in FIFO order', () => {
    const m = new Mutex('m');
    const order: number[] = [];
    const body = function* (s: Sched, tid: ThreadId) {
      yield* m.lock(s, 'test.c:body:lock');
      order.push(tid);
      yield* point('test.c:body:inside');
      m.unlock(s);
    };
    // T0 takes it; T3, T1, T2 queue in that order; T0 releases.
    const { r, pending } = steer(
      ['T0@test.c:body:inside', 'T3@test.c:body:lock#blocked', 'T1@test.c:body:lock#blocked', 'T2@test.c:body:lock#blocked'],
      [body, body, body, body],
    );
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(order).toEqual([0, 3, 1, 2]);
  });

  it('after unlock the lock belongs to the first waiter, so a newcomer cannot take it', () => {
    const m = new Mutex('m');
    const seen: string[] = [];
    const { r, pending } = steer(['T0@test.c:a:inside', 'T1@test.c:b:lock#blocked', 'T0@test.c:a:after', 'T2@<exit>'], [
      function* (s) {
        yield* m.lock(s, 'test.c:a:lock');
        yield* point('test.c:a:inside');
        m.unlock(s);
        yield* point('test.c:a:after');
      },
      function* (s) {
        yield* m.lock(s, 'test.c:b:lock');
        m.unlock(s);
      },
      function* (s) {
        seen.push(`holder=T${m.holder} try=${m.tryLock(s)}`);
        yield* point('test.c:c:p');
      },
    ]);
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(seen).toEqual(['holder=T1 try=false']);
  });

  it('complete() releases one waiter, complete_all() every present and future waiter', () => {
    const c = new Completion('c');
    const log: string[] = [];
    const waiter = function* (s: Sched, tid: ThreadId) {
      yield* c.wait(s, 'test.c:waiter:wait_for_completion');
      log.push(`T${tid} woke`);
    };
    // MODEL: the runtime lets either sleeping waiter take the one completion (the
    // kernel wakes the first); here T0 is steered to take it.
    const { r, pending } = steer(
      ['T0@test.c:waiter:wait_for_completion#blocked', 'T1@test.c:waiter:wait_for_completion#blocked', 'T2@test.c:completer:one', 'T0@<exit>'],
      [
      waiter,
      waiter,
      function* (s2) {
        c.complete();
        yield* point('test.c:completer:one');
        log.push(`blocked=${s2.views().filter((v) => v.state === 'blocked').length}`);
        yield* point('test.c:completer:two');
        c.completeAll();
        yield* point('test.c:completer:three');
      },
    ]);
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(log).toEqual(['T0 woke', 'blocked=1', 'T1 woke']);
    // A later waiter passes straight through after complete_all.
    const late = runThreads(new DefaultChooser(), [waiter]);
    expect(late.r.status).toBe('done');
  });

  it('an uninterruptible wait for a completion nobody completes is a deadlock', () => {
    const c = new Completion('never');
    const { r } = runThreads(new DefaultChooser(), [
      function* (s) {
        yield* c.wait(s, 'test.c:w:wait_for_completion');
      },
    ]);
    expect(r.status).toBe('deadlock');
    expect(r.violations).toEqual([{ kind: 'deadlock', threads: [{ thread: 0, name: 't0', label: 'test.c:w:wait_for_completion', reason: { kind: 'completion', object: 'never' }, mode: 'uninterruptible', held: [] }] }]);
  });

  it('wait_event: interruptible waits end on any signal, uninterruptible ones only when the condition holds', () => {
    const wq = new WaitQueueHead('wq');
    const flag = { v: false };
    const out: string[] = [];
    const { r, pending } = steer(['T0@test.c:a:wait_event_interruptible#blocked', 'T1@test.c:b:wait_event#blocked', 'T2@test.c:c:signalled', 'T0@<exit>'], [
      function* () {
        const intr = yield* wq.waitEvent('test.c:a:wait_event_interruptible', () => flag.v, 'interruptible');
        out.push(`T0 interrupted=${intr}`);
      },
      function* () {
        const intr = yield* wq.waitEvent('test.c:b:wait_event', () => flag.v, 'uninterruptible');
        out.push(`T1 interrupted=${intr} flag=${flag.v}`);
      },
      function* (s) {
        s.kill(0 as ThreadId, false);
        s.kill(1 as ThreadId, true);
        yield* point('test.c:c:signalled');
        flag.v = true;
        wq.wakeUp();
      },
    ]);
    expect(pending).toEqual([]);
    expect(r.status).toBe('done');
    expect(out).toEqual(['T0 interrupted=true', 'T1 interrupted=false flag=true']);
  });

  it('the step bound stops a run that never ends', () => {
    const { r } = runThreads(new DefaultChooser(), [
      function* () {
        for (;;) yield* point('test.c:spin:loop');
      },
    ], { maxSteps: 100 });
    expect(r.status).toBe('step-bound');
    expect(r.steps).toBe(100);
  });
});
