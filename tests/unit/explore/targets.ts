/**
 * Synthetic explore targets written with the sched primitives: a tiny world of
 * integer variables and mutexes, threads as generator bodies, invariants as
 * functions of the world.
 */
import type { KThread, RunResult, SchedOptions, ThreadId } from '../../../src/sched/index.js';
import { Mutex, Sched, choose, point, waitUntil } from '../../../src/sched/index.js';
import type { ExploreRun, ExploreTarget } from '../../../src/explore/index.js';

export interface World {
  readonly v: Record<string, number>;
  readonly m: Record<string, Mutex>;
  readonly s: Sched;
  /** Record that the running step read (`r:x`) or wrote (`w:x`) something (for POR). */
  touch(x: string): void;
}

export type Body = (w: World, tid: ThreadId) => KThread<unknown>;

export interface Spec {
  readonly vars: Record<string, number>;
  readonly mutexes?: readonly string[];
  readonly threads: readonly Body[];
  /** Invariant id → violated(world) after a step. */
  readonly state?: Record<string, (w: World) => boolean>;
  /** Invariant id → violated(world, result) at the end of a run. */
  readonly final?: Record<string, (w: World, r: RunResult) => boolean>;
  /** Leave variables out of the fingerprint (to test an unsound fingerprint). */
  readonly hide?: readonly string[];
  /** Provide footprint() from the bodies' touch() calls. */
  readonly footprints?: boolean;
  /** What the `state` invariants read (ExploreTarget.observes; default: anything). */
  readonly observes?: readonly string[];
  /** The run's final values (ExploreRun.outcome): a value per name, from the world at the end. */
  readonly outcome?: (w: World) => Record<string, number>;
}

const NONE: readonly string[] = [];

export function target(spec: Spec): ExploreTarget & { starts: number } {
  const t = {
    starts: 0,
    invariants: [...Object.keys(spec.state ?? {}), ...Object.keys(spec.final ?? {})],
    footprints: spec.footprints === true,
    observes: spec.observes ?? null,
    start(opts: SchedOptions): ExploreRun {
      t.starts++;
      const s = new Sched(opts);
      const m: Record<string, Mutex> = {};
      for (const name of spec.mutexes ?? []) m[name] = new Mutex(name);
      let fp: string[] = [];
      const w: World = {
        v: { ...spec.vars },
        m,
        s,
        touch: (x) => {
          if (!fp.includes(x)) fp.push(x);
        },
      };
      spec.threads.forEach((b, i) => s.spawn(`t${i}`, (tid) => b(w, tid)));
      const names = Object.keys(w.v).filter((k) => !(spec.hide ?? []).includes(k)).sort();
      const mnames = Object.keys(m).sort();
      const footprint = (): readonly string[] => {
        const f = fp;
        fp = [];
        return f;
      };
      const outcome = spec.outcome;
      return {
        ...(spec.footprints === true ? { footprint } : {}),
        ...(outcome !== undefined
          ? {
              outcome: () => {
                const values = outcome(w);
                return { key: JSON.stringify(Object.entries(values).sort()), values };
              },
            }
          : {}),
        sched: s,
        fingerprint: () => names.map((k) => w.v[k]).join(',') + '|' + mnames.map((k) => m[k].fingerprint()).join(';'),
        check: () => {
          let out: string[] | null = null;
          for (const [id, f] of Object.entries(spec.state ?? {})) if (f(w)) (out ??= []).push(id);
          return out ?? NONE;
        },
        finish: (r: RunResult) => {
          const out: string[] = [];
          for (const [id, f] of Object.entries(spec.final ?? {})) if (f(w, r)) out.push(id);
          return out;
        },
      };
    },
  };
  return t;
}

/** Check-then-act without a lock: two threads can both win. */
export function* racer(w: World): KThread<void> {
  yield* point('race.c:racer:check');
  if (w.v.x === 0) {
    yield* point('race.c:racer:window');
    w.v.x = 1;
    w.v.winners++;
  }
}

/** The same under a mutex. */
export function* lockedRacer(w: World): KThread<void> {
  yield* w.m.lock.lock(w.s, 'race.c:locked:mutex_lock');
  yield* point('race.c:locked:check');
  if (w.v.x === 0) {
    yield* point('race.c:locked:window');
    w.v.x = 1;
    w.v.winners++;
  }
  w.m.lock.unlock(w.s);
}

export const raceSpec = (locked: boolean, threads = 2): Spec => ({
  vars: { x: 0, winners: 0 },
  mutexes: ['lock'],
  threads: Array.from({ length: threads }, () => (locked ? lockedRacer : racer)),
  state: { 'single-winner': (w) => w.v.winners > 1 },
});

/** ABBA lock order. */
export const abbaSpec = (): Spec => ({
  vars: {},
  mutexes: ['A', 'B'],
  threads: [
    function* (w) {
      yield* w.m.A.lock(w.s, 'abba.c:ab:lock_a');
      yield* point('abba.c:ab:between');
      yield* w.m.B.lock(w.s, 'abba.c:ab:lock_b');
      w.m.B.unlock(w.s);
      w.m.A.unlock(w.s);
    },
    function* (w) {
      yield* w.m.B.lock(w.s, 'abba.c:ba:lock_b');
      yield* point('abba.c:ba:between');
      yield* w.m.A.lock(w.s, 'abba.c:ba:lock_a');
      w.m.A.unlock(w.s);
      w.m.B.unlock(w.s);
    },
  ],
});

