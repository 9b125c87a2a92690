/**
 * The model-based fuzz campaign (issue #16 "Keep it true" 2): fast-check generates whole
 * scenario files — a set-up, one or two threads of syscalls, ioctls and kernel entry
 * points from the operation catalogue (src/scenario/ops.ts), with hostile arguments
 * (unaligned, huge, negative, 2^53 and 2^64-1 addresses and sizes, unknown flag bits,
 * dangling references) — as YAML text, and each one goes through the whole pipeline:
 * parse and validate, build, run under a seeded random schedule, replay.
 *
 * Properties (checkCase):
 * - no JavaScript exception anywhere (a pinlab bug), and every rejected file gets
 *   positioned messages;
 * - no hang: every run ends within the step bound (`step-bound` is a finding, reported);
 * - determinism: replaying the run's schedule string gives a byte-identical trace;
 * - invariants hold on the fixed profile (v6.12, the newest release: every bug the
 *   corpus documents is fixed there), except deadlocks the scenario itself makes
 *   (a thread waiting on a result another thread never produces is the scenario's doing).
 * A failing case makes fast-check print its seed and path (replayable with
 * PINLAB_FUZZ_SEED / fc's `path`) and the shrunk scenario, which checkCase includes as YAML.
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { OPS, OP_NAMES } from '../../src/scenario/ops.js';
import type { ArgSpec } from '../../src/scenario/ops.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { renderError } from '../../src/scenario/ast.js';
import { runScenario } from '../../src/scenario/run.js';
import { RandomChooser } from '../../src/explore/choosers.js';
import { resolveProfile } from '../../src/profiles/index.js';
import type { Profile } from '../../src/profiles/index.js';

/** Interesting integers: page-aligned and not, zero, negative, beyond 2^53, u64 max, the MSI window. */
const HOSTILE_INTS: readonly (number | string)[] = [
  0, 1, 4095, 4096, 8192, '2 pages', '4 pages', '2M', 0x100000, 0x200000, 0x10000, -1, -4096,
  0xfee00000, 2 ** 32, 2 ** 47, 2 ** 53, '0xffffffffffffffff', '0x7ffffffff000', '0x10000000000000000', 1e6,
];

export interface FuzzCase {
  readonly yaml: string;
  readonly profile: string;
  readonly seed: number;
}


function intArb(refs: readonly string[]): fc.Arbitrary<number | string> {
  return fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...refs) },
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_INTS) },
    { weight: 1, arbitrary: fc.constantFrom(...refs).chain((r) => fc.constantFrom(`${r} + 4096`, `${r} + 1`, `${r} + 2M`)) },
    { weight: 1, arbitrary: fc.integer({ min: -5, max: 70_000 }) },
  );
}

/** What a step's arguments may name: mappings, earlier results with pages, devices, threads. */
interface Ctx {
  readonly refs: readonly string[];
  readonly pageResults: readonly string[];
  readonly devices: readonly string[];
  readonly threads: readonly string[];
}

/** Mostly valid names; one time in ten a name the validator must reject with a positioned message. */
function named(valid: readonly string[], hostile: string): fc.Arbitrary<string> {
  return fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...valid) }, { weight: 1, arbitrary: fc.constant(hostile) });
}

function argArb(spec: ArgSpec, cx: Ctx): fc.Arbitrary<unknown> {
  const t = spec.type;
  const refs = cx.refs;
  switch (t.kind) {
    case 'int':
      return intArb(refs);
    case 'flags':
      return fc.oneof(
        { weight: 12, arbitrary: fc.subarray([...t.names], { minLength: 1, maxLength: 3 }).map((xs) => xs.join('|')) },
        { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xffff }) },
        { weight: 1, arbitrary: fc.constant(`${t.names[0]}|BOGUS_FLAG`) },
      );
    case 'enum':
      return fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...t.names) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 300 }) });
    case 'process':
      return named(['P'], 'Nobody');
    case 'new-process':
      return fc.constantFrom('Q', 'R');
    case 'device':
      return named(cx.devices, 'nodev');
    case 'thread':
      return named(cx.threads, 'T7');
    case 'path':
      return named(['/dev/vfio/vfio', '/dev/vfio/5', '/dev/vfio/99', '/mnt/ext4/f'], '/mnt/ext4/missing');
    case 'bool':
      return fc.boolean();
    case 'string':
      return fc.constantFrom('buf', '', 'x'.repeat(300));
    case 'content':
      return fc.constantFrom('data', 'z', '');
    case 'pages':
      return named(cx.pageResults.length === 0 ? ['$nothing.pages'] : cx.pageResults.map((r) => `$${r}.pages`), '$buf.pages');
    case 'iovecs':
      return fc.array(fc.record({ base: intArb(refs), len: intArb(refs) }), { minLength: 0, maxLength: 3 });
    case 'caps':
      return fc.subarray(['CAP_IPC_LOCK', 'CAP_SYS_ADMIN', 'CAP_SYS_RESOURCE'], { minLength: 1 });
    default: {
      const never: never = t;
      return never;
    }
  }
}

