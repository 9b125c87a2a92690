/**
 * Running a scenario on a profile: build the machine from the set-up, spawn one
 * kernel thread per scenario thread, run (or hand the run to the explorer), and
 * collect results, observations and violations.
 *
 *   runScenario(s, profile, { schedule?, trace? }) → RunOutcome   (one run)
 *   scenarioTarget(s, profile) → ExploreTarget                     (for explore())
 *
 * The world of a run is a pure function of (scenario, profile, choices): set-up runs
 * first, deterministically, in its own runtime with a single thread, then the
 * scenario threads start in a fresh runtime with the caller's options.
 */
import type { ErrnoReason } from '../linux/errno_reason.js';
import { errno_reason_since } from '../linux/errno_reason.js';
import { Checker } from '../check/checker.js';
import type { CheckMode } from '../check/checker.js';
import { INVARIANT_IDS } from '../check/ids.js';
import type { InvariantId } from '../check/ids.js';
import { MachineView, allRings } from '../check/view.js';
import type { Violation } from '../check/violation.js';
import type { ExploreRun, ExploreTarget, RunValues } from '../explore/explore.js';
import { ClassFootprints, separableClasses } from './separable.js';
import { ACCESS_OBSERVES, AccessFootprints } from './access-footprint.js';
import { threadObjects } from './thread-footprint.js';
import { counterObjects } from './counter-footprint.js';
import { extraObjects } from './object-footprint.js';
import { ReplayChooser } from '../explore/choosers.js';
import { formatSchedule, parseSchedule } from '../explore/schedule.js';
import { Kctx } from '../linux/kctx.js';
import { Machine } from '../linux/machine.js';
import type { Atomicity, KernelReport } from '../linux/machine.js';
import { createTask } from '../linux/kernel/fork.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import { RLIMIT_MEMLOCK, RLIM_INFINITY } from '../linux/include/linux/sched.js';
import { unsupported } from '../linux/include/linux/bug.js';
import { errname } from '../linux/include/uapi/linux/errno.js';
import * as mman from '../linux/include/uapi/asm-generic/mman.js';
import { MAP_POPULATE, MAP_SHARED, PROT_WRITE } from '../linux/include/uapi/asm-generic/mman.js';
import { O_RDONLY, O_RDWR } from '../linux/include/linux/fs.js';
import { create_file, mount_fs } from '../linux/fs/libfs.js';
import { devdax_create } from '../linux/drivers/dax/device.js';
import { hugetlb_pool_grow } from '../linux/mm/hugetlb.js';
import { HPAGE_PMD_ORDER, HPAGE_PUD_ORDER } from '../linux/include/linux/mm_types.js';
import { sys_close, sys_mmap, sys_open } from '../linux/syscalls.js';
import type { Profile } from '../profiles/index.js';
import type { Chooser, KThread, RunResult, RunStatus, SchedOptions, ThreadId, TraceEvent, TraceValue } from '../sched/index.js';
import { DefaultChooser, Sched, bigintJson, waitWhole } from '../sched/index.js';
import type { ArgValue, Scenario, Step, ThreadDecl, Value } from './ast.js';
import { CAPS, evalProbe, opImpl, stepDeps, stepValueProblem } from './build.js';
import { setupContainers, setupDevices, vfioFingerprint } from './build-vfio.js';
import { iommufdFingerprint } from './build-iommufd.js';
import { fingerprintMask, mm_fingerprint } from '../linux/mm/fingerprint.js';
import { pipe_fingerprint } from '../linux/fs/pipe.js';
import type { StepCtx } from './build.js';
import { RunState, valueKey } from './state.js';
import type { StepTiming } from './state.js';
import type { io_ring_ctx } from '../linux/io_uring/io_uring.js';

export type OutcomeStatus = RunStatus | 'setup-failed' | 'unsupported';

