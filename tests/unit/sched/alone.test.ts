/**
 * Sched.alone(tid): true only while every other thread has exited, no trace is kept and
 * no after-step hook watches (the condition under which a model may skip points).
 */
import { describe, expect, it } from 'vitest';
import { DefaultChooser, Sched, point, waitUntil } from '../../../src/sched/index.js';
import type { ThreadId } from '../../../src/sched/index.js';

function observe(opts: { trace?: boolean; hook?: boolean; second?: 'short' | 'sleeper' | 'none' }): boolean[] {
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
  if (opts.second === 'short') s.spawn('short', () => (function* () {
    yield* point('short');
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
  it('is false with a trace or an after-step hook', () => {
    expect(observe({ trace: true })).toEqual([false, false, false, false]);
    expect(observe({ hook: true })).toEqual([false, false, false, false]);
  });
  it('is false while another thread lives, sleeping or not, and true once it exited', () => {
    expect(observe({ second: 'sleeper' })).toEqual([false, false, false, false]);
    const withShort = observe({ second: 'short' });
    expect(withShort[0]).toBe(false);
    expect(withShort[withShort.length - 1]).toBe(true);
  });
});
