/**
 * The explorer's Observer (src/explore/observe.ts): after each step it reports the target's own
 * findings plus the runtime's findings that are new since it last looked (each kind once), and
 * at the end of a run the target's finish() findings only for runs that ended (done or
 * deadlock), never for a step-bound or stopped run; skip() forgets the findings of a replayed
 * prefix.
 */
import { describe, expect, it } from 'vitest';
import { Observer } from '../../../src/explore/observe.js';
import type { ExploreRun } from '../../../src/explore/types.js';
import type { RunResult, RunStatus, Sched, SchedViolation } from '../../../src/sched/index.js';

function fakeRun(own: string[], fin: string[]): { run: ExploreRun; log: SchedViolation[]; finished: RunStatus[] } {
  const log: SchedViolation[] = [];
  const finished: RunStatus[] = [];
  const run: ExploreRun = {
    sched: { violations: log } as unknown as Sched,
    fingerprint: () => '',
    check: () => own,
    finish: (r) => {
      finished.push(r.status);
      return fin;
    },
  };
  return { run, log, finished };
}

const held = (name: string): SchedViolation => ({ kind: 'lock-held-at-exit', thread: 0 as never, name, held: [] });
const sleep = (): SchedViolation => ({ kind: 'sleep-in-atomic' } as unknown as SchedViolation);
const result = (status: RunStatus): RunResult => ({ status, steps: 1, choices: [], violations: [], divergence: null });

describe('Observer', () => {
  it('adds the runtime findings new since the last step, each kind once', () => {
    const { run, log } = fakeRun(['dma-target-is-live'], []);
    const o = new Observer(run);
    expect(o.step()).toEqual(['dma-target-is-live']);
    log.push(held('T0'), held('T1'), sleep());
    expect(o.step()).toEqual(['dma-target-is-live', 'lock-held-at-exit', 'sleep-in-atomic']);
    // Already reported: the next step shows only the target's own findings.
    expect(o.step()).toEqual(['dma-target-is-live']);
    log.push(sleep());
    expect(o.step()).toEqual(['dma-target-is-live', 'sleep-in-atomic']);
  });

  it('does not repeat a runtime kind the target already reports', () => {
    const { run, log } = fakeRun(['deadlock'], []);
    const o = new Observer(run);
    log.push({ kind: 'deadlock', threads: [] });
    expect(o.step()).toEqual(['deadlock']);
  });

  it('skip() forgets the findings of a replayed prefix', () => {
    const { run, log } = fakeRun([], []);
    log.push(held('T0'));
    const o = new Observer(run);
    o.skip();
    expect(o.step()).toEqual([]);
    log.push(sleep());
    expect(o.step()).toEqual(['sleep-in-atomic']);
  });

  it('asks finish() only for runs that ended', () => {
    for (const status of ['done', 'deadlock'] as const) {
      const { run, finished } = fakeRun([], ['pin-balance-at-exit']);
      expect(new Observer(run).end(result(status))).toEqual(['pin-balance-at-exit']);
      expect(finished).toEqual([status]);
    }
    for (const status of ['step-bound', 'stopped', 'diverged'] as const) {
      const { run, finished, log } = fakeRun([], ['pin-balance-at-exit']);
      expect(new Observer(run).end(result(status))).toEqual([]);
      expect(finished).toEqual([]);
      log.push(held('T2'));
      expect(new Observer(run).end(result(status))).toEqual(['lock-held-at-exit']);
    }
  });

  it('adds new runtime findings to finish() at the end', () => {
    const { run, log } = fakeRun([], ['pin-balance-at-exit']);
    const o = new Observer(run);
    log.push({ kind: 'deadlock', threads: [] });
    expect(o.end(result('deadlock'))).toEqual(['pin-balance-at-exit', 'deadlock']);
  });

  it('works for a target without finish()', () => {
    const run: ExploreRun = { sched: { violations: [] } as unknown as Sched, fingerprint: () => '', check: () => [] };
    expect(new Observer(run).end(result('done'))).toEqual([]);
  });
});
