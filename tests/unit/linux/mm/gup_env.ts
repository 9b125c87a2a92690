/**
 * Test environment for the GUP and io_uring tests: a machine for a profile, a process,
 * and a runner that executes kernel generators as threads of that process on the
 * deterministic runtime (default chooser unless a schedule is given).
 */
import type { KThread, ThreadId, Chooser, RunResult } from '../../../../src/sched/index.js';
import { DefaultChooser, Sched } from '../../../../src/sched/index.js';
import { profileOrThrow } from '../../../../src/profiles/index.js';
import { Machine } from '../../../../src/linux/machine.js';
import type { MemoryLayout } from '../../../../src/linux/include/linux/mm_types.js';
import { Kctx } from '../../../../src/linux/kctx.js';
import { createTask } from '../../../../src/linux/kernel/fork.js';
import type { TaskOptions } from '../../../../src/linux/kernel/fork.js';
import type { task_struct } from '../../../../src/linux/include/linux/sched.js';
import { vm_mmap_pgoff } from '../../../../src/linux/mm/mmap.js';
import type { file } from '../../../../src/linux/include/linux/fs.js';
import { ReplayChooser } from '../../../../src/explore/choosers.js';
import { expect } from 'vitest';
import { PMD_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { sys_madvise, sys_mmap } from '../../../../src/linux/syscalls.js';
import { __mm_populate } from '../../../../src/linux/mm/gup.js';
import { folio_order, pt_walk, set_page_content } from '../../../../src/linux/include/linux/mm.js';
import { parseSchedule } from '../../../../src/explore/schedule.js';

export const MiB = 1024 * 1024;
export const PAGE = 4096;

export interface Env {
  readonly m: Machine;
  readonly task: task_struct;
}

export function mkEnv(profile: string, layout?: MemoryLayout, task: Partial<TaskOptions> = {}): Env {
  const m = new Machine(profileOrThrow(profile), layout ?? { dma32: 64 * MiB, normal: 256 * MiB });
  const t = createTask(m, { comm: 'test', ...task } as TaskOptions);
  return { m, task: t };
}

export function newTask(env: Env, opts: Partial<TaskOptions> = {}): task_struct {
  return createTask(env.m, { comm: 'extra', ...opts } as TaskOptions);
}

export type Body<T> = (k: Kctx) => KThread<T>;

export interface Run {
  readonly r: RunResult;
  readonly results: unknown[];
  readonly s: Sched;
}

/** Run `bodies` as threads T0.. (each as its task) along `schedule` (or the default chooser). */
export function runThreads(env: Env, bodies: readonly { task: task_struct; body: Body<unknown> }[], schedule?: string, maxSteps = 50_000_000, trace = false): Run {
  let chooser: Chooser = new DefaultChooser();
  if (schedule !== undefined) {
    const p = parseSchedule(schedule);
    if (!p.ok) throw new Error(`bad schedule in test: ${p.error}`);
    chooser = new ReplayChooser(p.schedule);
  }
  // A traced test run is also watched after every step (an after-step hook that never stops it),
  // so no thread is ever alone: the page-by-page paths the merged ones are compared with.
  const s = new Sched({ chooser, trace, maxSteps, ...(trace ? { afterStep: () => false } : {}) });
  env.m.sched = s;
  const results: unknown[] = new Array(bodies.length).fill(undefined);
  bodies.forEach((b, i) => s.spawn(`T${i}`, (tid: ThreadId) => (function* () {
    const k = new Kctx(env.m, s, tid, b.task);
    results[i] = yield* b.body(k);
    return results[i];
  })()));
  const r = s.run();
  env.m.sched = null;
  return { r, results, s };
}

/** Run one body as env.task to completion; throws if the run did not finish. */
export function run<T>(env: Env, body: Body<T>, task?: task_struct): T {
  const { r, results } = runThreads(env, [{ task: task ?? env.task, body: body as Body<unknown> }]);
  if (r.status !== 'done') throw new Error(`run did not finish: ${r.status} ${JSON.stringify(r.violations)}`);
  return results[0] as T;
}

/** mmap in env.task (vm_mmap_pgoff takes mmap_lock itself). */
export function mmap(env: Env, len: number, prot: number, flags: number, f: file | null = null, pgoff = 0, addr = 0, task?: task_struct): number {
  return run(env, (k) => vm_mmap_pgoff(k, f, addr, len, prot, flags, pgoff), task);
}

/** Reports of a kind (warn / bug / unsupported). */
export function reports(env: Env, kind: 'warn' | 'bug' | 'unsupported'): string[] {
  return env.m.reports.filter((x) => x.kind === kind).map((x) => `${x.site}: ${x.message}`);
}

/**
 * A PMD-aligned 2 MiB MADV_HUGEPAGE range, populated (one THP, where `where` says the
 * layout puts it), with tagged data in subpages 7 and 300. Returns its address.
 */
export function thpRange(env: Env, where: (m: Machine, head: number) => boolean): number {
  const a = run(env, function* (k: Kctx): KThread<number> {
    const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    const x = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
    expect(yield* sys_madvise(k, x, PMD_SIZE, MADV_HUGEPAGE)).toBe(0);
    expect(yield* __mm_populate(k, x, PMD_SIZE, false)).toBe(0);
    return x;
  });
  const w = pt_walk(env.task.mm as mm_struct, a);
  expect(w.level).toBe('pmd');
  const head = pte_pfn(w.entry);
  expect(folio_order(env.m, head)).toBe(9);
  expect(where(env.m, head)).toBe(true);
  set_page_content(env.m, head + 7, 'data-7');
  set_page_content(env.m, head + 300, 'data-300');
  return a;
}

/** The frame mapping `addr` (PTE or PMD leaf), or -1. */
export function mapped(env: Env, addr: number): number {
  const w = pt_walk(env.task.mm as mm_struct, addr);
  if (w.entry === 0) return -1;
  const nr = PMD_SIZE / PAGE;
  return w.level === 'pte' ? pte_pfn(w.entry) : pte_pfn(w.entry) + (Math.floor(addr / PAGE) % nr);
}
