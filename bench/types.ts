/**
 * A benchmark module (bench/<area>.ts) exports `benchmarks: Benchmark[]`.
 * `run()` performs the measurement and returns one or more figures; timing uses
 * process.hrtime.bigint() here, outside the model (the model has no clock).
 */
export interface Figure {
  /** snake_case figure name, e.g. `pin_longterm_4k_ns_per_page`. */
  readonly name: string;
  readonly value: number;
  /** `ns`, `s`, `MiB`, `bytes`, `schedules/s`, ... */
  readonly unit: string;
  /** Optional goal, for the human-readable table (e.g. `<= 130`). */
  readonly goal?: string;
  /** When `value` is a median of several runs: their minimum, maximum and number. */
  readonly min?: number;
  readonly max?: number;
  readonly runs?: number;
}

export interface Benchmark {
  /** Name shown while running; figures carry their own names. */
  readonly name: string;
  run(): Figure[] | Promise<Figure[]>;
}

/** Wall-clock seconds of `fn`. */
export function timeSeconds(fn: () => void): number {
  const t0 = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** Resident set size in MiB right now. */
export function rssMiB(): number {
  return process.memoryUsage().rss / (1024 * 1024);
}

/** Collect garbage first when node runs with --expose-gc (npm run bench does), so RSS deltas are not garbage. */
export function settle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc !== undefined) gc();
}
