/**
 * Kctx: what a running kernel thread sees — the machine, the runtime, its own
 * thread id and task, and the profile. Every modelled kernel function takes it as a
 * leading argument (`k`), then the kernel's own parameters in the kernel's order.
 */
import type { ConfigId, PatchId, Profile } from '../profiles/index.js';
import type { Sched, ThreadId } from '../sched/index.js';
import type { Machine } from './machine.js';
import type { task_struct } from './include/linux/sched.js';

export class Kctx<Task extends task_struct = task_struct> {
  constructor(
    readonly m: Machine,
    readonly s: Sched,
    readonly tid: ThreadId,
    /** `current`: the task this thread runs as, a struct task_struct (a kernel thread's has no mm). */
    public current: Task,
  ) {}

  get profile(): Profile {
    return this.m.profile;
  }

  /** Is upstream change `id` in this profile? Read only where the upstream diff changed code, tagged PATCH(id). */
  patch(id: PatchId): boolean {
    return this.m.profile.patches.has(id);
  }
}

/** IS_ENABLED(CONFIG_...) */
export function IS_ENABLED(k: Kctx, cfg: ConfigId): boolean {
  return k.m.profile.configs.has(cfg);
}