/** The operations a generated step may use (all of the catalogue but `observe` and `exit`, which end a thread). */
const STEP_OPS = OP_NAMES.filter((o) => o !== 'observe' && o !== 'exit');

/** One step: an operation from the catalogue with generated arguments (optional ones sometimes left to their defaults). */
function stepArb(op: string, cx: Ctx, name: string): fc.Arbitrary<Record<string, unknown>> {
  const spec = OPS.get(op);
  if (spec === undefined) throw new Error(`no op ${op}`);
  const fields: Record<string, fc.Arbitrary<unknown>> = {};
  for (const a of spec.args) fields[a.name] = argArb(a, cx);
  return fc.record(fields, { requiredKeys: spec.args.filter((a) => a.dflt === undefined).map((a) => a.name) })
    .map((args) => ({ [op]: args, as: name }));
}

/** A thread's steps: the operations first, then arguments that may name earlier results of the same thread. */
function threadArb(t: number, cx: Omit<Ctx, 'pageResults'>): fc.Arbitrary<Record<string, unknown>[]> {
  return fc.array(fc.constantFrom(...STEP_OPS), { minLength: 1, maxLength: 6 }).chain((ops) => {
    const steps = ops.map((op, i) => {
      const pageResults = ops.slice(0, i).flatMap((o, j) => ((OPS.get(o)?.outputs ?? []).includes('pages') ? [`t${t}s${j}`] : []));
      return stepArb(op, { ...cx, pageResults }, `t${t}s${i}`);
    });
    return fc.tuple(...steps).map((xs) => [...xs]);
  });
}