export interface RunOutcome {
  readonly scenario: string;
  readonly profile: string;
  readonly status: OutcomeStatus;
  /** Why the run is not a verdict (setup failure, unsupported operation), else null. */
  readonly problem: string | null;
  /** Step results and observations by name. */
  readonly values: ReadonlyMap<string, Value>;
  /** Output fields of results (`r.pages`). */
  readonly outputs: ReadonlyMap<string, Readonly<Record<string, Value>>>;
  readonly violations: readonly Violation[];
  /** Invariants violated in this run. */
  readonly violated: readonly InvariantId[];
  readonly reports: readonly KernelReport[];
  /** The schedule string of the run (replayable). */
  readonly schedule: string;
  readonly steps: number;
  readonly trace: readonly TraceEvent[] | null;
  readonly divergence: string | null;
  /** Why a named result is an errno, where the model recorded the kernel check (errno_reason.ts). */
  readonly reasons: ReadonlyMap<string, ErrnoReason>;
  /** With RunOptions.clock: set-up, each step and the end-of-run checks, with their wall times; else null. */
  readonly timings: readonly StepTiming[] | null;
}

/** A built world: machine, runtime with threads spawned, run state, checker. */
export interface World {
  readonly m: Machine;
  readonly sched: Sched;
  readonly rs: RunState;
  readonly checker: Checker;
  /** Non-null when set-up failed (no threads were spawned). */
  readonly setupError: string | null;
}

const MB = 1024 * 1024;

function layoutOf(s: Scenario): ConstructorParameters<typeof Machine>[1] {
  const mem = s.setup.memory;
  return {
    dma32: Number(mem.zones.DMA32),
    normal: Number(mem.zones.Normal),
    movable: Number(mem.zones.Movable),
    cma: Number(mem.cma),
    pmem: mem.pmem.map((p) => ({ name: p.name, size: Number(p.size), mode: p.mode })),
    bars: s.setup.devices.flatMap((d) => (d.bar === null ? [] : [{ name: `bar:${d.name}`, size: Number(d.bar) }])),
  };
}

/** Build the machine, run set-up, and spawn the scenario threads in `new Sched(opts)`. */
export interface WorldOptions {
  /** A wall clock in ms for `--timings`. */
  readonly clock?: (() => number) | null;
  /** Record object events (default true). */
  readonly recordEvents?: boolean;
  /** How the checker evaluates step invariants (default 'auto'). */
  readonly checkMode?: CheckMode;
  /** Step atomicity of the scenario threads (Machine.atomicity; default 'merged'). */
  readonly atomicity?: Atomicity;
  /** Failure points (include/linux/fault_inject.ts) become data choices of the chooser. */
  readonly faultInjection?: boolean;
}

export function buildWorld(s: Scenario, profile: Profile, opts: SchedOptions, wo: WorldOptions = {}): World {
  const clock = wo.clock ?? null;
  const t0 = clock === null ? 0 : clock();
  const m = new Machine(profile, layoutOf(s));
  m.recordEvents = wo.recordEvents ?? true;
  const rs = new RunState(s.threads.length);
  rs.clock = clock;
  s.threads.forEach((t) => {
    rs.threadIds.set(`T${t.index}`, t.index as ThreadId);
    rs.threadIds.set(t.name, t.index as ThreadId);
  });
  const setupError = runSetup(s, m, rs);
  // Failure points are live for the scenario's threads only, never during set-up.
  m.fault_inject = wo.faultInjection ?? false;
  if (clock !== null) rs.timings.push({ what: 'set-up', ms: clock() - t0 });
  const sched = new Sched(opts);
  m.sched = sched;
  // Set-up ran alone; the scenario threads run at the requested atomicity.
  m.atomicity = wo.atomicity ?? 'merged';
  const checker = new Checker(makeWorld(m, sched, rs), null, wo.checkMode ?? 'auto');
  rs.opEnd = () => checker.opEnd();
  if (setupError === null) {
    for (const t of s.threads) {
      sched.spawn(t.name, (tid) => threadBody(s, t, m, sched, tid, rs));
    }
  }
  return { m, sched, rs, checker, setupError };
}

