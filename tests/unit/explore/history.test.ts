/**
 * The `history` state key (src/explore/history.ts): a parked thread's history since it was
 * last fully described. Unit cases of ThreadHistories against a stand-in scheduler, and the
 * reason the key exists, end to end: a thread whose caller holds a value no point declares.
 */
import { describe, expect, it } from 'vitest';
import { explore } from '../../../src/explore/explore.js';
import type { ExploreResult } from '../../../src/explore/explore.js';
import { ThreadHistories } from '../../../src/explore/history.js';
import type { Sched, SignalState, ThreadId } from '../../../src/sched/index.js';
import { point } from '../../../src/sched/index.js';
import { target } from './targets.js';
import type { Spec } from './targets.js';

/** What ThreadHistories reads of the scheduler: the thread count, who is described, pending signals. */
class FakeSched {
  described_: boolean[];
  signals: SignalState[];
  constructor(n: number) {
    this.described_ = new Array<boolean>(n).fill(false);
    this.signals = new Array<SignalState>(n).fill('none');
  }
  views(): unknown[] {
    return this.described_.map(() => ({}));
  }
  described(t: ThreadId): boolean {
    return this.described_[t];
  }
  signalPending(t: ThreadId): SignalState {
    return this.signals[t];
  }
}

const asSched = (f: FakeSched): Sched => f as unknown as Sched;

describe('ThreadHistories', () => {
  it('interns world keys: equal keys one number, different keys different numbers', () => {
    const h = new ThreadHistories();
    const a = h.world('A');
    expect(h.world('A')).toBe(a);
    expect(h.world('B')).not.toBe(a);
    expect(h.world('B')).toBe(h.world('B'));
  });

  it('starts every thread undescribed-free: history 0 for each', () => {
    const h = new ThreadHistories();
    h.start(asSched(new FakeSched(3)), 'W0');
    expect(h.suffix()).toBe('0,0,0');
  });

  it('a step of a thread in mid-operation gets a number from (its history, the world it started in, its choices)', () => {
    const s = new FakeSched(2);
    const h = new ThreadHistories();
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 0, [], 'W1')).toBe('1,0');
    // The same step from the same state: the same number.
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 0, [], 'W1')).toBe('1,0');
    // From another world: another number.
    h.start(asSched(s), 'Wx');
    expect(h.step(asSched(s), 0, [], 'W1')).toBe('2,0');
    // Other choices: another number.
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 0, [1, 2], 'W1')).toBe('3,0');
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 0, [12], 'W1')).toBe('4,0');
    // The next step chains on the thread's own history and on the world the step before ended in.
    expect(h.step(asSched(s), 0, [], 'W2')).toBe('5,0');
    expect(h.step(asSched(s), 1, [], 'W3')).toBe('5,6');
  });

  it('a described thread (at a whole point, not started or exited) has history 0 again', () => {
    const s = new FakeSched(2);
    const h = new ThreadHistories();
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 1, [], 'W1')).toBe('0,1');
    s.described_[1] = true;
    expect(h.step(asSched(s), 1, [], 'W2')).toBe('0,0');
  });

  it('a step whose input is known is keyed by the input, not by the whole world it started in', () => {
    const s = new FakeSched(1);
    const h = new ThreadHistories();
    h.start(asSched(s), 'W0');
    const a = h.step(asSched(s), 0, [], 'W1', null, 'in');
    h.start(asSched(s), 'Wother');
    expect(h.step(asSched(s), 0, [], 'W1', null, 'in')).toBe(a);
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 0, [], 'W1', null, 'in2')).not.toBe(a);
    // The same input with a signal pending at the step's start is another input.
    s.signals[0] = 'nonfatal';
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 0, [], 'W1', null, 'in')).not.toBe(a);
  });

  it('a step whose whole state came into view mid-step is keyed from that instant only', () => {
    const s = new FakeSched(1);
    const h = new ThreadHistories();
    h.start(asSched(s), 'W0');
    const w = h.world('mid');
    const a = h.step(asSched(s), 0, [7], 'W1', { world: w, items: [3] });
    // Whatever came before: the same whole instant and the decisions after it, the same number.
    h.start(asSched(s), 'Wother');
    h.step(asSched(s), 0, [], 'Wz');
    expect(h.step(asSched(s), 0, [9], 'W1', { world: w, items: [3] })).toBe(a);
    expect(h.step(asSched(s), 0, [9], 'W1', { world: w, items: [4] })).not.toBe(a);
    expect(h.step(asSched(s), 0, [9], 'W1', { world: h.world('mid2'), items: [3] })).not.toBe(a);
  });

  it('pending signals are part of the world a step starts in', () => {
    const s = new FakeSched(2);
    const h = new ThreadHistories();
    h.start(asSched(s), 'W0');
    const plain = h.now(asSched(s), 'W0');
    expect(h.now(asSched(s), 'W0')).toBe(plain);
    s.signals[1] = 'fatal';
    const fatal = h.now(asSched(s), 'W0');
    expect(fatal).not.toBe(plain);
    s.signals[1] = 'nonfatal';
    expect(h.now(asSched(s), 'W0')).not.toBe(fatal);
    expect(h.now(asSched(s), 'W0')).not.toBe(plain);
    // A step started with a signal pending differs from one started without.
    s.signals[1] = 'none';
    h.start(asSched(s), 'W0');
    const a = h.step(asSched(s), 0, [], 'W1');
    s.signals[1] = 'fatal';
    h.start(asSched(s), 'W0');
    expect(h.step(asSched(s), 0, [], 'W1')).not.toBe(a);
    // ... and so is the world a step ends in.
    s.signals[1] = 'none';
    h.start(asSched(s), 'W0');
    h.step(asSched(s), 0, [], 'W1');
    const b = h.step(asSched(s), 0, [], 'W2');
    h.start(asSched(s), 'W0');
    s.signals[0] = 'nonfatal';
    h.step(asSched(s), 0, [], 'W1');
    s.signals[0] = 'none';
    expect(h.step(asSched(s), 0, [], 'W2')).not.toBe(b);
  });

  it('record/enter: a node keeps the histories and start world it was first recorded with', () => {
    const s = new FakeSched(2);
    const h = new ThreadHistories();
    h.start(asSched(s), 'W0');
    h.step(asSched(s), 0, [], 'W1');
    h.record(5);
    const at5 = h.suffix();
    const next = h.step(asSched(s), 1, [], 'W2');
    h.record(5); // recorded already: no change
    h.record(6);
    h.enter(5);
    expect(h.suffix()).toBe(at5);
    // The step from node 5 starts in node 5's world: the same number as the first time.
    expect(h.step(asSched(s), 1, [], 'W2')).toBe(next);
    // Entering copies: stepping after enter does not change what node 5 holds.
    h.enter(5);
    expect(h.suffix()).toBe(at5);
    h.enter(6);
    expect(h.suffix()).toBe(next);
  });
});

