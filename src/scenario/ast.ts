/**
 * The parsed, validated form of a scenario file (docs/scenario-format.md).
 *
 * `parseScenario(text, file)` (parse.ts) produces a `Scenario` or a list of
 * positioned errors; build.ts turns a Scenario + Profile into a machine and threads;
 * judge.ts compares a run's outcome with `expect`. Every node that can be the subject
 * of a message carries `at` (1-based line and column in the file).
 *
 * Names (processes, mappings, files, containers, devices, results, observations) live
 * in one namespace per scenario; references are resolved and checked by the validator,
 * so consumers can trust that every `ref` names something defined.
 */
import type { InvariantId, Verdict } from '../check/ids.js';
import type { Profile } from '../profiles/index.js';
import type { OpClass, ProbeKind } from './ops.js';
import { OPS, PROBES } from './ops.js';

export type { InvariantId, Verdict } from '../check/ids.js';

export const PAGE_SIZE = 4096;

/** A position in the scenario file: 1-based line and column, 0-based offset. */
export interface Pos {
  readonly line: number;
  readonly col: number;
  readonly offset: number;
}

/** A validation message. `render` gives `file:line:col: message`. */
export interface ScenarioError {
  readonly file: string;
  readonly at: Pos;
  readonly message: string;
}

export function renderError(e: ScenarioError): string {
  return `${e.file}:${e.at.line}:${e.at.col}: ${e.message}`;
}

// ---- argument values -----------------------------------------------------------------------

/**
 * An argument as written, after syntactic checks against the op catalogue.
 * Integers are bigint so u64 arguments (VFIO sizes, wrapping iovas) are exact.
 */
export type ArgValue =
  | { readonly kind: 'int'; readonly value: bigint; readonly at: Pos }
  /** `$name` or `$name.field` (e.g. `$r.pages`, `$C`). */
  | { readonly kind: 'ref'; readonly name: string; readonly field: string | null; readonly at: Pos }
  /** `$buf + 2 pages - 0x10`: terms added with signs. */
  | { readonly kind: 'sum'; readonly terms: readonly { readonly sign: 1 | -1; readonly term: ArgValue }[]; readonly at: Pos }
  /** Flag or enum names (`PROT_READ|PROT_WRITE`); values are resolved by the model per release. */
  | { readonly kind: 'flags'; readonly names: readonly string[]; readonly at: Pos }
  | { readonly kind: 'str'; readonly value: string; readonly at: Pos }
  | { readonly kind: 'bool'; readonly value: boolean; readonly at: Pos }
  | { readonly kind: 'null'; readonly at: Pos }
  | { readonly kind: 'list'; readonly items: readonly ArgValue[]; readonly at: Pos }
  /** `{ base, len }` items of `iovecs`. */
  | { readonly kind: 'map'; readonly entries: Readonly<Record<string, ArgValue>>; readonly at: Pos };

// ---- setup ------------------------------------------------------------------------------------

export type ZoneName = 'DMA32' | 'Normal' | 'Movable';

export interface PmemRegion {
  readonly name: string;
  readonly size: bigint;
  readonly mode: 'fsdax' | 'devdax';
  readonly at: Pos;
}

export interface MemorySetup {
  /** Bytes per zone (defaults DMA32 16M, Normal 64M, Movable 0). */
  readonly zones: Readonly<Record<ZoneName, bigint>>;
  /** Bytes of CMA pageblocks (carved from Normal). */
  readonly cma: bigint;
  /** 2 MiB huge pages in the hugetlb pool at start (nr_hugepages; 0 = none). */
  readonly hugepages: number;
  /** 1 GiB huge pages in their pool at start (hugepages-1048576kB/nr_hugepages; 0 = none). */
  readonly hugepages1g: number;
  readonly pmem: readonly PmemRegion[];
}

export interface FilesystemSetup {
  readonly mount: string;
  readonly type: 'ext4' | 'tmpfs' | 'hugetlbfs';
  readonly dax: boolean;
  /** The pmem region backing a DAX file system. */
  readonly device: string | null;
  readonly at: Pos;
}

export interface FileSetup {
  readonly path: string;
  readonly name: string | null;
  readonly size: bigint;
  /** Page indexes resident in the page cache at start; null = all. */
  readonly cached: readonly number[] | null;
  readonly at: Pos;
}

export interface MappingSetup {
  readonly name: string;
  readonly addr: bigint;
  readonly length: bigint;
  readonly prot: readonly string[];
  readonly flags: readonly string[];
  readonly file: string | null;
  readonly offset: bigint;
  /** Touch every page after mmap (writes if PROT_WRITE), as MAP_POPULATE/memset would. */
  readonly populate: boolean;
  readonly at: Pos;
}

