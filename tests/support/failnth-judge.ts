/**
 * The judge of fail-nth runs (tests/faults/fail-nth.test.ts over the corpus,
 * tests/faults/fail-nth-iommufd.test.ts over the iommufd scenarios): what a run with one
 * injected failure must satisfy, and the kernel findings that are not model bugs.
 */
import { FAILPOINTS, isFailpoint } from '../../src/linux/include/linux/fault_inject.js';
import { errnoByName } from '../../src/linux/include/uapi/linux/errno.js';
import { failNthCommand, failNthScenario, programHang } from '../../src/scenario/failnth.js';
import { runScenario } from '../../src/scenario/run.js';
import type { Scenario } from '../../src/scenario/ast.js';
import type { Profile } from '../../src/profiles/index.js';

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
    // (fixed by e1c75831f682, in 6.12.y from 6.12.36; see rsrc.ts).
    invariant: 'pin-balance-at-exit',
    applies: (fp, p) => fp === 'io_uring/rsrc.c:io_sqe_buffer_register:kvmalloc' && !p.patches.has('io-uring-reg-buf-unpin-on-error'),
    why: 'io_uring/rsrc.c io_sqe_buffer_register (Debian 6.1.192, 6.5.0, 6.6.9): pinned pages leak when the imu allocation fails',
  },
];

/** Per-(scenario, profile) bound on failure points: enough for every corpus scenario today. */
export const MAX_NTH = 3000;

export interface Problem {
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
