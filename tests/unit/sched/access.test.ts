/**
 * src/sched/access.ts: what the runtime records of each step for the explorer's
 * footprints — every lock operation (read or write), and `unknown` for what it cannot
 * describe (signals, merges that rely on exited threads, non-lock waits, a first lock
 * operation after a getter read).
 */
import { describe, expect, it } from 'vitest';
import type { KThread, ThreadId, WaitQueueHead } from '../../../src/sched/index.js';
import { AccessLog, DefaultChooser, Mutex, RwSemaphore, Sched, SpinLock, WaitQueueHead as Wq, point } from '../../../src/sched/index.js';

type Body = (s: Sched, tid: ThreadId) => KThread<unknown>;

/** Run `bodies` with an access log; returns, per step, the thread and the log's entries (null: unknown). */
function record(bodies: readonly Body[], afterStepAllowsMerge = false): { thread: number; fp: string[] | null; why: string | null }[] {
  const out: { thread: number; fp: string[] | null; why: string | null }[] = [];
  const log = new AccessLog();
  const s = new Sched({
    chooser: new DefaultChooser(),
    afterStepAllowsMerge,
    afterStep: (x) => {
      out.push({ thread: x.lastRan as number, fp: log.unknown ? null : log.lockEntries(), why: log.why });
      return false;
    },
  });
  s.access = log;
  bodies.forEach((b, i) => s.spawn(`t${i}`, (tid) => b(s, tid)));
  s.run();
  return out;
}

describe('step access records', () => {
  it('lock operations: acquire and release write the lock, a failed trylock or release only reads it', () => {
    const m = new Mutex('m');
    const sem = new RwSemaphore('sem');
    const steps = record([
      function* (s) {
        yield* m.lock(s, 'test.c:a:lock');
        yield* point('test.c:a:inside');
        m.unlock(s);
        sem.tryRead(s);
        yield* point('test.c:a:between');
        sem.upWrite(s); // not the writer: reads only
        sem.upRead(s);
      },
    ]);
    // Step 1 runs to the lock's point; step 2 takes it; step 3 unlocks, trylocks and parks; step 4 the rest.
    expect(steps.map((x) => x.fp)).toEqual([[], ['w:lock:m'], ['w:lock:m', 'w:lock:sem'], ['w:lock:sem']]);
  });

  it('a failed trylock is a read; spinlocks and rwsem writers are recorded too', () => {
    const m = new Mutex('m');
    const sp = new SpinLock('sp');
    const sem = new RwSemaphore('sem');
    const steps = record([
      function* (s) {
        yield* m.lock(s, 'test.c:a:lock');
        yield* point('test.c:a:held');
        m.tryLock(s); // held (by this thread): fails
        yield* sp.lock(s, 'test.c:b:spin');
        sp.unlock(s);
        yield* sem.downWrite(s, 'test.c:b:down_write');
        sem.upWrite(s);
        m.unlock(s);
      },
    ]);
    expect(steps.map((x) => x.fp)).toEqual([[], ['w:lock:m'], ['r:lock:m'], ['w:lock:sp'], ['w:lock:sem', 'w:lock:m']]);
  });

  it('unknown: a signal, a merge that relies on exited threads, a non-lock wait, a getter read before the first operation', () => {
    const sem = new RwSemaphore('sem');
    let flag = false;
    const wq: WaitQueueHead = new Wq('wq');
    const steps = record([
      function* () {
        yield* wq.waitEvent('test.c:b:wait', () => flag, 'killable');
        yield* point('test.c:b:after');
      },
      function* (s) {
        yield* point('test.c:a:start');
        flag = true;
        s.kill(0 as ThreadId, true);
      },
    ]);
    expect(steps.some((x) => x.fp === null && x.why === 'signal sent')).toBe(true);
    expect(steps.some((x) => x.fp === null && x.why === 'resumed from waitqueue wait')).toBe(true);

    const merged = record([
      function* () {
        yield* point('test.c:a:start');
      },
      function* (s, tid) {
        yield* point('test.c:b:start');
        yield* point('test.c:b:more');
        s.alone(tid);
      },
    ], true);
    expect(merged.some((x) => x.fp === null && x.why === 'Sched.alone')).toBe(true);

    const peeked = record([
      function* (s) {
        expect(sem.isLocked()).toBe(false);
        yield* point('test.c:a:peeked');
        yield* sem.downRead(s, 'test.c:a:down_read');
        sem.upRead(s);
      },
    ]);
    expect(peeked.some((x) => x.fp === null && x.why?.startsWith('first operation on sem'))).toBe(true);
  });

  it('masking hides every operated lock from fingerprints; the lock key lists the non-pristine ones by name, null on a name clash', () => {
    const a = new Mutex('b-mutex');
    const b = new RwSemaphore('a-sem');
    const log = new AccessLog();
    const s = new Sched({ chooser: new DefaultChooser() });
    s.access = log;
    let masked: string[] = [];
    let key: string | null = '';
    s.spawn('t', () =>
      (function* () {
        yield* a.lock(s, 'test.c:a:lock');
        yield* b.downRead(s, 'test.c:a:down_read');
        masked = log.withoutLocks(() => [a.fingerprint(), b.fingerprint()]);
        key = log.locksKey();
        b.upRead(s);
        a.unlock(s);
      })(),
    );
    s.run();
    expect(masked).toEqual(['', '']);
    expect(a.fingerprint()).toBe(a.pristine);
    expect(key).toBe(`a-sem=-|0|\u0007b-mutex=0|\u0007`);
    expect(log.locksKey()).toBe('');
    const clash = new Mutex('b-mutex');
    const s2 = new Sched({ chooser: new DefaultChooser() });
    s2.access = log;
    s2.spawn('t', () =>
      (function* () {
        clash.tryLock(s2);
      })(),
    );
    s2.run();
    expect(log.locksKey()).toBeNull();
  });
});
