/**
 * The scenario-level state of one run: results kept under `as:` names, each thread's
 * progress, the processes and mappings set-up created, and the pins the scenario's
 * own GUP steps hold until it releases them. It lives beside the Machine (one per
 * run) and is part of the state fingerprint.
 */
import type { ErrnoReason } from '../linux/errno_reason.js';
import type { HeldPin, LongtermPin } from '../check/invariants.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import type { ThreadId } from '../sched/index.js';
import type { Value } from './ast.js';
import type { DeviceState } from './build-vfio.js';

export interface StepResult {
  readonly value: Value;
  /** Output fields (`pages`, `size`, `pid`). */
  readonly outputs: Readonly<Record<string, Value>>;
}

/** Pins taken by a scenario step and not yet released (`unpin_user_pages: { pages: $r.pages }`). */
export interface ScenarioHold {
  readonly result: string;
  readonly pfns: readonly number[];
  readonly kind: 'pin' | 'ref';
  readonly longterm: boolean;
  readonly thread: ThreadId;
}

/** The wall time of one step (`pinlab run --timings`). */
export interface StepTiming {
  /** `set-up`, `T0 step 2 VFIO_IOMMU_MAP_DMA`, `end-of-run checks`. */
  readonly what: string;
  readonly ms: number;
}

export class RunState {
  readonly results = new Map<string, StepResult>();
  /** Why a named result is an errno: the kernel check that returned it (errno_reason.ts; not in the fingerprint). */
  readonly reasons = new Map<string, ErrnoReason>();
  /** Per thread: index of the step running (steps.length when done). */
  readonly progress: number[];
  readonly processes = new Map<string, task_struct>();
  /** Mapping name → start address. */
  readonly mappings = new Map<string, number>();
  /** Container name → its fd in its process. */
  readonly containers = new Map<string, { readonly fd: number; readonly process: string }>();
  readonly holds: ScenarioHold[] = [];
  /** Devices by scenario name. */
  readonly devices = new Map<string, DeviceState>();
  /** Group fds opened by set-up, by device name. */
  readonly groupFds = new Map<string, number>();
  /** mdev external pins the vendor driver holds: `<device>@<iova>` → count. */
  readonly mdevPins = new Map<string, number>();
  /** io_uring ring fds created by steps: process task pid and fd. */
  readonly rings: { readonly process: string; readonly fd: number }[] = [];
  /** Some step registered io_uring buffers (their locked_vm charges are not tracked by the checker). */
  usesIoUring = false;
  /** Thread name or `T<n>` → thread id. */
  readonly threadIds = new Map<string, ThreadId>();
  /** Processes whose fork failed (an injected allocation failure): their threads run no step. */
  readonly failedForks = new Set<string>();
  /**
   * `pinlab run --timings`: a wall clock in ms supplied by the caller (the model never
   * reads one), and the wall time of each step from its start to its end (other
   * threads' steps in between included). Not part of the state.
   */
  clock: (() => number) | null = null;
  /**
   * Called when a scenario operation returned and the thread goes on in the same step
   * (buildWorld: the checker's `opEnd`): the world between two operations is a state
   * the invariants must see even where no scheduling point separates them.
   */
  opEnd: (() => void) | null = null;
  readonly timings: StepTiming[] = [];

  constructor(nthreads: number) {
    this.progress = new Array<number>(nthreads).fill(0);
  }

  longtermPins(): LongtermPin[] {
    const out: LongtermPin[] = [];
    for (const h of this.holds) {
      if (!h.longterm) continue;
      for (const pfn of h.pfns) out.push({ pfn, holder: `T${h.thread} result '${h.result}'`, thread: h.thread });
    }
    return out;
  }

  heldPins(): HeldPin[] {
    const out: HeldPin[] = [];
    for (const h of this.holds) for (const pfn of h.pfns) out.push({ pfn, holder: `result '${h.result}'`, kind: h.kind });
    return out;
  }

  /**
   * A stable description for the state fingerprint. `threads` false leaves out the progress
   * and the results (the explorer's footprints track them per thread: threadValue()).
   */
  fingerprint(threads = true): string {
    // PERF: the same text as joining, with ';', the progress, each result (by name) as
    // `name=<value><outputs>`, the holds and the mdev pins. A stored result's text is
    // computed once (results are immutable once stored), the sorted names once per change.
    let out = '';
    const res = this.results;
    if (threads) {
      const pr = this.progress;
      out = pr.length > 0 ? `${pr[0]}` : '';
      for (let i = 1; i < pr.length; i++) out += `,${pr[i]}`;
    }
    if (threads && res.size > 0) {
      let keys = this.fpKeys;
      let ok = keys.length === res.size;
      if (ok) for (const k of keys) if (!res.has(k)) ok = false;
      if (!ok) {
        keys = [...res.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
        this.fpKeys = keys;
      }
      for (const k of keys) out += `;${this.resultText(k, res.get(k) as StepResult)}`;
    }
    out += ';';
    const holds = this.holds;
    for (let i = 0; i < holds.length; i++) out += `${i > 0 ? '|' : ''}${holds[i].result}:${holds[i].pfns.join('.')}`;
    out += ';';
    if (this.mdevPins.size > 0) out += [...this.mdevPins.entries()].sort().map(([k, n]) => `${k}=${n}`).join('|');
    return out;
  }

  /**
   * The part of the state thread `index` alone writes: its progress and the results named
   * `names` (the `as:` names of its steps), for the explorer's per-thread footprint objects.
   */
  threadValue(index: number, names: readonly string[]): string {
    let out = `${this.progress[index]}`;
    for (const k of names) {
      const r = Map.prototype.get.call(this.results, k) as StepResult | undefined;
      if (r !== undefined) out += `;${this.resultText(k, r)}`;
    }
    return out;
  }

  /** The text of stored result `k` (cached: results are immutable once stored). */
  private resultText(k: string, r: StepResult): string {
    let c = this.fpTexts.get(k);
    if (c === undefined || c.r !== r) {
      c = { r, text: `${k}=${valueKey(r.value)}${Object.keys(r.outputs).length > 0 ? valueKey(r.outputs) : ''}` };
      this.fpTexts.set(k, c);
    }
    return c.text;
  }

  /** fingerprint() caches: result names in sorted order, and each result's text with the result it was made from. */
  private fpKeys: string[] = [];
  private readonly fpTexts = new Map<string, { readonly r: StepResult; readonly text: string }>();
}

/** A canonical string for a value (bigint-safe, key-sorted). */
export function valueKey(v: Value | Readonly<Record<string, Value>>): string {
  if (v === null) return 'null';
  if (typeof v === 'bigint') return `${v}n`;
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return `[${v.map((x) => valueKey(x as Value)).join(',')}]`;
  const o = v as Readonly<Record<string, Value>>;
  return `{${Object.keys(o).sort().map((k) => `${k}:${valueKey(o[k])}`).join(',')}}`;
}
