/**
 * Sched.alone(tid): true only while every other thread has exited and no after-step hook
 * watches (the condition under which a model may skip points); a trace does not change it
 * (merged runs are traced as `batch` events).
 */
import { describe, expect, it } from 'vitest';
import { DefaultChooser, Sched, point, waitUntil } from '../../../src/sched/index.js';
import type { ThreadId } from '../../../src/sched/index.js';

function observe(opts: { trace?: boolean; hook?: boolean; second?: 'sleeper' }): boolean[] {
  const s = new Sched({ chooser: new DefaultChooser(), trace: opts.trace ?? false, afterStep: opts.hook === true ? () => false : undefined });
  const seen: boolean[] = [];
  let done = false;
  s.spawn('main', (tid: ThreadId) => (function* () {
    for (let i = 0; i < 4; i++) {
      seen.push(s.alone(tid));
      yield* point('main');
    }
    done = true;
  })());
  if (opts.second === 'sleeper') s.spawn('sleeper', () => (function* () {
    yield* waitUntil('sleeper', { kind: 'completion', object: 'done' }, () => done);
  })());
  expect(s.run().status).toBe('done');
  return seen;
}

describe('Sched.alone', () => {
  it('is true for a single thread without trace or hook', () => {
    expect(observe({})).toEqual([true, true, true, true]);
  });
  it('is false with an after-step hook, true with a trace', () => {
    expect(observe({ hook: true })).toEqual([false, false, false, false]);
    expect(observe({ trace: true })).toEqual([true, true, true, true]);
  });
  it('traces a merged run as one batch event of the running thread', () => {
    const s = new Sched({ chooser: new DefaultChooser(), trace: true });
    s.spawn('main', () => (function* () {
      s.traceBatch('x.c:f:ptl', 7, { pages: 7 });
      yield* point('x.c:f');
    })());
    expect(s.run().status).toBe('done');
    expect(s.trace?.filter((e) => e.kind === 'batch')).toEqual([{ kind: 'batch', thread: 0, label: 'x.c:f:ptl', points: 7, data: { pages: 7 } }]);
    const quiet = new Sched({ chooser: new DefaultChooser(), trace: false });
    quiet.spawn('main', () => (function* () {
      quiet.traceBatch('x.c:f:ptl', 7, { pages: 7 });
      yield* point('x.c:f');
    })());
    expect(quiet.run().status).toBe('done');
    expect(quiet.trace).toBeNull();
  });
  it('is false while another thread lives, even asleep', () => {
    expect(observe({ second: 'sleeper' })).toEqual([false, false, false, false]);
  });
  it('turns true when the other thread exits', () => {
    const s = new Sched({ chooser: new DefaultChooser(), trace: false });
    const seen: boolean[] = [];
    let shortDone = false;
    s.spawn('main', (tid: ThreadId) => (function* () {
      seen.push(s.alone(tid));
      yield* waitUntil('main', { kind: 'completion', object: 'short' }, () => shortDone);
      seen.push(s.alone(tid));
    })());
    s.spawn('short', () => (function* () {
      yield* point('short');
      shortDone = true;
    })());
    expect(s.run().status).toBe('done');
    expect(seen).toEqual([false, true]);
  });
});