const SETUP_MAPPINGS = [
  { name: 'buf', length: '4 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS' },
  { name: 'thp', addr: 0x40000000, length: '2M', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' },
  { name: 'shm', length: '2 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_SHARED|MAP_ANONYMOUS' },
  { name: 'file', length: '2 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_SHARED', file: '/mnt/ext4/f' },
];

/** A whole scenario: set-up variant, one or two threads of 1–6 steps. */
export function caseArb(profiles: readonly string[]): fc.Arbitrary<FuzzCase> {
  return fc.record({
    cma: fc.boolean(),
    caps: fc.constantFrom<readonly string[] | null>(null, [], ['CAP_IPC_LOCK']),
    memlock: fc.constantFrom<string | null>(null, '16K', '8M'),
    mdev: fc.boolean(),
    mappings: fc.subarray(SETUP_MAPPINGS, { minLength: 1 }),
    nthreads: fc.integer({ min: 1, max: 2 }),
    profile: fc.constantFrom(...profiles),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  }).chain((c) => {
    const cx = {
      refs: ['$C', ...c.mappings.map((m) => `$${m.name}`)],
      devices: c.mdev ? ['edu0', 'mdev0'] : ['edu0'],
      threads: Array.from({ length: c.nthreads }, (_, i) => `T${i}`),
    };
    const thread = (t: number): fc.Arbitrary<Record<string, unknown>[]> => threadArb(t, cx);
    return fc.tuple(...Array.from({ length: c.nthreads }, (_, t) => thread(t))).map((threads): FuzzCase => {
      const doc = {
        question: 'fuzz',
        setup: {
          memory: c.cma ? { zones: { DMA32: '16M', Normal: '8M' }, cma: '8M' } : { zones: { DMA32: '16M', Normal: '32M' } },
          filesystems: [{ mount: '/mnt/ext4', type: 'ext4' }, { mount: '/dev/shm', type: 'tmpfs' }],
          files: [{ path: '/mnt/ext4/f', size: '4 pages' }],
          processes: [{
            name: 'P',
            ...(c.caps !== null ? { uid: 1000, caps: c.caps } : {}),
            ...(c.memlock !== null ? { rlimits: { RLIMIT_MEMLOCK: c.memlock } } : {}),
            mappings: c.mappings,
          }],
          devices: [{ name: 'edu0', kind: 'edu', iommu_group: 5 }, ...(c.mdev ? [{ name: 'mdev0', kind: 'mdev' }] : [])],
          vfio: { containers: [{ name: 'C', process: 'P', groups: c.mdev ? ['edu0', 'mdev0'] : ['edu0'] }] },
        },
        threads: threads.map((steps) => ({ process: 'P', steps })),
        expect: { [c.profile]: { values: {} } },
      };
      return { yaml: stringify(doc), profile: c.profile, seed: c.seed };
    });
  });
}

export interface CaseStats {
  rejected: number;
  done: number;
  deadlock: number;
  stepBound: number;
  unsupported: number;
  setupFailed: number;
  violations: number;
  /** Runs on the fixed profile whose invariants were required to hold. */
  fixedChecked: number;
}

export function newStats(): CaseStats {
  return { rejected: 0, done: 0, deadlock: 0, stepBound: 0, unsupported: 0, setupFailed: 0, violations: 0, fixedChecked: 0 };
}

/**
 * Invariants that may fire on the fixed profile only because the generated scenario made them
 * (offline-progress: a memory offline waiting on a page the scenario keeps referenced).
 */
const SCENARIO_MADE = new Set(['deadlock', 'offline-progress']);

/**
 * Operations by which a scenario changes what its own addresses map while a device or an
 * io_uring buffer holds the old frames (munmap / mremap / MADV_DONTNEED / MADV_REMOVE / a
 * MAP_FIXED mmap / a hole punch or truncate of the file): the kernel keeps the pin and
 * the process sees new memory, so dma-coherent-with-process then reports what the
 * scenario did, not a kernel bug (scenarios/addrspace/ shows each on v6.12).
 */
const ADDRSPACE_OPS = ['munmap', 'mremap', 'madvise', 'mmap', 'fallocate', 'ftruncate'];

/**
 * Kernel-internal release calls a scenario can misuse as no user space can (unpin what
 * was only referenced, put a page twice, unpin what the driver never pinned): the
 * kernel's own caller bug, which refcount-sane and pin-balance-at-exit then rightly
 * report. The fixed-profile invariant property covers the scenarios without them.
 */
const CALLER_BUG_OPS = ['unpin_user_pages', 'put_pages', 'vfio_unpin_pages'];

/** Step bound of a fuzz run: generated scenarios are at most 12 steps. */
export const FUZZ_MAX_STEPS = 20_000;

const profileCache = new Map<string, Profile>();
function profileOf(spec: string): Profile {
  let p = profileCache.get(spec);
  if (p === undefined) {
    const r = resolveProfile(spec);
    if (!r.ok) throw new Error(r.error.message);
    p = r.profile;
    profileCache.set(spec, p);
  }
  return p;
}

/** Check one generated case; throws (with the scenario text) when a property fails. */
export function checkCase(c: FuzzCase, fixed: ReadonlySet<string>, stats: CaseStats): void {
  const fail = (what: string): never => {
    throw new Error(`${what}\n--- scenario (profile ${c.profile}, schedule seed ${c.seed}) ---\n${c.yaml}`);
  };
  const p = parseScenario(c.yaml, 'fuzz.yaml');
  if (!p.ok) {
    stats.rejected++;
    for (const e of p.errors) if (!/^fuzz\.yaml:\d+:\d+: /.test(renderError(e))) fail(`unpositioned error: ${renderError(e)}`);
    return;
  }
  const profile = profileOf(c.profile);
  const o = runScenario(p.scenario, profile, { chooser: new RandomChooser(c.seed), trace: true, maxSteps: FUZZ_MAX_STEPS });
  switch (o.status) {
    case 'setup-failed':
      stats.setupFailed++;
      return;
    case 'unsupported':
      stats.unsupported++;
      break;
    case 'done':
      stats.done++;
      break;
    case 'deadlock':
      stats.deadlock++;
      break;
    case 'step-bound':
      stats.stepBound++;
      fail(`no progress: the run hit the step bound (${FUZZ_MAX_STEPS} steps)`);
      break;
    default:
      fail(`run ended ${o.status}: ${o.problem ?? ''}`);
  }
  const again = runScenario(p.scenario, profile, { schedule: o.schedule, trace: true, maxSteps: FUZZ_MAX_STEPS });
  if (again.divergence !== null) fail(`replay of '${o.schedule}' diverged: ${again.divergence}`);
  if (JSON.stringify(again.trace) !== JSON.stringify(o.trace)) fail(`replay of '${o.schedule}' gave a different trace`);
  if (o.violated.length > 0) stats.violations++;
  const callerBug = p.scenario.threads.some((t) => t.steps.some((st) => CALLER_BUG_OPS.includes(st.op)));
  if (fixed.has(c.profile) && o.status !== 'unsupported' && !callerBug) {
    stats.fixedChecked++;
    const remaps = p.scenario.threads.some((t) => t.steps.some((st) => ADDRSPACE_OPS.includes(st.op)));
    const bad = o.violated.filter((v) => !SCENARIO_MADE.has(v) && !(remaps && v === 'dma-coherent-with-process'));
    if (bad.length > 0) fail(`invariant violated on the fixed profile ${c.profile}: ${bad.join(', ')} (schedule '${o.schedule}')`);
  }
}

export { fc };