/** Set-up: processes (and kernel-thread tasks), then what the model supports of files, mappings, devices. */
function runSetup(s: Scenario, m: Machine, rs: RunState): string | null {
  const setupSched = new Sched({ chooser: new DefaultChooser(), maxSteps: 1_000_000 });
  m.sched = setupSched;
  let error: string | null = null;
  for (const p of s.setup.processes) {
    const memlock = p.rlimits.RLIMIT_MEMLOCK;
    const task = createTask(m, {
      comm: p.comm,
      uid: p.uid,
      caps: p.caps.map((c) => CAPS[c]).filter((c): c is number => c !== undefined),
      memlock: memlock === undefined ? undefined : memlock.cur === null ? RLIM_INFINITY : Number(memlock.cur),
    });
    if (memlock !== undefined) task.rlim[RLIMIT_MEMLOCK] = { rlim_cur: memlock.cur === null ? RLIM_INFINITY : Number(memlock.cur), rlim_max: memlock.max === null ? RLIM_INFINITY : Number(memlock.max) };
    rs.processes.set(p.name, task);
  }
  for (const t of s.threads) {
    if (t.process === null) rs.processes.set(`kthread:${t.name}`, createTask(m, { comm: t.name, kthread: true }));
  }
  setupSched.spawn('setup', (tid) => setupBody(new Kctx<task_struct>(m, setupSched, tid, createTask(m, { comm: 'init', kthread: true })), s, m, rs, (e) => {
    error ??= e;
  }));
  const r = setupSched.run();
  const unsup = m.reports.find((x) => x.kind === 'unsupported');
  if (error === null && unsup !== undefined) error = `set-up: ${unsup.site}: ${unsup.message}`;
  if (error === null && r.status !== 'done') error = `set-up did not finish (${r.status})`;
  m.sched = null;
  return error;
}

/** Set-up in kernel context: mounts, files, then each process's mappings (open + mmap + close, as init would). */
function* setupBody(k: Kctx<task_struct>, s: Scenario, m: Machine, rs: RunState, fail: (e: string) => void): KThread<void> {
  // The 1 GiB pool first (as hugepagesz=1G hugepages=N at boot: GiB-aligned blocks are
  // taken before smaller allocations split them), then the 2 MiB one (echo N >
  // /proc/sys/vm/nr_hugepages before the scenario starts).
  const hp1g = s.setup.memory.hugepages1g;
  if (hp1g > 0) {
    const got = hugetlb_pool_grow(k, HPAGE_PUD_ORDER, hp1g);
    if (got < hp1g) {
      fail(`set-up: only ${got} of ${hp1g} 1 GiB huge pages could be allocated for the hugetlb pool`);
      return;
    }
  }
  const hp = s.setup.memory.hugepages;
  if (hp > 0) {
    const got = hugetlb_pool_grow(k, HPAGE_PMD_ORDER, hp);
    if (got < hp) {
      fail(`set-up: only ${got} of ${hp} huge pages could be allocated for the hugetlb pool`);
      return;
    }
  }
  // Each device-DAX pmem region, in declaration order, is /dev/dax<n>.0 (as ndctl numbers them).
  s.setup.memory.pmem.filter((p) => p.mode === 'devdax').forEach((p, n) => {
    devdax_create(m, `/dev/dax${n}.0`, p.name);
  });
  for (const f of s.setup.filesystems) {
    mount_fs(m, f.mount, f.type, f.dax && f.device !== null ? { dax: f.device } : {});
  }
  for (const f of s.setup.files) {
    if (f.cached !== null) unsupported(k, 'scenario:setup', `files: 'cached' (page-cache residency at start) is not wired to the model yet`);
    const tag = f.name ?? f.path.slice(f.path.lastIndexOf('/') + 1);
    create_file(m, f.path, Number(f.size), (i) => `${tag}:${i}`);
  }
  setupDevices(k, s, rs);
  for (const p of s.setup.processes) {
    const task = rs.processes.get(p.name);
    if (task === undefined) continue;
    k.current = task;
    for (const mp of p.mappings) {
      const prot = flagBits(mp.prot);
      let flags = flagBits(mp.flags);
      if (mp.populate) flags |= MAP_POPULATE;
      let fd = -1;
      if (mp.file !== null) {
        fd = yield* sys_open(k, mp.file, (prot & PROT_WRITE) !== 0 && (flags & MAP_SHARED) !== 0 ? O_RDWR : O_RDONLY);
        if (fd < 0) {
          fail(`set-up: open(${mp.file}) for mapping '${mp.name}' of ${p.name} failed: ${errname(fd)}`);
          return;
        }
      }
      const addr = yield* sys_mmap(k, Number(mp.addr), Number(mp.length), prot, flags, fd, Number(mp.offset));
      if (fd >= 0) yield* sys_close(k, fd);
      if (addr < 0) {
        fail(`set-up: mmap of mapping '${mp.name}' of ${p.name} failed: ${errname(addr)}`);
        return;
      }
      rs.mappings.set(mp.name, addr);
    }
  }
  const cerr = yield* setupContainers(k, s, rs);
  if (cerr !== null) fail(`set-up: ${cerr}`);
}