export interface ProcessSetup {
  readonly name: string;
  readonly uid: number;
  /** CAP_* names held. */
  readonly caps: readonly string[];
  /** RLIMIT_* → { cur, max } in bytes (RLIM_INFINITY = null). */
  readonly rlimits: Readonly<Record<string, { readonly cur: bigint | null; readonly max: bigint | null }>>;
  readonly comm: string;
  readonly mappings: readonly MappingSetup[];
  readonly at: Pos;
}

export type DeviceDriver = 'vfio-pci' | 'pci-stub' | 'kernel' | 'vfio-mdev';

export interface DeviceSetup {
  readonly name: string;
  /** edu: a DMA-capable PCI function behind the IOMMU; mdev: a mediated device (no IOMMU; pins through vfio_pin_pages). */
  readonly kind: 'edu' | 'mdev';
  readonly iommuGroup: number;
  /**
   * The driver an `edu` is bound to: vfio-pci (a VFIO device), pci-stub (no DMA of its
   * own: driver_managed_dma), or kernel (a host driver doing DMA through the DMA API, so
   * the IOMMU group cannot be handed to user space). Devices that declare the same
   * iommu_group share one IOMMU group. An mdev is always bound to its vendor driver.
   */
  readonly driver: DeviceDriver;
  /** Bytes of MMIO BAR 0 (no struct pages; mmap of the device fd at offset 0 maps it VM_PFNMAP); null = none. vfio-pci edu only. */
  readonly bar: bigint | null;
  readonly at: Pos;
}

export interface ContainerSetup {
  readonly name: string;
  readonly process: string;
  readonly iommu: string;
  /** Device names whose groups join the container. */
  readonly groups: readonly string[];
  readonly at: Pos;
}

export interface VfioSetup {
  readonly dmaEntryLimit: number;
  readonly containers: readonly ContainerSetup[];
}

export interface Setup {
  readonly memory: MemorySetup;
  readonly filesystems: readonly FilesystemSetup[];
  readonly files: readonly FileSetup[];
  readonly processes: readonly ProcessSetup[];
  readonly devices: readonly DeviceSetup[];
  readonly vfio: VfioSetup;
}

// ---- threads ------------------------------------------------------------------------------------

export interface Step {
  readonly op: string;
  readonly cls: OpClass;
  /** Arguments by name, defaults filled in (a default becomes a value positioned at the op). */
  readonly args: Readonly<Record<string, ArgValue>>;
  /** For `observe` steps: the probe. */
  readonly probe: Probe | null;
  readonly as: string | null;
  readonly after: string | null;
  readonly at: Pos;
}

export interface ThreadDecl {
  /** T<index> in schedules. */
  readonly index: number;
  readonly name: string;
  /** The process the thread runs as; null for a kernel thread. */
  readonly process: string | null;
  readonly steps: readonly Step[];
  readonly at: Pos;
}

// ---- observation --------------------------------------------------------------------------------

export type Probe =
  | { readonly kind: Extract<ProbeKind, 'frame' | 'zone' | 'cma' | 'refcount' | 'pincount' | 'content'>; readonly process: string; readonly addr: ArgValue; readonly at: Pos }
  | { readonly kind: Extract<ProbeKind, 'locked_vm' | 'pinned_vm' | 'holders'>; readonly process: string; readonly at: Pos }
  | { readonly kind: 'iommu'; readonly container: ArgValue; readonly iova: ArgValue; readonly at: Pos }
  | { readonly kind: 'file_size'; readonly path: string; readonly at: Pos }
  /** `thread`: `T<n>` or a thread's name. */
  | { readonly kind: 'thread'; readonly thread: string; readonly at: Pos };

export interface Observation {
  readonly name: string;
  readonly probe: Probe;
  readonly at: Pos;
}

// ---- values and expectations ----------------------------------------------------------------------

/** A run-time value of a result or observation. */
export type Value = number | bigint | string | boolean | null | readonly Value[] | { readonly [k: string]: Value };

