/**
 * `npm run verbatim`: finds comment text in the model that repeats a kernel comment word for
 * word. The model is written in the project's own words (README, "Fidelity"); this is the
 * check a reviewer runs before a release of the model, with the kernel sources at hand.
 *
 * Kernel text comes from Debian's linux-source-6.1 / linux-source-6.12 packages
 * (/usr/src/linux-source-*.tar.xz, `apt-get install linux-source-6.12`); the script unpacks
 * the folders it compares against into a temporary directory. A match is a run of N
 * consecutive words (default 8, `--words N`) shared by a comment of `src/**` and a comment of
 * the kernel; punctuation and case are ignored. Exit 1 when any is found, 2 when no kernel
 * source package is installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

const KERNEL_DIRS = ['mm', 'drivers/vfio', 'drivers/iommu', 'include/linux', 'include/uapi/linux', 'io_uring', 'fs', 'kernel/fork.c'];
const wordsArg = process.argv.indexOf('--words');
const N = wordsArg > 0 ? Number(process.argv[wordsArg + 1]) : 8;
if (!Number.isInteger(N) || N < 4) {
  process.stderr.write('verbatim: --words takes an integer ≥ 4\n');
  process.exit(2);
}

const COMMENT = /\/\*[\s\S]*?\*\/|\/\/[^\n]*/g;
const words = (t: string): string[] => t.toLowerCase().match(/[a-z0-9_]+/g) ?? [];

function* walk(p: string, ext: RegExp): Generator<string> {
  if (!existsSync(p)) return;
  if (statSync(p).isDirectory()) for (const e of readdirSync(p)) yield* walk(join(p, e), ext);
  else if (ext.test(p)) yield p;
}

const tarballs = ['6.1', '6.12']
  .map((v) => `/usr/src/linux-source-${v}.tar.xz`)
  .filter((t) => existsSync(t));
if (tarballs.length === 0) {
  process.stderr.write('verbatim: no Debian linux-source package installed (apt-get install linux-source-6.12)\n');
  process.exit(2);
}

const tmp = mkdtempSync(join(tmpdir(), 'pinlab-verbatim-'));
const shingles = new Map<string, string>();
try {
  for (const t of tarballs) {
    const top = t.replace(/^.*\/(linux-source-[0-9.]+)\.tar\.xz$/, '$1');
    execFileSync('tar', ['xJf', t, '-C', tmp, '--wildcards', ...KERNEL_DIRS.map((d) => `${top}/${d}`)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    for (const f of walk(join(tmp, top), /\.[ch]$/)) {
      const w = words((readFileSync(f, 'latin1').match(COMMENT) ?? []).join('\n'));
      for (let i = 0; i + N <= w.length; i++) {
        const key = w.slice(i, i + N).join(' ');
        if (!shingles.has(key)) shingles.set(key, `${top}, ${relative(join(tmp, top), f)}`);
      }
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

let found = 0;
for (const f of walk('src', /\.ts$/)) {
  const text = readFileSync(f, 'utf8');
  for (const m of text.matchAll(COMMENT)) {
    const w = words(m[0]);
    for (let i = 0; i + N <= w.length; i++) {
      const key = w.slice(i, i + N).join(' ');
      const where = shingles.get(key);
      if (where === undefined) continue;
      const line = text.slice(0, m.index).split('\n').length;
      process.stdout.write(`${f}:${line}: "${key}" also in ${where}\n`);
      found++;
      break;
    }
  }
}
process.stdout.write(`verbatim: ${found} comment(s) share ${N} consecutive words with a kernel comment\n`);
process.exit(found > 0 ? 1 : 0);