function flagBits(names: readonly string[]): number {
  let v = 0;
  for (const n of names) {
    const x = (mman as Readonly<Record<string, unknown>>)[n];
    if (typeof x !== 'number') throw new Error(`pinlab bug: validated flag ${n} has no value in mman.ts`);
    v |= x;
  }
  return v;
}

/** A step's arguments for the trace, as written in the scenario (`$buf + 2 pages` → `$buf+8192`), plus `as`. */
function stepTraceArgs(st: Step): TraceValue {
  const out: Record<string, TraceValue> = {};
  for (const name of Object.keys(st.args).sort()) out[name] = argTraceValue(st.args[name]);
  if (st.as !== null) out.as = st.as;
  return out;
}

function argTraceValue(v: ArgValue): TraceValue {
  switch (v.kind) {
    case 'int':
      return v.value >= -(2n ** 31n) && v.value < 2n ** 31n ? Number(v.value) : `0x${v.value.toString(16)}`;
    case 'ref':
      return v.field === null ? `$${v.name}` : `$${v.name}.${v.field}`;
    case 'sum':
      return v.terms.map((t, i) => `${t.sign < 0 ? '-' : i === 0 ? '' : '+'}${String(argTraceValue(t.term))}`).join('');
    case 'flags':
      return v.names.join('|');
    case 'str':
    case 'bool':
      return v.value;
    case 'null':
      return null;
    case 'list':
      return v.items.map(argTraceValue);
    case 'map': {
      const o: Record<string, TraceValue> = {};
      for (const k of Object.keys(v.entries).sort()) o[k] = argTraceValue(v.entries[k]);
      return o;
    }
  }
}

