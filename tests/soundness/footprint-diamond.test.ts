/**
 * The footprints' claim checked directly (src/scenario/access-footprint.ts,
 * src/scenario/object-footprint.ts): two adjacent steps of different threads whose
 * footprints are independent commute. On seeded random runs of corpus scenarios, every
 * such pair is executed in the other order (the same prefix, the two steps swapped, the
 * same remainder) and must reach the same state (world fingerprint and thread positions)
 * right after the pair and the same final world and outcome at the end. A read the model
 * makes without reporting it (a folio slot or PTE table kept across a scheduling point)
 * shows here as a pair called independent that does not commute.
 *
 * Also checked per step: the tracked objects' writes are found whenever the world changed
 * outside the locks (AccessFootprints throws otherwise), and `unknown` steps are counted.
 *
 * It fails when PTE reads are not reported (pmd_map.reader left null: the DONTNEED race
 * then swaps a GUP step and a zap step that do not commute).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RandomChooser } from '../../src/explore/choosers.js';
import { independent } from '../../src/explore/dpor.js';
import type { ExploreRun } from '../../src/explore/explore.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { scenarioTarget } from '../../src/scenario/run.js';
import type { Chooser, PickContext, RunResult, ThreadId } from '../../src/sched/index.js';
import { ScheduleDivergence } from '../../src/sched/index.js';

const root = join(import.meta.dirname, '..', '..');

/** Scenario file → profiles (null: all it declares). SOUNDNESS=all takes every multi-thread corpus scenario. */
const SUBSET: readonly [string, readonly string[] | null][] = [
  ['scenarios/concurrency/pin-vs-madv-dontneed.yaml', ['v6.1']],
  ['scenarios/concurrency/pin-vs-madv-pageout.yaml', ['v6.12']],
  ['scenarios/concurrency/truncate-vs-shortterm-pin-outcomes.yaml', ['v6.1']],
  ['scenarios/seed/longterm-locked-race.yaml', ['v5.6']],
  ['scenarios/concurrency/fork-vs-map-dma.yaml', ['v6.1']],
  ['scenarios/remote/proc-mem-write-vs-store.yaml', null],
];

interface Step {
  readonly thread: number;
  readonly data: readonly number[];
  readonly fp: readonly string[] | null;
  /** World fingerprint and positions after the step. */
  readonly key: string;
}

/** Follows a plan of steps (thread, data choices), then the default strategy. */
class PlanChooser implements Chooser {
  at = 0;
  private d = 0;
  constructor(private readonly plan: readonly Step[]) {}
  next(): void {
    this.at++;
    this.d = 0;
  }
  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    const p = this.plan[this.at];
    if (p === undefined) return ctx.last !== null && ctx.lastEnabled ? ctx.last : enabled[0];
    if (!enabled.includes(p.thread as ThreadId)) throw new ScheduleDivergence(ctx.choiceIndex, ctx.step, 'plan: thread not enabled');
    return p.thread as ThreadId;
  }
  pickData(_label: string, n: number, _t: ThreadId, ctx: PickContext): number {
    const p = this.plan[this.at];
    if (p === undefined) return 0;
    const c = p.data[this.d++];
    if (c === undefined || c >= n) throw new ScheduleDivergence(ctx.choiceIndex, ctx.step, 'plan: data choice differs');
    return c;
  }
}

type Target = ReturnType<typeof scenarioTarget>;

/** Run `target` with `chooser`; per step its thread, data choices, footprint and key. */
function record(target: Target, chooser: Chooser, onStep?: (i: number) => void): { steps: Step[]; res: RunResult; end: string; outcome: string } {
  const steps: Step[] = [];
  let run: ExploreRun | null = null;
  let seen = 0;
  run = target.start({
    chooser,
    trace: false,
    maxSteps: 5000,
    afterStep: (s) => {
      const r = run as ExploreRun;
      const data: number[] = [];
      const ch = s.choices;
      for (let k = seen; k < ch.length; k++) {
        const c = ch[k];
        if (c.kind === 'data') data.push(c.index);
      }
      seen = ch.length;
      const fp = r.footprint?.() ?? null;
      steps.push({ thread: s.lastRan as number, data, fp, key: `${r.fingerprint()}|${s.positionKey()}` });
      onStep?.(steps.length - 1);
      return false;
    },
  });
  run.footprint?.();
  const res = run.sched.run();
  const out = run.outcome?.(res);
  return { steps, res, end: run.fingerprint(), outcome: out?.key ?? '' };
}

describe('independent steps commute (footprint diamonds)', () => {
  it('every adjacent independent pair of seeded random runs reaches the same state in the other order', () => {
    const all = process.env.SOUNDNESS === 'all';
    let pairs = 0;
    let checked = 0;
    const failures: string[] = [];
    for (const [file, profiles] of SUBSET) {
      const p = parseScenario(readFileSync(join(root, file), 'utf8'), file);
      if (!p.ok) throw new Error(`${file} does not parse`);
      for (const pe of p.scenario.expect) {
        if (profiles !== null && !profiles.includes(pe.profile.name)) continue;
        const target = scenarioTarget(p.scenario, pe.profile);
        for (let seed = 1; seed <= (all ? 40 : 12); seed++) {
          const orig = record(target, new RandomChooser(seed));
          if (orig.res.status !== 'done') continue;
          const { steps } = orig;
          for (let i = 0; i + 1 < steps.length; i++) {
            const a = steps[i];
            const b = steps[i + 1];
            if (a.thread === b.thread || !independent(a.fp, b.fp)) continue;
            pairs++;
            const plan = [...steps.slice(0, i), b, a, ...steps.slice(i + 2)];
            const chooser = new PlanChooser(plan);
            const swapped = record(target, chooser, () => chooser.next());
            // A swap the plan cannot follow (b was not enabled before a): a dependence on enabledness.
            if (swapped.res.status === 'diverged') {
              failures.push(`${file} ${pe.profile.name} seed ${seed}: steps ${i + 1},${i + 2} (T${a.thread}, T${b.thread}) called independent, but T${b.thread} cannot run first`);
              continue;
            }
            checked++;
            const where = `${file} ${pe.profile.name} seed ${seed}: steps ${i + 1},${i + 2} (T${a.thread} ${JSON.stringify(a.fp)}, T${b.thread} ${JSON.stringify(b.fp)})`;
            if (swapped.steps[i + 1]?.key !== b.key) failures.push(`${where}: different state after the pair`);
            else if (swapped.end !== orig.end || swapped.outcome !== orig.outcome) failures.push(`${where}: different end`);
          }
        }
      }
    }
    if (process.env.DIAMOND_DEBUG !== undefined) console.log(`diamonds: ${checked} of ${pairs} pairs checked`);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(0);
    expect(checked).toBe(pairs);
  });
});
