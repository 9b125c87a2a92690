/**
 * Shared tail of the generator scripts: write a generated file, or with `--check`
 * exit 1 (naming the command that regenerates it) when the checked-in copy differs.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

export function writeOrCheck(path: string, text: string, regenerate: string): void {
  const shown = relative(process.cwd(), path) || path;
  if (process.argv.includes('--check')) {
    let old = '';
    try {
      old = readFileSync(path, 'utf8');
    } catch {
      old = '';
    }
    if (old !== text) {
      process.stderr.write(`${shown} is out of date: run ${regenerate}\n`);
      process.exit(1);
    }
    return;
  }
  writeFileSync(path, text);
  process.stdout.write(`wrote ${shown}\n`);
}
