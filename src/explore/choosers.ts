/**
 * Choice strategies besides the runtime's default: replay of a schedule string and
 * seeded random. (Exhaustive search and PCT build on these in dfs.ts / pct.ts.)
 */
import type { Chooser, PickContext, ThreadId } from '../sched/index.js';
import { DefaultChooser, ScheduleDivergence } from '../sched/index.js';
import type { Schedule } from './schedule.js';

/**
 * Follows a schedule exactly and fails loudly, naming the choice and step where the
 * run stopped matching it. An open schedule (`...`) continues with the default
 * strategy once its items run out.
 */
export class ReplayChooser implements Chooser {
  private pos = 0;
  private readonly fallback = new DefaultChooser();

  constructor(private readonly schedule: Schedule) {}

  /** An open schedule (`...`): the default strategy continues after its items. */
  get open(): boolean {
    return this.schedule.open;
  }

  /** Items not consumed by the run (a replay that ends early also diverged). */
  get remaining(): number {
    return this.schedule.items.length - this.pos;
  }

  pickThread(enabled: readonly ThreadId[], ctx: PickContext): ThreadId {
    const item = this.schedule.items[this.pos];
    if (item === undefined) {
      if (this.schedule.open) return this.fallback.pickThread(enabled, ctx);
      throw new ScheduleDivergence(ctx.choiceIndex, ctx.step,
        `replay diverged at step ${ctx.step}: the schedule ended but threads ${enabled.map((t) => `T${t}`).join(', ')} can run (end it with '...' to continue by default)`);
    }
    if (item.kind !== 'thread') {
      throw new ScheduleDivergence(ctx.choiceIndex, ctx.step,
        `replay diverged at step ${ctx.step} (choice ${ctx.choiceIndex + 1}): the schedule has data choice c${item.index}, but the run must pick a thread among ${enabled.map((t) => `T${t}`).join(', ')}`);
    }
    if (!enabled.includes(item.thread)) {
      throw new ScheduleDivergence(ctx.choiceIndex, ctx.step,
        `replay diverged at step ${ctx.step} (choice ${ctx.choiceIndex + 1}): T${item.thread} is not enabled; enabled: ${enabled.map((t) => `T${t}`).join(', ')}`);
    }
    this.pos++;
    return item.thread;
  }

  pickData(label: string, n: number, thread: ThreadId, ctx: PickContext): number {
    const item = this.schedule.items[this.pos];
    if (item === undefined) {
      if (this.schedule.open) return this.fallback.pickData();
      throw new ScheduleDivergence(ctx.choiceIndex, ctx.step,
        `replay diverged at step ${ctx.step}: the schedule ended but T${thread} makes the choice ${label} (end it with '...' to continue by default)`);
    }
    if (item.kind !== 'data') {
      throw new ScheduleDivergence(ctx.choiceIndex, ctx.step,
        `replay diverged at step ${ctx.step} (choice ${ctx.choiceIndex + 1}): the schedule picks T${item.thread}, but T${thread} makes the data choice ${label}`);
    }
    if (item.index >= n) {
      throw new ScheduleDivergence(ctx.choiceIndex, ctx.step,
        `replay diverged at step ${ctx.step} (choice ${ctx.choiceIndex + 1}): c${item.index} is out of range for ${label}, which has ${n} options`);
    }
    this.pos++;
    return item.index;
  }
}

/** A small, fast, seedable PRNG (mulberry32); its state lives in the instance. */
export class Prng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  /** A uniform integer in [0, n). */
  below(n: number): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    const x = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    return Math.floor(x * n);
  }
}

/** Uniformly random among enabled threads and options, reproducible from the seed. */
export class RandomChooser implements Chooser {
  private readonly rng: Prng;
  constructor(seed: number) {
    this.rng = new Prng(seed);
  }
  pickThread(enabled: readonly ThreadId[]): ThreadId {
    return enabled[this.rng.below(enabled.length)];
  }
  pickData(_label: string, n: number): number {
    return this.rng.below(n);
  }
}