/** Non-atomic increments: a lost update leaves the counter short. */
export const lostUpdateSpec = (threads = 2): Spec => ({
  vars: { c: 0 },
  threads: Array.from({ length: threads }, () =>
    function* (w: World) {
      const seen = w.v.c;
      yield* point('inc.c:inc:after-read', String(seen));
      w.v.c = seen + 1;
    },
  ),
  final: {
    'no-lost-update': (w) => w.v.c !== threads,
    'counter-positive': (w) => w.v.c < 1,
  },
});

/** Independent threads: `points` plain points each, no shared state. */
export const independentSpec = (threads: number, points: number, footprints = false): Spec => ({
  vars: {},
  footprints,
  threads: Array.from({ length: threads }, (_, i) =>
    function* (w: World) {
      for (let p = 0; p < points; p++) {
        w.touch(`w:own${i}`);
        yield* point(`ind.c:t${i}:p${p}`);
      }
    },
  ),
});

/** A data choice decides the outcome. */
export const choiceSpec = (): Spec => ({
  vars: { x: 0 },
  threads: [
    function* (w) {
      yield* point('ch.c:a:start');
      w.v.x = yield* choose('ch.c:a:pick', [0, 1, 2]);
    },
    function* () {
      yield* point('ch.c:b:start');
    },
  ],
  final: { 'x-not-2': (w) => w.v.x === 2 },
});

/** Random programs for property tests: segments of lock-protected operations. */
export type PLock = 'A' | 'B';
export type POp = 'point' | 'choose' | 'inc' | 'flag';
export interface PSegment {
  readonly locks: readonly PLock[];
  readonly ops: readonly POp[];
}
export type PProgram = readonly (readonly PSegment[])[];

/**
 * A lock made of a variable, so its footprint is exact: the acquiring step and the
 * step resuming after the wait both touch it, and so does the release.
 */
export function* varLock(w: World, tid: ThreadId, name: string, label: string): KThread<void> {
  const k = `lock_${name}`;
  yield* point(label);
  w.touch(`w:${k}`);
  if (w.v[k] !== 0) {
    yield* waitUntil(label, { kind: 'mutex', object: name }, () => w.v[k] === 0);
    w.touch(`w:${k}`);
  }
  w.v[k] = tid + 1;
}

export function varUnlock(w: World, name: string): void {
  w.touch(`w:lock_${name}`);
  w.v[`lock_${name}`] = 0;
}

export function programSpec(p: PProgram, footprints = false): Spec {
  return {
    vars: { c: 0, flag: 0, lock_A: 0, lock_B: 0 },
    footprints,
    observes: ['c', 'flag'],
    threads: p.map((segs, ti) =>
      function* (w: World, tid: ThreadId) {
        for (const [si, seg] of segs.entries()) {
          const site = `prog.c:t${ti}:s${si}`;
          const locks = seg.locks.filter((l, i) => seg.locks.indexOf(l) === i);
          for (const l of locks) yield* varLock(w, tid, l, `${site}:lock_${l}`);
          for (const [oi, op] of seg.ops.entries()) {
            const at = `${site}:o${oi}`;
            if (op === 'point') yield* point(at);
            else if (op === 'choose') {
              w.touch('w:c');
              w.v.c += yield* choose(at, [0, 1]);
            } else if (op === 'inc') {
              w.touch('r:c');
              const seen = w.v.c;
              yield* point(at, String(seen));
              w.touch('w:c');
              w.v.c = seen + 1;
            } else {
              w.touch('w:flag');
              w.v.flag = 1 - w.v.flag;
            }
          }
          for (const l of [...locks].reverse()) varUnlock(w, l);
        }
      },
    ),
    state: { 'c-reaches-3': (w) => w.v.c >= 3, 'flag-up-with-c': (w) => w.v.flag === 1 && w.v.c >= 1 },
    final: { 'c-odd': (w) => w.v.c % 2 === 1, 'flag-up': (w) => w.v.flag === 1 },
  };
}

/**
 * A run that ends in deadlock has no outcome (a stuck thread has no result; the `deadlock`
 * verdict reports it). t0 sets `a`, then `c`, then waits for `g`; t1 sets `g` only when it
 * finds `a` clear, then sets `b`. When t0 goes first, t1 leaves `g` clear and t0 waits for
 * ever; t0's `c` and t1's `b` in either order reach the same stuck state, so a cached search
 * cuts the second of those runs at a final state another run reached by deadlock.
 */
export const stuckSpec = (): Spec => ({
  vars: { a: 0, b: 0, c: 0, g: 0 },
  threads: [
    function* (w) {
      yield* point('stuck.c:t0:set_a');
      w.v.a = 1;
      yield* point('stuck.c:t0:set_c');
      w.v.c = 1;
      yield* waitUntil('stuck.c:t0:wait_g', { kind: 'mutex', object: 'g' }, () => w.v.g === 1);
    },
    function* (w) {
      yield* point('stuck.c:t1:check_a');
      if (w.v.a === 0) w.v.g = 1;
      yield* point('stuck.c:t1:set_b');
      w.v.b = 1;
    },
  ],
  outcome: (w) => ({ a: w.v.a, b: w.v.b, c: w.v.c, g: w.v.g }),
});
