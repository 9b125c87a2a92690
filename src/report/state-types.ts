/**
 * The machine state after a step of a run, as JSON: the shape `pinlab serve` returns
 * (`/api/v1/.../state`), `pinlab run --json --trace` prints under `state`, and the web
 * visualizer (web/) reads. Types only: web/ imports this file and nothing that reaches
 * src/linux. The JSON Schema is schema/state.schema.json (kept in step by a test);
 * bump STATE_SCHEMA_VERSION on any incompatible change (fields are only ever added
 * within a version).
 *
 * Addresses (virtual, iova) are hex strings `0x...` (they can exceed 2^53 in general);
 * pfns and counts are numbers.
 */

/** A thread of the run, where it is parked and what it holds. */
export interface ThreadState {
  readonly id: number;
  readonly name: string;
  readonly state: 'runnable' | 'blocked' | 'done';
  /** The scheduling point it is parked at (`mm/gup.c:__get_user_pages:cond_resched`), `<start>` or `<exit>`. */
  readonly label: string;
  /** Why it is blocked (`rwsem-write mmap_lock(mm#1)`), else null. */
  readonly reason: string | null;
  readonly held: readonly { readonly lock: string; readonly mode: string }[];
  /** Index of the scenario step it runs (steps.length when finished). */
  readonly scenarioStep: number;
  /** The operation of that step, null when finished. */
  readonly op: string | null;
  /** Modelled kernel function frames, outermost first (from the trace's call/ret events). */
  readonly frames: readonly string[];
}

/** A run of consecutive page-table entries mapping consecutive frames with the same bits. */
export interface PteRun {
  readonly vaddr: string;
  readonly pages: number;
  /** First frame of the run. */
  readonly pfn: number;
  /** Page-table level of the entries: 4 KiB PTEs, 2 MiB PMD leaves, 1 GiB PUD leaves. */
  readonly level: 'pte' | 'pmd' | 'pud';
  /** Entry bits: present, write, dirty, young, special, devmap. */
  readonly bits: readonly string[];
}

export interface VmaState {
  readonly id: number;
  readonly start: string;
  /** Exclusive. */
  readonly end: string;
  /** VM_* names. */
  readonly flags: readonly string[];
  /** Path of the mapped file, null for anonymous memory. */
  readonly file: string | null;
  readonly pgoff: number;
  /** vm_ops name (`ext4_file`, `dax`, `shmem`, ...), null when none. */
  readonly ops: string | null;
  /** Pages mapped by present entries. */
  readonly mapped: number;
  readonly ptes: readonly PteRun[];
  /** True when `ptes` was cut at its limit (the counts stay exact). */
  readonly ptesTruncated: boolean;
}

export interface ProcessState {
  /** Scenario name of the process. */
  readonly name: string;
  readonly pid: number;
  readonly comm: string;
  readonly exited: boolean;
  readonly mm: {
    readonly id: number;
    /** Pages. */
    readonly lockedVm: number;
    readonly pinnedVm: number;
    readonly totalVm: number;
    /** RLIMIT_MEMLOCK soft limit in pages; null = unlimited. */
    readonly memlockLimit: number | null;
    /** The task has CAP_IPC_LOCK (VFIO does not enforce the limit then). */
    readonly capIpcLock: boolean;
    readonly vmas: readonly VmaState[];
  } | null;
}

/** Who holds a reference or pin on a frame. */
export interface Holder {
  readonly holder: string;
  readonly kind: 'pin' | 'ref' | 'longterm-pin';
  /** The step at which the latest pin/reference event on this frame happened, null if unknown. */
  readonly since: number | null;
}

/** One history event of a frame (the model's object events). */
export interface FrameEvent {
  readonly seq: number;
  /** The scheduling step during which it happened (0 = set-up). */
  readonly step: number;
  readonly thread: number | null;
  readonly what: string;
  readonly fn: string;
}

/** A folio (a head frame and its order) as a card. */
export interface FrameCard {
  readonly pfn: number;
  readonly order: number;
  readonly zone: string;
  /** Memory kind of the region: ram, fsdax, devdax, bar. */
  readonly kind: string;
  readonly cma: boolean;
  readonly movable: boolean;
  readonly refcount: number;
  readonly mapcount: number;
  readonly pincount: number;
  readonly flags: readonly string[];
  /** Content tag (`f:3` = page 3 of file f, '' = zero-filled). */
  readonly content: string;
  readonly holders: readonly Holder[];
  readonly history: readonly FrameEvent[];
}

/** A page of frame cards (frames are listed in pfn order, never all at once). */
export interface FramePage {
  /** Frames matching the filter. */
  readonly total: number;
  readonly offset: number;
  readonly limit: number;
  readonly filter: FrameFilter;
  readonly items: readonly FrameCard[];
}

