/**
 * Fault injection over the corpus (issue #16 "Keep it true" 1; the kernel's
 * iommufd_fail_nth selftest applied to the model): for every bundled scenario and every
 * release profile it declares (no ablations, backports or hypothetical profiles), fail
 * each failable call of its default run in turn (`pinlab explore --fail-nth`) and require
 *   - no JavaScript exception (a pinlab bug);
 *   - the run ends as the unfailed run does (`done`), or is an honest `unsupported`, or
 *     ends in a hang of the scenario's own program that the failure caused (programHang), or
 *     ends `done` where the unfailed run deadlocks (the failure ended the call before what blocked);
 *   - no invariant violated that the unfailed run does not violate and the scenario does
 *     not declare reachable on that profile: no leaked pin or reference
 *     (pin-balance-at-exit, refcount-sane), no wrong locked_vm (locked-vm-accounting),
 *     no lock held at exit, no deadlock, no DMA into freed memory;
 *   - where the failure always ends the system call (FAILPOINTS[...].errno), the
 *     operation returns that errno.
 * A failure names the scenario, profile, n, the failure point and the re-run command.
 * The campaign's size is printed.
 */
import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scenarioFiles } from '../../src/cli/io.js';
import { FAILPOINTS, isFailpoint } from '../../src/linux/include/linux/fault_inject.js';
import { errnoByName } from '../../src/linux/include/uapi/linux/errno.js';
import { RELEASE_TAGS } from '../../src/profiles/index.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { failNthCommand, failNthScenario, programHang } from '../../src/scenario/failnth.js';
import { runScenario } from '../../src/scenario/run.js';
import type { Scenario } from '../../src/scenario/ast.js';
import type { Profile } from '../../src/profiles/index.js';

const root = join(import.meta.dirname, '..', '..');


/**
 * Kernel behaviour an injected failure exposes that the invariants flag, each with its
 * source. Not model bugs: the run shows what the release does.
 */
const KERNEL_FINDINGS: readonly { readonly invariant: string; readonly applies: (failpoint: string, profile: Profile) => boolean; readonly why: string }[] = [
  {
    // 5.4–5.6 check_and_migrate_cma_pages(): when migrate_pages() fails it clears
    // migrate_allow and pins the pages where they are, in CMA.
    invariant: 'no-longterm-pin-on-cma-or-movable',
    applies: (fp, p) => fp === 'mm/gup.c:new_non_cma_page:should_fail_alloc_page' && !p.patches.has('gup-migration-failure-error'),
    why: 'mm/gup.c check_and_migrate_cma_pages (v5.4.1, v5.6.4): a failed migration pins in place',
  },
  {
    // A failed huge-zero-page allocation falls back to the 4 KiB zero page, which VFIO
    // pins and never unpins before 873aefb376bb (scenarios/vfio/zero-page-ref-leak.yaml).
    invariant: 'pin-balance-at-exit',
    applies: (_fp, p) => !p.patches.has('vfio-unpin-zero-page'),
    why: '873aefb376bb "vfio/type1: Unpin zero pages" (v6.0): put_pfn() skips the reserved zero page',
  },
  {
    // Debian 6.1.192, 6.5.0 and 6.6.9 io_sqe_buffer_register(): a failed kvmalloc() of the
    // io_mapped_ubuf jumps to `done`, which frees the pages array without unpinning the pages
    // (the model unpins there only with io-uring-coalesce-hugepages, see rsrc.ts).
    invariant: 'pin-balance-at-exit',
    applies: (fp, p) => fp === 'io_uring/rsrc.c:io_sqe_buffer_register:kvmalloc' && !p.patches.has('io-uring-coalesce-hugepages'),
    why: 'io_uring/rsrc.c io_sqe_buffer_register (Debian 6.1.192, 6.5.0, 6.6.9): pinned pages leak when the imu allocation fails',
  },
];

/** Per-(scenario, profile) bound on failure points: enough for every corpus scenario today. */
const MAX_NTH = 3000;

interface Problem {
  readonly where: string;
  readonly what: string;
}