function* threadBody(s: Scenario, t: ThreadDecl, m: Machine, sched: Sched, tid: ThreadId, rs: RunState): KThread<void> {
  const procName = t.process ?? `kthread:${t.name}`;
  if (!rs.processes.has(procName)) {
    // A process created by fork in another thread: wait until it exists.
    // Whole (waitWhole): the body holds nothing yet but its scenario declaration.
    yield* waitWhole(`scenario:${t.name}:start`, { kind: 'waitqueue', object: `process:${procName}`, detail: 'waits for fork' }, () => rs.processes.has(procName) || rs.failedForks.has(procName), '', 'user');
    // The fork failed (-ENOMEM): the process does not exist, so its thread runs nothing.
    if (!rs.processes.has(procName)) {
      rs.progress[t.index] = t.steps.length;
      return;
    }
  }
  const task = rs.processes.get(procName) as task_struct;
  const k = new Kctx<task_struct>(m, sched, tid, task);
  for (let i = 0; i < t.steps.length; i++) {
    rs.progress[t.index] = i;
    // Between two steps the body holds only the step index (in rs.progress) and its task:
    // the explorer may key this thread's history from here (Sched.noteWhole).
    sched.noteWhole();
    const st = t.steps[i];
    for (const d of stepDeps(st)) {
      if (rs.results.has(d) || rs.mappings.has(d) || rs.containers.has(d)) continue;
      // Whole (waitWhole): between two steps the body holds only the step index (label), the
      // result it waits for (locals) and its task; results and progress are in the world (rs).
      yield* waitWhole(`scenario:${t.name}:step${i}:wait`, { kind: 'waitqueue', object: `result:${d}`, detail: `step ${i + 1} (${st.op}) needs ${d}` }, () => rs.results.has(d), d, 'user');
    }
    const problem = stepValueProblem(rs, st);
    if (problem !== null) {
      // The scenario's error, found at run time: the step is not run and the run is not a verdict.
      unsupported(k, `scenario:${st.op}`, `${t.name} step ${i + 1} (line ${st.at.line}) cannot run: ${problem}`);
      break;
    }
    const ctx: StepCtx = { k, rs, scenario: s, step: st, tid };
    if (sched.tracing) sched.traceCall(`scenario:${st.op}`, stepTraceArgs(st));
    const mark = m.errno_reasons.length;
    const t0 = rs.clock === null ? 0 : rs.clock();
    const r = yield* opImpl(st.op)(ctx);
    if (rs.clock !== null) rs.timings.push({ what: `T${t.index} step ${i + 1} ${st.op}`, ms: rs.clock() - t0 });
    if (sched.tracing) sched.traceRet(`scenario:${st.op}`, typeof r.value === 'bigint' ? bigintJson(r.value) : (r.value as never));
    if (st.as !== null) {
      rs.results.set(st.as, r);
      const why = typeof r.value === 'number' && r.value < 0 ? errno_reason_since(m.errno_reasons, mark, tid, r.value) : null;
      if (why !== null) rs.reasons.set(st.as, why);
    }
    if (st.op === 'exit') break;
    // The next operation may run in this same step (no scheduling point before it changes
    // anything): the checker looks at the world between the two. After the last one the
    // thread ends, and the step's end shows the same world.
    if (i + 1 < t.steps.length && rs.opEnd !== null) rs.opEnd();
  }
  rs.progress[t.index] = t.steps.length;
}

/** The checker's view of a scenario world: the machine, plus what only the scenario knows (its own pins, process names). */
function makeWorld(m: Machine, s: Sched, rs: RunState): MachineView {
  return new MachineView(m, s, {
    held: () => rs.holds.flatMap((h) => h.pfns.map((pfn) => ({ pfn, holder: `result '${h.result}'`, kind: h.kind, longterm: h.longterm, thread: h.thread }))),
    processes: () => rs.processes.entries(),
    // Every ring fd of every task (a forked child keeps the parent's rings after the parent closes them).
    rings: () => allRings(m),
    untrackedLockedVm: () => rs.usesIoUring,
  });
}

// ---- one run -------------------------------------------------------------------------------------------------

export interface RunOptions {
  /** A schedule string to replay (open with `...` to continue by default). */
  readonly schedule?: string | null;
  readonly chooser?: Chooser;
  readonly trace?: boolean;
  readonly maxSteps?: number;
  /** Step atomicity (Machine.atomicity); default `merged`. */
  readonly atomicity?: Atomicity;
  /** Failure points (include/linux/fault_inject.ts) become data choices of the chooser. */
  readonly faultInjection?: boolean;
  /** A wall clock in ms (`pinlab run --timings`): the outcome then carries each step's wall time. */
  readonly clock?: () => number;
  /** An observer of the run's world (`pinlab serve` records each step): see RunWatch. */
  readonly watch?: RunWatch;
}

/**
 * Watches the world of a run (pinlab serve's step record, src/serve/timeline.ts):
 * `start` once the world is built (before the first step; again if the run is made a
 * second time with events on), `step` after each step before the checker looks.
 */
export interface RunWatch {
  /** Record object events in this run (as a run that found a violation repeats itself). */
  readonly events?: boolean;
  start(w: World): void;
  step(w: World): void;
  /**
   * A scenario operation returned inside a step (the thread goes on without a scheduling
   * point), before the checker looks at the world there (Checker.opEnd), which may empty
   * the journals the watch reads at the step's end.
   */
  opEnd?(w: World): void;
}

