/**
 * Fault injection, one failure at a time (the kernel's fail-nth, as
 * tools/testing/selftests/iommu/iommufd_fail_nth.c drives it): run the target with
 * its failure points on, fail the n-th failable call and let every other one succeed,
 * for n = 1, 2, ... until a run makes fewer than n failable calls.
 *
 * The chooser wraps another one (the default strategy, or a replay) for thread picks
 * and for data choices that are not failure points, and answers the failure points
 * (include/linux/fault_inject.ts FAILPOINTS) itself: `fail` (index 1) at the n-th,
 * `ok` (0) elsewhere. The choices land in the run's schedule string like any other,
 * so a run it made replays byte for byte with fault injection on.
 */
import { isFailpoint } from '../linux/include/linux/fault_inject.js';
import type { Chooser, PickContext, ThreadId } from '../sched/index.js';
import { DefaultChooser } from '../sched/index.js';

export class FailNthChooser implements Chooser {
  private calls = 0;
  /** The label of the failure point that was failed, once it was. */
  failed: string | null = null;

  constructor(private readonly n: number, private readonly inner: Chooser = new DefaultChooser()) {
    if (!Number.isInteger(n) || n < 1) throw new Error(`pinlab bug: fail-nth ${n} (must be an integer ≥ 1)`);
  }

  /** Failable calls seen so far in this run. */
  get failable(): number {
    return this.calls;
  }

  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    return this.inner.pickThread(enabled, ctx);
  }

  pickData(label: string, n: number, thread: ThreadId, ctx: PickContext): number {
    if (!isFailpoint(label)) return this.inner.pickData(label, n, thread, ctx);
    this.calls++;
    if (this.calls !== this.n) return 0;
    this.failed = label;
    return 1;
  }
}

/** One run of a fail-nth campaign, as the caller's runner reports it. */
export interface FailNthRun<R> {
  /** The n of this run (1-based). */
  readonly nth: number;
  /** The failure point failed in this run (null: the run made fewer than n failable calls). */
  readonly failpoint: string | null;
  /** Failable calls the run made. */
  readonly failable: number;
  readonly result: R;
}

export interface FailNthResult<R> {
  /** Runs that failed a call, n = 1..; `complete` when a run made fewer than n failable calls. */
  readonly runs: readonly FailNthRun<R>[];
  /** False when `maxNth` stopped the campaign before it ran out of failure points. */
  readonly complete: boolean;
  /** Failable calls of the run without any injected failure (n = 0). */
  readonly failable: number;
}

/**
 * Run `runOnce(chooser)` for n = 1, 2, ...: each run fails its n-th failable call.
 * Stops after the first run that did not reach its n-th call (its result is dropped:
 * it is the unfailed run) or after `maxNth` runs (then `complete` is false).
 */
export function failNth<R>(runOnce: (chooser: FailNthChooser) => R, maxNth = 10_000): FailNthResult<R> {
  const runs: FailNthRun<R>[] = [];
  for (let n = 1; n <= maxNth; n++) {
    const c = new FailNthChooser(n);
    const result = runOnce(c);
    if (c.failed === null) return { runs, complete: true, failable: c.failable };
    runs.push({ nth: n, failpoint: c.failed, failable: c.failable, result });
  }
  return { runs, complete: false, failable: runs.length === 0 ? 0 : runs[runs.length - 1].failable };
}