/** Judge every fail-nth run of one scenario on one profile; return the problems found. */
export function judgeFailNth(s: Scenario, profile: Profile, declared: ReadonlySet<string>, stats: Map<string, number>): { problems: Problem[]; runs: number; unsupported: number; complete: boolean } {
  const base = runScenario(s, profile, { faultInjection: true });
  const allowed = new Set<string>([...declared, ...base.violated]);
  const r = failNthScenario(s, profile, { maxNth: MAX_NTH });
  const problems: Problem[] = [];
  let unsupported = 0;
  for (const x of r.runs) {
    stats.set(x.site.failpoint, (stats.get(x.site.failpoint) ?? 0) + 1);
    const where = `${s.file} on ${profile.name}, fail-nth ${x.nth} (${x.site.failpoint} in T${x.site.thread} ${x.site.op}); re-run: ${failNthCommand(s.file, profile.name, x.nth)}`;
    const o = x.outcome;
    if (o.status === 'unsupported') {
      unsupported++;
      continue;
    }
    // A failure that ends a call early may remove what made the unfailed run deadlock (a leaked pin that a
    // truncate waits for: 5.7-5.9 fs-DAX put_page leak), so `done` after an unfailed `deadlock` is fine.
    const freed = base.status === 'deadlock' && o.status === 'done';
    if (o.status !== base.status && !freed && !programHang(o)) problems.push({ where, what: `run ends ${o.status} (unfailed run: ${base.status}${o.problem !== null ? `; ${o.problem}` : ''})` });
    const extra = o.violated.filter((v) => !allowed.has(v) && !(v === 'deadlock' && programHang(o)) && !KERNEL_FINDINGS.some((k) => k.invariant === v && k.applies(x.site.failpoint, profile)));
    if (extra.length > 0) problems.push({ where, what: `violates ${extra.join(', ')}` });
    const bugs = o.reports.filter((b) => b.kind === 'bug' && !base.reports.some((c) => c.kind === 'bug' && c.site === b.site));
    if (bugs.length > 0) problems.push({ where, what: `kernel BUG at ${bugs.map((b) => b.site).join(', ')}` });
    if (!isFailpoint(x.site.failpoint)) throw new Error(`pinlab bug: unknown failure point ${x.site.failpoint}`);
    const want = FAILPOINTS[x.site.failpoint].errno;
    if (want !== null && x.site.ret !== errnoByName(want)) problems.push({ where, what: `${x.site.op} returned ${JSON.stringify(x.site.ret)}, the kernel returns -${want}` });
  }
  return { problems, runs: r.runs.length, unsupported, complete: r.complete };
}

const stats = new Map<string, number>();
const totals = { pairs: 0, runs: 0, unsupported: 0, files: 0 };
const incomplete: string[] = [];

describe('fault injection over the corpus (fail-nth, release profiles)', () => {
  for (const f of scenarioFiles([join(root, 'scenarios')])) {
    const rel = relative(root, f);
    const p = parseScenario(readFileSync(f, 'utf8'), rel);
    if (!p.ok) continue; // tests/corpus/ reports invalid files
    const releases = p.scenario.expect.filter((pe) => (RELEASE_TAGS as readonly string[]).includes(pe.profile.name));
    if (releases.length === 0) continue;
    it(`${rel}: every failable call fails in turn without a bug (${releases.map((pe) => pe.spec).join(', ')})`, () => {
      const problems: Problem[] = [];
      totals.files++;
      for (const pe of releases) {
        totals.pairs++;
        const declared = new Set<string>([...pe.invariants].filter(([, d]) => d.verdict !== 'never').map(([id]) => id));
        const j = judgeFailNth(p.scenario, pe.profile, declared, stats);
        problems.push(...j.problems);
        totals.runs += j.runs;
        totals.unsupported += j.unsupported;
        if (!j.complete) incomplete.push(`${rel} on ${pe.profile.name}`);
      }
      expect(problems.map((x) => `${x.where}: ${x.what}`)).toEqual([]);
    }, 900_000);
  }

  // Runs last (tests of a file run in order): the campaign's size, and coverage of FAILPOINTS.
  it('reaches every failure point the model declares, and prints the campaign size', () => {
    const perPoint = [...stats].sort(([a], [b]) => a.localeCompare(b)).map(([k, n]) => `    ${k}: ${n}`).join('\n');
    console.log(`fail-nth campaign: ${totals.files} scenarios, ${totals.pairs} scenario×profile pairs, ${totals.runs} runs with one injected failure (${totals.unsupported} end unsupported); per failure point:\n${perPoint}` +
      (incomplete.length > 0 ? `\n  bounded at ${MAX_NTH} failure points: ${incomplete.join('; ')}` : ''));
    expect(Object.keys(FAILPOINTS).filter((k) => !stats.has(k))).toEqual([]);
    expect(totals.runs).toBeGreaterThan(1000);
  });
});