/** Run a scenario once on a profile and collect everything a report or the judge needs. */
export function runScenario(s: Scenario, profile: Profile, opts: RunOptions = {}): RunOutcome {
  // A run records no object events (the model may then take its batched paths where a
  // thread runs alone); only when it finds a violation is the same run made again, from
  // its own choices, with events on, for the violations' histories. Runs are a function
  // of (scenario, profile, choices), so both runs agree on everything else — traced runs
  // too (a guest-scale run would spend most of its time recording events for nothing).
  const first = runOnce(s, profile, opts, false);
  if (opts.chooser !== undefined || !first.violations.some((v) => v.kind === 'invariant' || v.kind === 'deadlock')) return first;
  const again = runOnce(s, profile, { ...opts, schedule: first.schedule, clock: undefined }, true);
  if (again.divergence !== null || again.schedule !== first.schedule || again.steps !== first.steps) return first;
  return { ...first, violations: again.violations };
}

function runOnce(s: Scenario, profile: Profile, opts: RunOptions, events: boolean): RunOutcome {
  let chooser: Chooser = opts.chooser ?? new DefaultChooser();
  const sch = opts.schedule ?? null;
  let replay: ReplayChooser | null = null;
  if (sch !== null) {
    const p = parseSchedule(sch);
    if (!p.ok) throw new Error(`pinlab bug: an unchecked schedule string reached runScenario: ${p.error}`);
    chooser = replay = new ReplayChooser(p.schedule);
  }
  let checker: Checker | null = null;
  const clock = opts.clock ?? null;
  const watch = opts.watch ?? null;
  let built: World | null = null;
  const w = buildWorld(s, profile, {
    chooser,
    trace: opts.trace ?? false,
    maxSteps: opts.maxSteps ?? 100_000,
    afterStep: () => {
      if (watch !== null && built !== null) watch.step(built);
      checker?.observe();
      return false;
    },
    // The checker watches each step a lone thread still makes; its merged steps are checked at their ends.
    afterStepAllowsMerge: true,
  }, { clock, recordEvents: events || opts.chooser !== undefined || watch?.events === true, ...(opts.atomicity !== undefined ? { atomicity: opts.atomicity } : {}), faultInjection: opts.faultInjection ?? false });
  const timings = clock === null ? null : w.rs.timings;
  checker = w.checker;
  if (watch !== null && w.setupError === null) {
    built = w;
    watch.start(w);
    if (watch.opEnd !== undefined) {
      const world = w;
      const check = w.rs.opEnd;
      w.rs.opEnd = () => {
        watch.opEnd?.(world);
        if (check !== null) check();
      };
    }
  }
  const base = { scenario: s.file, profile: profile.name };
  if (w.setupError !== null) {
    return { ...base, status: 'setup-failed', problem: w.setupError, values: new Map(), outputs: new Map(), violations: [], violated: [], reports: w.m.reports.slice(), schedule: '', steps: 0, trace: null, divergence: null, reasons: new Map(), timings };
  }
  let r: RunResult = w.sched.run();
  // A run that ends before its exact (closed) schedule does also diverged from it: the schedule is for
  // another run. An open schedule (`... `) is a prefix; a profile whose run is shorter may end inside it.
  if (replay !== null && !replay.open && replay.remaining > 0 && r.status !== 'diverged') {
    const message = `replay diverged: the run ended (${r.status}) after ${r.choices.length} choices, but the schedule has ${replay.remaining} more`;
    r = { ...r, status: 'diverged', divergence: { choiceIndex: r.choices.length, step: r.steps, message } };
  }
  const tEnd = clock === null ? 0 : clock();
  const violated = w.checker.finish(r);
  const violations = w.checker.violations(r);
  if (clock !== null) w.rs.timings.push({ what: 'end-of-run checks', ms: clock() - tEnd });
  const { values, outputs } = finalValues(s, w);
  const unsup = w.m.reports.find((x) => x.kind === 'unsupported');
  const status: OutcomeStatus = unsup !== undefined ? 'unsupported' : r.status;
  return {
    ...base,
    status,
    problem: unsup !== undefined ? `${unsup.site}: ${unsup.message}` : r.divergence?.message ?? (r.status === 'step-bound' ? stepBoundProblem(r.steps) : null),
    values,
    outputs,
    violations,
    violated,
    reports: w.m.reports.slice(),
    schedule: formatSchedule(r.choices),
    steps: r.steps,
    trace: w.sched.trace,
    divergence: r.divergence?.message ?? null,
    reasons: w.rs.reasons,
    timings,
  };
}

