/**
 * Explorer benchmarks.
 *
 * - `explore_seed_*`: a complete DFS (state caching, no preemption bound) of the
 *   seed race scenario, the `locked` + FOLL_LONGTERM race (issue 6). The scenario is
 *   the first `scenarios/seed/*race*.yaml` (or $PINLAB_SEED_SCENARIO), explored on
 *   its `v5.6+hypo-longterm-honours-locked` profile (or $PINLAB_SEED_PROFILE; else
 *   its first `v5.6...` profile, else its first). Skipped, with a note on stderr,
 *   while that scenario does not exist.
 * - `explore_synthetic_*`: the same measurements on a synthetic program written with
 *   the sched primitives (three threads, a rw_semaphore, a mutex, shared counters and
 *   cond_resched-like points), so the explorer's own speed is tracked meanwhile.
 *
 * What "schedules" counts: `ExploreResult.schedules`, the runs the DFS executes.
 * Each run re-executes the scenario from its initial state (a new machine and
 * set-up), replays the choice prefix of the branch being explored, and goes on until
 * every thread has exited, or it reaches a state already seen (cut there: the state
 * cache), or all enabled threads sleep. A run is therefore usually a *partial*
 * schedule; the complete schedules the search stands for are `paths`, reported as
 * the informational `*_paths_per_second` (no goal; with a cyclic graph it is
 * Infinity). `*_schedules_per_second` = schedules / wall seconds of complete
 * searches; `*_complete_seconds` = the median wall time of one complete search;
 * `*_schedules_per_cpu_second` is the same count over the process's CPU time
 * (steadier than wall time while other work shares the machine).
 *
 * Method: warm-up searches (JIT) for at least 2 s and 30 searches, then complete
 * searches repeated until at least 2 s of wall time and 3 searches have passed;
 * every figure but `*_cold_seconds` is over those searches (steady state: what a
 * long exploration sees). `*_cold_seconds` is the first search of the process,
 * JIT warm-up included (what one `pinlab explore` of a small scenario sees).
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

interface Timed {
  readonly r: ExploreResult;
  /** Searches measured. */
  readonly n: number;
  /** Median wall seconds of one search. */
  readonly median: number;
  /** Totals over the measured searches. */
  readonly wall: number;
  readonly cpu: number;
  readonly schedules: number;
  /** Wall seconds of the first search (cold JIT). */
  readonly cold: number;
}

function once(fn: () => ExploreResult): { r: ExploreResult; s: number; cpu: number } {
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  const r = fn();
  const c = process.cpuUsage(c0);
  return { r, s: Number(process.hrtime.bigint() - t0) / 1e9, cpu: (c.user + c.system) / 1e6 };
}

/**
 * Warm-up (the JIT needs a few thousand runs of the model code to reach steady
 * state): searches until >= 2 s of wall time and >= 30 searches; then searches
 * until >= 2 s and >= 3 searches.
 */
function timed(fn: () => ExploreResult): Timed {
  const warm = once(fn);
  process.stderr.write(`  first (cold) search: ${warm.s.toFixed(3)} s\n`);
  for (let n = 1, w = warm.s; n < 30 || w < 2; n++) w += once(fn).s;
  const runs: { r: ExploreResult; s: number; cpu: number }[] = [];
  let wall = 0;
  while (runs.length < 3 || wall < 2) {
    const x = once(fn);
    if (x.r.schedules !== warm.r.schedules) throw new Error(`bench: the search is not deterministic (${x.r.schedules} vs ${warm.r.schedules} schedules)`);
    runs.push(x);
    wall += x.s;
  }
  const sorted = runs.map((x) => x.s).sort((a, b) => a - b);
  return {
    r: warm.r,
    n: runs.length,
    median: sorted[Math.floor(sorted.length / 2)],
    wall,
    cpu: runs.reduce((a, x) => a + x.cpu, 0),
    schedules: runs.reduce((a, x) => a + x.r.schedules, 0),
    cold: warm.s,
  };
}