export type FrameFilter = 'all' | 'held' | 'mapped' | 'fsdax';

export interface ZoneState {
  readonly name: string;
  readonly present: number;
  readonly free: number;
  readonly freeCma: number;
}

/** A run of IOMMU entries: iova → frame, and the frame the process maps at the same vaddr. */
export interface IommuRun {
  readonly iova: string;
  readonly vaddr: string;
  readonly pages: number;
  readonly iommuPfn: number;
  /** Frame the process maps at vaddr now; null when unmapped (or the mm is gone). */
  readonly processPfn: number | null;
  /** The device and the process see the same frames. */
  readonly coherent: boolean;
}

export interface IommuMapping {
  /** The container's vfio_iommu id. */
  readonly container: number;
  readonly iova: string;
  readonly vaddr: string;
  readonly size: string;
  readonly pid: number;
  readonly mapped: boolean;
  readonly runs: readonly IommuRun[];
  readonly runsTruncated: boolean;
}

export interface MachineState {
  readonly version: number;
  readonly scenario: string;
  readonly profile: string;
  /** The schedule string of the run this state belongs to. */
  readonly schedule: string;
  /** Scheduling steps taken (0 = after set-up, before any thread ran). */
  readonly step: number;
  /** The thread that ran the latest step, null at step 0. */
  readonly ran: number | null;
  readonly threads: readonly ThreadState[];
  readonly processes: readonly ProcessState[];
  readonly zones: readonly ZoneState[];
  readonly frames: FramePage;
  readonly iommu: readonly IommuMapping[];
  /** Invariants violated at or before this step. */
  readonly violated: readonly string[];
  readonly reports: readonly { readonly kind: string; readonly site: string; readonly message: string }[];
  /** Named step results so far (`as:` names), JSON values. */
  readonly results: Readonly<Record<string, unknown>>;
}

/** One changed field: old and new value. */
export interface FieldChange {
  readonly field: string;
  readonly from: unknown;
  readonly to: unknown;
}

/** What changed between the states after two steps of one run (or two runs). */
export interface StateDiff {
  readonly version: number;
  readonly from: number;
  readonly to: number;
  readonly threads: readonly { readonly id: number; readonly changes: readonly FieldChange[] }[];
  /** Frames added (allocated), removed (freed) or changed; keyed by head pfn. */
  readonly frames: readonly { readonly pfn: number; readonly change: 'added' | 'removed' | 'changed'; readonly changes: readonly FieldChange[] }[];
  readonly processes: readonly { readonly name: string; readonly changes: readonly FieldChange[] }[];
  readonly vmas: readonly { readonly id: number; readonly process: string; readonly change: 'added' | 'removed' | 'changed'; readonly changes: readonly FieldChange[] }[];
  readonly iommu: readonly { readonly iova: string; readonly change: 'added' | 'removed' | 'changed' }[];
  readonly violated: readonly string[];
  readonly results: readonly string[];
  /** True when a list was too long to compare whole (frames beyond the diff limit). */
  readonly truncated: boolean;
}

/** One scheduling step of a run, as the swim lanes show it. */
export interface LaneStep {
  readonly step: number;
  readonly thread: number;
  /** How the step ended: the thread parked at a point, blocked, or exited. */
  readonly end: 'point' | 'block' | 'exit';
  readonly label: string;
  /** Trace events during the step (call, ret, choose, note, signal, batch events of the trace schema). */
  readonly events: readonly { readonly kind: string; readonly thread: number; readonly fn?: string; readonly label?: string; readonly text?: string; readonly chosen?: string; readonly args?: unknown; readonly result?: unknown; readonly points?: number; readonly data?: unknown }[];
}

/** `POST /api/v1/runs` / `GET /api/v1/runs/:id`: a run session. */
export interface RunSummary {
  readonly id: string;
  /** What `pinlab run --json --trace` prints for the run (trace-json.ts runJson). */
  readonly run: {
    readonly version: number;
    readonly scenario: string;
    readonly profile: string;
    readonly status: string;
    readonly problem: string | null;
    readonly schedule: string;
    readonly steps: number;
    readonly values: Readonly<Record<string, unknown>>;
    readonly violated: readonly string[];
    readonly divergence: string | null;
  };
  readonly lanes: readonly LaneStep[];
  readonly threads: readonly { readonly name: string; readonly process: string | null; readonly steps: readonly string[] }[];
}

/** Versions of the serve API and of the state JSON. */
export const STATE_SCHEMA_VERSION = 1;
export const API_VERSION = 'v1';