/** What stopped a run at the step bound, and how to raise it (the CLI's --max-steps; RunOptions.maxSteps). */
export function stepBoundProblem(steps: number): string {
  return `stopped by the step bound after ${steps} scheduling steps (a livelock, or a run longer than the bound: raise it with --max-steps N)`;
}

/** A run's results (value and outputs by name) and its observations, read at the end of the run. */
export function finalValues(s: Scenario, w: World): { values: Map<string, Value>; outputs: Map<string, Readonly<Record<string, Value>>> } {
  const values = new Map<string, Value>();
  const outputs = new Map<string, Readonly<Record<string, Value>>>();
  for (const [k, v] of w.rs.results) {
    values.set(k, v.value);
    outputs.set(k, v.outputs);
  }
  for (const o of s.observe) {
    values.set(o.name, evalProbe(w.rs, w.m, o.probe, (name) => {
      const tid = w.rs.threadIds.get(name);
      return tid === undefined ? null : w.sched.view(tid).state;
    }));
  }
  return { values, outputs };
}

/**
 * A run's final values as one flat record, for the explorer's outcomes: each result
 * and observation by name, each output field of a result as `name.field`.
 */
export function outcomeValues(s: Scenario, w: World): Record<string, Value> {
  const { values, outputs } = finalValues(s, w);
  const out: Record<string, Value> = {};
  for (const k of [...values.keys()].sort()) {
    out[k] = values.get(k) as Value;
    const o = outputs.get(k);
    if (o !== undefined) for (const f of Object.keys(o).sort()) out[`${k}.${f}`] = o[f];
  }
  return out;
}

/** The flat record back as values and outputs (the inverse of outcomeValues). */
export function splitOutcome(rec: Readonly<Record<string, unknown>>): { values: Map<string, Value>; outputs: Map<string, Readonly<Record<string, Value>>> } {
  const values = new Map<string, Value>();
  const outputs = new Map<string, Record<string, Value>>();
  for (const [k, v] of Object.entries(rec)) {
    const dot = k.indexOf('.');
    if (dot < 0) {
      values.set(k, v as Value);
      continue;
    }
    const name = k.slice(0, dot);
    let o = outputs.get(name);
    if (o === undefined) outputs.set(name, (o = {}));
    o[k.slice(dot + 1)] = v as Value;
  }
  return { values, outputs };
}

// ---- exploration ---------------------------------------------------------------------------------------------

/**
 * The state key of a world outside the runtime: the memory model's fingerprint
 * (mm_fingerprint: mem_map, mms, VMAs, page tables, files, locks), VFIO/IOMMU state,
 * io_uring buffers, kernel reports, and the scenario's own state (results, progress,
 * held pins). The explorer appends each thread's position.
 */
export function worldFingerprint(w: World): string {
  const ring = w.rs.rings.map((r) => {
    const t = w.rs.processes.get(r.process);
    const f = t?.files?.fd[r.fd] ?? null;
    const ctx = (f as { private_data?: unknown } | null)?.private_data as io_ring_ctx | null | undefined;
    if (ctx === null || ctx === undefined) return `${r.fd}:-`;
    return `${r.fd}:${ctx.dead ? 1 : 0}:${ctx.refs_dying ? 1 : 0}:${ctx.nr_user_bufs}:${ctx.user?.locked_vm ?? '-'}:${(ctx.user_bufs ?? []).map((b) => (b === null ? '-' : b.bvec.join('.'))).join(',')}`;
  }).join('|');
  // A throw here is a gap in the memory model's fingerprint: a pinlab bug, never hidden.
  const mm = mm_fingerprint(w.m);
  // With the footprints' mask the progress and results are tracked per thread (thread-footprint.ts).
  return `${mm}#${vfioFingerprint(w.m)}#${iommufdFingerprint(w.m)}#${ring}#${pipe_fingerprint(w.m)}#${w.m.reports.length}:${w.m.warnedOnce.size}#${w.rs.fingerprint(!fingerprintMask.precise)}`;
}