/** Wall-clock figures (the goals), paths (informational) and schedules per CPU-second (steadier on a busy machine). */
function figures(prefix: string, t: Timed, completeGoal = '< 2'): Figure[] {
  const r = t.r;
  if (!r.complete) process.stderr.write(`note: ${prefix} search was not complete (${r.bounded.join(', ')})\n`);
  process.stderr.write(`${prefix}: ${r.schedules} schedules (runs), ${r.states} states, ${r.edges} distinct steps, ${r.steps} steps run, ${r.paths} complete schedules represented; ${t.n} searches, median ${t.median.toFixed(4)} s, ${(t.cpu / t.wall).toFixed(2)} CPU/wall\n`);
  const out: Figure[] = [
    { name: `${prefix}_schedules_per_second`, value: t.schedules / t.wall, unit: 'schedules/s', goal: '>= 10000' },
    { name: `${prefix}_complete_seconds`, value: t.median, unit: 's', goal: completeGoal },
    { name: `${prefix}_states_per_second`, value: (r.states * t.n) / t.wall, unit: 'states/s', ...(prefix === 'explore_seed' ? { goal: '>= 100000' } : {}) },
    { name: `${prefix}_schedules_per_cpu_second`, value: t.schedules / t.cpu, unit: 'schedules/s' },
  ];
  // A state graph with a cycle stands for infinitely many complete schedules: no figure then
  // (JSON has no Infinity), and the note above says so.
  if (Number.isFinite(r.paths)) out.push({ name: `${prefix}_paths_per_second`, value: (r.paths * t.n) / t.wall, unit: 'paths/s' });
  else process.stderr.write(`note: ${prefix}: the state graph has a cycle, so no ${prefix}_paths_per_second figure\n`);
  out.push({ name: `${prefix}_cold_seconds`, value: t.cold, unit: 's' });
  return out;
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
  const want = process.env.PINLAB_SEED_PROFILE ?? 'v5.6+hypo-longterm-honours-locked';
  const pe = p.scenario.expect.find((e) => e.spec === want) ?? p.scenario.expect.find((e) => e.spec.startsWith('v5.6')) ?? p.scenario.expect[0];
  if (pe === undefined) {
    process.stderr.write(`note: ${file} declares no profile: explore_seed_* skipped\n`);
    return [];
  }
  process.stderr.write(`seed: ${file} on ${pe.spec}\n`);
  const t = scenarioTarget(p.scenario, pe.profile);
  const out = figures('explore_seed', timed(() => explore(t)), '< 1');
  // explore_seed_complete_seconds holds on every profile the seed race declares: report the slowest.
  for (const other of p.scenario.expect) {
    if (other === pe) continue;
    process.stderr.write(`seed: ${file} on ${other.spec}\n`);
    const ot = scenarioTarget(p.scenario, other.profile);
    const m = timed(() => explore(ot)).median;
    process.stderr.write(`  ${other.spec}: median ${m.toFixed(4)} s\n`);
    const f = out.findIndex((x) => x.name === 'explore_seed_complete_seconds');
    if (m > out[f].value) out[f] = { ...out[f], value: m };
  }
  return out;
}

/**
 * N independent MAP_DMA threads (bench/independent.ts), through the library path a
 * user takes (parse the scenario text, scenarioTarget, explore: the default reduction,
 * DPOR, since the scenario is separable: docs/explorer.md). One search each:
 * `explore_independent_<n>_seconds` for the small N that complete, and for N = 8 the
 * figure only if the search completes within $PINLAB_INDEPENDENT_MAX schedules
 * (default 20,000); otherwise `explore_independent_8_complete` is 0 and stderr says how
 * far it got.
 */
async function independentFigures(): Promise<Figure[]> {
  const { parseScenario } = await import('../src/scenario/parse.js');
  const { scenarioTarget } = await import('../src/scenario/run.js');
  const { independentScenario } = await import('./independent.js');
  const out: Figure[] = [];
  const search = (n: number, maxSchedules: number): { r: ExploreResult; s: number } => {
    const p = parseScenario(independentScenario(n), `independent-${n}.yaml`);
    if (!p.ok) throw new Error(`bench: independent-${n}.yaml: ${p.errors.map((e) => e.message).join('; ')}`);
    const t = scenarioTarget(p.scenario, p.scenario.expect[0].profile);
    const x = once(() => explore(t, { maxSchedules }));
    process.stderr.write(`explore_independent_${n}: ${x.r.schedules} schedules, ${x.r.states} states, ${x.r.complete ? 'complete' : `bounded (${x.r.bounded.join(', ')})`}, ${x.s.toFixed(3)} s\n`);
    return x;
  };
  for (const n of [2, 3]) {
    const x = search(n, Infinity);
    out.push({ name: `explore_independent_${n}_seconds`, value: x.s, unit: 's' });
    out.push({ name: `explore_independent_${n}_schedules`, value: x.r.schedules, unit: 'schedules' });
  }
  const max = Number(process.env.PINLAB_INDEPENDENT_MAX ?? 20_000);
  const x8 = search(8, max);
  out.push({ name: 'explore_independent_8_complete', value: x8.r.complete ? 1 : 0, unit: 'bool', goal: '= 1' });
  if (x8.r.complete) out.push({ name: 'explore_independent_8_seconds', value: x8.s, unit: 's', goal: '< 2' }, { name: 'explore_independent_8_schedules', value: x8.r.schedules, unit: 'schedules' });
  return out;
}

export const benchmarks: Benchmark[] = [
  { name: 'explore_seed', run: seedFigures },
  { name: 'explore_independent', run: independentFigures },
  {
    name: 'explore_synthetic',
    run: () => {
      const t = syntheticTarget(4);
      return figures('explore_synthetic', timed(() => explore(t)));
    },
  },
];
