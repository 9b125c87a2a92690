/**
 * Progress of a long exploration. The explorer calls a ProgressFn every
 * `progressEvery` runs and once more at the end (`done: true`); it never writes
 * anything itself. `terminalProgress` gives a one-line display for a terminal and
 * nothing when the stream is not one (pipes, CI logs, --json), so output stays quiet.
 */
export interface Progress {
  readonly schedules: number;
  readonly states: number;
  readonly edges: number;
  readonly steps: number;
  /** Invariants seen violated so far. */
  readonly violated: readonly string[];
  readonly done: boolean;
}

export type ProgressFn = (p: Progress) => void;

/** Something with `isTTY` and `write`, like process.stderr. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  write(s: string): unknown;
}

/** A progress line rewritten in place on a terminal; undefined (quiet) otherwise. */
export function terminalProgress(stream: ProgressStream): ProgressFn | undefined {
  if (stream.isTTY !== true) return undefined;
  return (p) => {
    const v = p.violated.length === 0 ? '' : `, violated: ${p.violated.join(' ')}`;
    stream.write(`\r\u001b[2Kexplore: ${p.schedules} schedules, ${p.states} states, ${p.edges} steps${v}`);
    if (p.done) stream.write('\r\u001b[2K');
  };
}