/**
 * The scenario as an explorer target (state caching keyed by worldFingerprint). Every
 * scenario with two or more threads reports footprints, so the explorer's default
 * reduction for it is DPOR: a separable scenario (separable.ts) one class per process,
 * any other the model's own accesses (access-footprint.ts: locks exactly, the rest of
 * the world as one object). With one thread there is no order to reduce, and no
 * footprints; `footprints: false` gives a target without them (the search then reduces
 * nothing).
 */
export function scenarioTarget(s: Scenario, profile: Profile, atomicity: Atomicity = 'merged', footprints: boolean | 'locks' = true): ExploreTarget {
  const sep = separableClasses(s);
  const classOf = sep.ok && footprints === true ? sep.classOf : null;
  const access = footprints !== false && classOf === null && s.threads.length >= 2;
  return {
    invariants: INVARIANT_IDS,
    ...(classOf !== null ? { footprints: true, observes: 'per-object' as const } : {}),
    ...(access ? { footprints: true, observes: ACCESS_OBSERVES } : {}),
    start(opts: SchedOptions): ExploreRun {
      const w = buildWorld(s, profile, { ...opts, maxSteps: opts.maxSteps ?? 100_000 }, { atomicity });
      if (classOf !== null) return new SeparableRun(s, w, classOf);
      return access ? new AccessRun(s, w, footprints === 'locks') : new ScenarioRun(s, w);
    },
  };
}

/** One explorer run of a scenario (a class: one per run, methods on the prototype — PERF). */
class ScenarioRun implements ExploreRun {
  readonly sched: Sched;

  constructor(
    private readonly s: Scenario,
    private readonly w: World,
  ) {
    this.sched = w.sched;
  }

  fingerprint(): string {
    return worldFingerprint(this.w);
  }

  check(): readonly string[] {
    return this.w.checker.check();
  }

  finish(r: RunResult): readonly string[] {
    return this.w.checker.finish(r);
  }

  outcome(): RunValues {
    const values = outcomeValues(this.s, this.w);
    return { key: valueKey(values), values };
  }
}

/** A run of a separable scenario: also reports each step's footprint (separable.ts). */
class SeparableRun extends ScenarioRun {
  private readonly fp: ClassFootprints;

  constructor(s: Scenario, w: World, classOf: readonly string[]) {
    super(s, w);
    const byTid: string[] = [];
    for (const t of s.threads) {
      const tid = w.rs.threadIds.get(t.name);
      if (tid !== undefined) byTid[tid] = classOf[t.index];
    }
    this.fp = new ClassFootprints(w.m, byTid, () => w.sched.lastRan);
  }

  footprint(): readonly string[] | null {
    return this.fp.next();
  }
}

/** A run whose steps report what they did (access-footprint.ts). */
class AccessRun extends ScenarioRun {
  private readonly fp: AccessFootprints;

  /** `locksOnly`: every world object is `world` (the footprints before per-object tracking; for measurements). */
  constructor(s: Scenario, w: World, locksOnly: boolean) {
    super(s, w);
    if (locksOnly) this.fp = new AccessFootprints(w.sched, () => worldFingerprint(w), null);
    else {
      // The per-thread objects' reads go to the footprints' log (thread-footprint.ts).
      let fp: AccessFootprints | null = null;
      const read = (id: string): void => fp?.read(id);
      const extra = extraObjects([threadObjects(s, w.rs, read), counterObjects(w.m, read)]);
      this.fp = fp = new AccessFootprints(w.sched, () => worldFingerprint(w), w.m, extra);
    }
  }

  override fingerprint(): string {
    return this.fp.fingerprint();
  }

  footprint(): readonly string[] | null {
    return this.fp.next();
  }

  stepInput(): string | null {
    return this.fp.stepInput();
  }
}

export { MB };
