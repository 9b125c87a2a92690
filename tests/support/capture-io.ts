/** An Io for CLI tests that keeps what the CLI prints (tests/unit/cli). */
import type { Io } from '../../src/cli/io.js';

export function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    tty: false,
    out(t: string) {
      io.stdout += t + '\n';
    },
    err(t: string) {
      io.stderr += t + '\n';
    },
  };
  return io;
}
