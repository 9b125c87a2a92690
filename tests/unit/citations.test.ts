/**
 * Sources are cited by package and file (`Debian linux-source-6.1 6.1.192, mm/gup.c`) or by
 * upstream commit, never by a path on the machine they were read on: such a path means
 * nothing to a reader and leaks a developer's directory layout into the project.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOTS = ['src', 'docs', 'scenarios', 'conformance/cases', 'bench', 'scripts', 'README.md'];
const TEXT = /\.(ts|md|yaml|json|c|expected)$/;
/**
 * Machine-local source trees and home folders. Guest paths such as /tmp/pinlab and the
 * install location of Debian's linux-source packages (/usr/src, read by npm run verbatim)
 * are fine.
 */
const MACHINE_PATH = /\/work\/(?:ksrc|main|wt-|\.mirror)|\/home\/[a-z]/;
/** Notes kept outside the repository for the developers: a reader of the project cannot open them. */
const OUTSIDE_NOTE = /kernel-semantics\.md|kernel-sources\.md|real-kernel-harness\.md|shared\/reference/;

function* files(p: string): Generator<string> {
  if (statSync(p).isDirectory()) {
    for (const e of readdirSync(p)) if (e !== 'work' && e !== 'node_modules') yield* files(join(p, e));
  } else if (TEXT.test(p)) yield p;
}

describe('citations', () => {
  it('no file cites a path of the machine its sources were read on, or a note outside the repository', () => {
    const hits: string[] = [];
    for (const root of ROOTS) {
      for (const f of files(root)) {
        readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
          if (MACHINE_PATH.test(line) || OUTSIDE_NOTE.test(line)) hits.push(`${f}:${i + 1}: ${line.trim()}`);
        });
      }
    }
    expect(hits).toEqual([]);
  });

  it('the pattern catches the forms that were found before', () => {
    // The samples are assembled so that this file does not itself hold the forms it rejects.
    expect(MACHINE_PATH.test(` * v6.1 (${'/work'}/ksrc/6.1/mm/gup.c)`)).toBe(true);
    expect(MACHINE_PATH.test("tmpfs: '/tmp/pinlab',")).toBe(false);
    expect(OUTSIDE_NOTE.test(`refs: [${'kernel'}-semantics.md §4.2]`)).toBe(true);
  });
});