/**
 * t0 reads `x` into its generator frame, parks at a point that declares nothing, then writes
 * what it read to `y`; t1 sets `x`. "t0 reads, t1 sets" and "t1 sets, t0 reads" park t0 at
 * the same point in the same world with different futures (y = 0 or 1).
 */
const frameSpec = (): Spec => ({
  vars: { x: 0, y: -1 },
  threads: [
    function* (w) {
      yield* point('frame.c:t0:read');
      const seen = w.v.x;
      yield* point('frame.c:t0:park');
      w.v.y = seen;
    },
    function* (w) {
      yield* point('frame.c:t1:set');
      w.v.x = 1;
    },
  ],
  outcome: (w) => ({ x: w.v.x, y: w.v.y }),
});

const ys = (r: ExploreResult): unknown[] => r.outcomes.map((o) => o.values.y);

describe('the history key end to end', () => {
  it('keeps apart what the positions key merges: a value held in a frame no point declares', () => {
    const tree = explore(target(frameSpec()), { noCache: true });
    const hist = explore(target(frameSpec()), { cache: 'history' });
    const pos = explore(target(frameSpec()), { cache: 'positions' });
    expect(tree.complete && hist.complete && pos.complete).toBe(true);
    expect(ys(tree)).toEqual([0, 1]);
    expect(hist.cache).toBe('history');
    expect(ys(hist)).toEqual([0, 1]);
    // The positions key merges the two parked states and loses one outcome (docs/explorer.md).
    expect(pos.cache).toBe('positions');
    expect(ys(pos)).toHaveLength(1);
  });
});
