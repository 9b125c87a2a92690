/** Test harness for the mm model: build a machine, run kernel paths as a task. */
import { profileOrThrow } from '../../../../src/profiles/index.js';
import type { Chooser, KThread, RunResult, ThreadId } from '../../../../src/sched/index.js';
import { DefaultChooser, Sched } from '../../../../src/sched/index.js';
import { Kctx } from '../../../../src/linux/kctx.js';
import { Machine } from '../../../../src/linux/machine.js';
import type { MemoryLayout } from '../../../../src/linux/include/linux/mm_types.js';
import type { task_struct } from '../../../../src/linux/include/linux/sched.js';
import type { TaskOptions } from '../../../../src/linux/kernel/fork.js';
import { createTask } from '../../../../src/linux/kernel/fork.js';

export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;

export function machine(profile = 'v6.1', layout?: MemoryLayout): Machine {
  return new Machine(profileOrThrow(profile), layout);
}

export function task(m: Machine, opts: Partial<TaskOptions> = {}): task_struct {
  return createTask(m, { comm: 'test', ...opts });
}

/** A chooser that answers data choices by label from a table (default 0) and runs threads in order. */
export class TableChooser implements Chooser {
  readonly seen: string[] = [];
  constructor(private readonly data: Readonly<Record<string, number>> = {}) {}
  pickThread(enabled: readonly ThreadId[], ctx: { last: ThreadId | null; lastEnabled: boolean }): ThreadId {
    if (ctx.last !== null && ctx.lastEnabled) return ctx.last;
    return enabled[0];
  }
  pickData(label: string): number {
    this.seen.push(label);
    return this.data[label] ?? 0;
  }
}

/** Switches to the next enabled thread at every scheduling point (data choices: option 0). */
export class RoundRobinChooser implements Chooser {
  pickThread(enabled: readonly ThreadId[], ctx: { last: ThreadId | null }): ThreadId {
    if (ctx.last === null) return enabled[0];
    const next = enabled.find((t) => t > (ctx.last as number));
    return next ?? enabled[0];
  }
  pickData(): number {
    return 0;
  }
}

export interface Thread<T> {
  readonly t: task_struct;
  readonly body: (k: Kctx) => KThread<T>;
}

/** Run threads to completion; returns the run result and each thread's return value. */
export function run(m: Machine, threads: readonly Thread<unknown>[], chooser: Chooser = new DefaultChooser()): { r: RunResult; results: unknown[] } {
  // Traced and watched after every step (a hook that never stops the run): no thread is ever
  // alone, so these tests see the page-by-page paths.
  const s = new Sched({ chooser, trace: true, afterStep: () => false });
  m.sched = s;
  const results: unknown[] = [];
  threads.forEach((th, i) => {
    s.spawn(`T${i}`, (tid) => {
      const k = new Kctx(m, s, tid, th.t);
      return (function* () {
        const v = yield* th.body(k);
        results[i] = v;
        return v;
      })();
    });
  });
  const r = s.run();
  m.sched = null;
  return { r, results };
}

/** Run one kernel path as task `t`; returns its value (fails the test if the run did not finish). */
export function runAs<T>(m: Machine, t: task_struct, body: (k: Kctx) => KThread<T>, chooser?: Chooser): T {
  const { r, results } = run(m, [{ t, body }], chooser);
  if (r.status !== 'done') throw new Error(`run ended ${r.status}: ${JSON.stringify(r.violations)}`);
  return results[0] as T;
}
