/**
 * Explorer benchmarks.
 *
 * - `explore_seed_schedules_per_second` and `explore_seed_complete_seconds`: a
 *   complete DFS (no preemption bound) of the seed race scenario, the
 *   `locked` + FOLL_LONGTERM race (issue 6). The scenario is the first
 *   `scenarios/seed/*race*.yaml` (or $PINLAB_SEED_SCENARIO), explored on its `v5.6`
 *   profile (or $PINLAB_SEED_PROFILE; else its first declared profile). Skipped, with
 *   a note on stderr, while that scenario does not exist.
 * - `explore_synthetic_*`: the same measurements on a synthetic program written with
 *   the sched primitives (three threads, a rw_semaphore, a mutex, shared counters and
 *   cond_resched-like points), so the explorer's own speed is tracked meanwhile.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExploreResult, ExploreRun, ExploreTarget } from '../src/explore/index.js';
import { explore } from '../src/explore/index.js';
import type { KThread, SchedOptions } from '../src/sched/index.js';
import { Mutex, RwSemaphore, Sched, point } from '../src/sched/index.js';
import type { Benchmark, Figure } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

function once(fn: () => ExploreResult): { r: ExploreResult; s: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = fn();
  const c = process.cpuUsage(c0);
  return { r, s: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 };
}

/** One warm-up run (JIT), then the median of three timed runs. */
function timed(fn: () => ExploreResult): { r: ExploreResult; s: number; cpu: number } {
  const warm = once(fn);
  process.stderr.write(`  first (cold) run: ${warm.s.toFixed(3)} s\n`);
  const runs = [once(fn), once(fn), once(fn)].sort((a, b) => a.s - b.s);
  return runs[1];
}

/** Wall-clock figures (the goals), plus schedules per CPU-second (steadier on a busy machine). */
function figures(prefix: string, r: ExploreResult, s: number, cpu: number): Figure[] {
  if (!r.complete) process.stderr.write(`note: ${prefix} search was not complete (${r.bounded.join(', ')})\n`);
  process.stderr.write(`${prefix}: ${r.schedules} schedules, ${r.states} states, ${r.edges} distinct steps, ${r.steps} steps run, ${r.paths} complete schedules represented, ${s.toFixed(3)} s\n`);
  return [
    { name: `${prefix}_schedules_per_second`, value: r.schedules / s, unit: 'schedules/s', goal: '>= 10000' },
    { name: `${prefix}_complete_seconds`, value: s, unit: 's', goal: '< 2' },
    { name: `${prefix}_schedules_per_cpu_second`, value: r.schedules / cpu, unit: 'schedules/s' },
  ];
}

/** The synthetic program: a reader pinning pages under a rwsem, a writer truncating, a third thread accounting. */
export function syntheticTarget(pages: number): ExploreTarget {
  return {
    invariants: ['pinned-after-truncate'],
    start(opts: SchedOptions): ExploreRun {
      const s = new Sched(opts);
      const sem = new RwSemaphore('mmap_lock');
      const acct = new Mutex('acct');
      const st = { pinned: 0, truncated: 0, locked: 0, bad: 0, pinIter: 0, acctIter: 0 };
      s.spawn('pinner', function* (): KThread<void> {
        for (let i = 0; i < pages; i++) {
          st.pinIter = i; // loop state the fingerprint must see (down_read declares no locals)
          yield* sem.downRead(s, 'syn.c:pin:down_read');
          if (st.truncated <= i) st.pinned++;
          sem.upRead(s);
          yield* point('syn.c:pin:cond_resched', String(i));
        }
      });
      s.spawn('truncater', function* (): KThread<void> {
        for (let i = 0; i < pages; i++) {
          yield* sem.downWrite(s, 'syn.c:truncate:down_write');
          st.truncated++;
          if (st.pinned > st.truncated) st.bad = 1;
          sem.upWrite(s);
        }
      });
      s.spawn('accounting', function* (): KThread<void> {
        for (let i = 0; i < 2; i++) {
          st.acctIter = i;
          yield* acct.lock(s, 'syn.c:acct:mutex_lock');
          st.locked += st.pinned;
          acct.unlock(s);
        }
      });
      return {
        sched: s,
        fingerprint: () => `${st.pinned},${st.truncated},${st.locked},${st.bad},${st.pinIter},${st.acctIter}|${sem.fingerprint()}|${acct.fingerprint()}`,
        check: () => (st.bad !== 0 ? ['pinned-after-truncate'] : []),
      };
    },
  };
}

async function seedFigures(): Promise<Figure[]> {
  const dir = join(root, 'scenarios', 'seed');
  const file = process.env.PINLAB_SEED_SCENARIO ?? (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.yaml') && f.includes('race')).sort().map((f) => join(dir, f))[0] : undefined);
  if (file === undefined) {
    process.stderr.write('note: no seed race scenario (scenarios/seed/*race*.yaml) yet: explore_seed_* skipped\n');
    return [];
  }
  const { parseScenario } = await import('../src/scenario/parse.js');
  const { scenarioTarget } = await import('../src/scenario/run.js');
  const p = parseScenario(readFileSync(file, 'utf8'), file);
  if (!p.ok) {
    process.stderr.write(`note: ${file} does not parse (${p.errors.length} errors): explore_seed_* skipped\n`);
    return [];
  }
  const want = process.env.PINLAB_SEED_PROFILE ?? 'v5.6';
  const pe = p.scenario.expect.find((e) => e.spec === want) ?? p.scenario.expect[0];
  if (pe === undefined) {
    process.stderr.write(`note: ${file} declares no profile: explore_seed_* skipped\n`);
    return [];
  }
  process.stderr.write(`seed: ${file} on ${pe.spec}\n`);
  const t = scenarioTarget(p.scenario, pe.profile);
  const { r, s, cpu } = timed(() => explore(t));
  return figures('explore_seed', r, s, cpu);
}

export const benchmarks: Benchmark[] = [
  { name: 'explore seed race (complete DFS)', run: seedFigures },
  {
    name: 'explore synthetic (complete DFS)',
    run: () => {
      const t = syntheticTarget(4);
      const { r, s, cpu } = timed(() => explore(t));
      return figures('explore_synthetic', r, s, cpu);
    },
  },
];
