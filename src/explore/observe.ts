/** Collecting the invariants a step or a finished run violates. */
import type { RunResult } from '../sched/index.js';
import type { ExploreRun } from './types.js';

const NONE: readonly string[] = [];

/** Target checks plus the runtime's own findings, read incrementally. */
export class Observer {
  private seen = 0;

  constructor(private readonly run: ExploreRun) {}

  /** Skip the runtime findings so far (a replayed prefix already accounted for them). */
  skip(): void {
    this.seen = this.run.sched.violations.length;
  }

  /** Invariants violated after a step (empty array shared; do not mutate). */
  step(): readonly string[] {
    const own = this.run.check();
    const sv = this.run.sched.violations;
    if (sv.length === this.seen) return own;
    return this.merge(own);
  }

  /** Invariants violated by a run that ended: finish() and runtime findings (deadlock). */
  end(r: RunResult): readonly string[] {
    const own = r.status === 'done' || r.status === 'deadlock' ? (this.run.finish?.(r) ?? NONE) : NONE;
    const sv = this.run.sched.violations;
    if (sv.length === this.seen) return own;
    return this.merge(own);
  }

  private merge(own: readonly string[]): readonly string[] {
    const out = [...own];
    const sv = this.run.sched.violations;
    for (let i = this.seen; i < sv.length; i++) if (!out.includes(sv[i].kind)) out.push(sv[i].kind);
    this.seen = sv.length;
    return out;
  }
}

export const EMPTY: readonly string[] = NONE;