export type Expected =
  | { readonly kind: 'lit'; readonly value: Value; readonly at: Pos }
  /** Equal to the value of another result or observation. */
  | { readonly kind: 'ref'; readonly name: string; readonly field: string | null; readonly at: Pos }
  | { readonly kind: 'cmp'; readonly op: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge'; readonly rhs: Expected; readonly at: Pos }
  | { readonly kind: 'oneof'; readonly items: readonly Expected[]; readonly at: Pos }
  | { readonly kind: 'list'; readonly items: readonly Expected[]; readonly at: Pos }
  /**
   * An outcome variable (`exists`/`forall` only): `$f0` where f0 names no result,
   * observation or mapping. Where a value must equal it (a key's whole matcher, or an
   * item of a list matcher) its first use binds it and later uses compare; in a
   * comparison or `oneof` it must be bound by such a use in the same condition.
   */
  | { readonly kind: 'var'; readonly name: string; readonly at: Pos };

/** `name`, `name.field`, with optional list indices: `r.pages[0]`. */
export interface ValuePath {
  readonly name: string;
  readonly field: string | null;
  readonly index: readonly number[];
  /** As written. */
  readonly text: string;
}

/** One condition over an outcome: every term holds (a conjunction). */
export interface Condition {
  readonly terms: readonly { readonly path: ValuePath; readonly expected: Expected; readonly at: Pos }[];
  readonly at: Pos;
}

/**
 * A litmus-style condition over the reachable outcomes: `exists` (some outcome
 * satisfies one of the alternatives) or `forall` (every outcome satisfies one of them).
 */
export interface OutcomeCondition {
  readonly kind: 'exists' | 'forall';
  /** Alternatives (a disjunction); one when written as a single mapping. */
  readonly any: readonly Condition[];
  readonly at: Pos;
}

export interface ProfileExpect {
  /** The key as written (`v5.6+hypo-longterm-honours-locked`). */
  readonly spec: string;
  readonly profile: Profile;
  /** Result/observation name → expectation. */
  readonly values: ReadonlyMap<string, Expected>;
  /** Declared verdicts; invariants not listed are expected `never`. */
  readonly invariants: ReadonlyMap<InvariantId, { readonly verdict: Verdict; readonly at: Pos }>;
  /** Kernel WARN sites expected in the values run. */
  readonly warnings: readonly string[];
  /** Kernel BUG_ON sites expected in the values run (a finding the scenario documents). */
  readonly bugs: readonly string[];
  /** `exists` / `forall` conditions over the reachable outcomes (judged by exploring). */
  readonly outcomes: readonly OutcomeCondition[];
  readonly at: Pos;
}

export interface ExploreLimits {
  readonly preemptionBound: number | null;
  readonly maxSchedules: number | null;
  /** `explore.cache`: the state cache's key (ExploreOptions.cache), null for the default (history). */
  readonly cache: 'history' | 'positions' | null;
}

export interface Scenario {
  /** Path as given (used in messages and replay commands). */
  readonly file: string;
  readonly format: 1;
  readonly question: string;
  readonly refs: readonly string[];
  readonly tags: readonly string[];
  readonly setup: Setup;
  readonly threads: readonly ThreadDecl[];
  readonly observe: readonly Observation[];
  readonly expect: readonly ProfileExpect[];
  /** Schedule string for the values run, or null for the default chooser. */
  readonly schedule: string | null;
  readonly explore: ExploreLimits;
}

// ---- conformance capability ------------------------------------------------------------------------

/**
 * Can a real-kernel test driver run this scenario step by step? (one `process:` thread,
 * only syscall/device operations, probes a driver can read). Returns null if yes, or
 * the reason it cannot.
 */
export function conformanceObstacle(s: Scenario): string | null {
  if (s.threads.length !== 1) return `${s.threads.length} threads (a driver runs one)`;
  const t = s.threads[0];
  if (t.process === null) return 'the thread is a kernel thread';
  for (const st of t.steps) {
    const spec = OPS.get(st.op);
    if (spec === undefined) return `unknown operation ${st.op}`;
    if (spec.cls === 'kernel') return `step ${st.op} is a kernel entry point (model only)`;
    if (spec.cls === 'observe' && st.probe !== null && PROBES.get(st.probe.kind)?.conformance !== true) return `probe ${st.probe.kind} cannot be read from user space`;
  }
  for (const o of s.observe) {
    if (PROBES.get(o.probe.kind)?.conformance !== true) return `probe ${o.probe.kind} (${o.name}) cannot be read from user space`;
  }
  if (s.setup.devices.some((d) => d.kind === 'mdev')) return 'an mdev device (no real one in the guest)';
  if (s.setup.devices.some((d) => d.bar !== null && d.bar !== 1n << 20n)) return "a device BAR other than 1M (the guest edu's BAR 0)";
  if (s.setup.devices.some((d) => d.driver !== 'vfio-pci' && d.kind === 'edu')) return 'a device bound to a driver other than vfio-pci (the guest has one edu, bound to vfio-pci)';
  return null;
}

export function isConformanceCapable(s: Scenario): boolean {
  return conformanceObstacle(s) === null;
}

/** All names a scenario defines, with what they are (for messages and the builder). */
export type NameKind = 'process' | 'mapping' | 'file' | 'container' | 'device' | 'result' | 'observation' | 'thread';
