/**
 * Registry ↔ corpus (style-guide.md §2.3 item 1, §2.5 "No orphans"): every patch of the
 * registry names the scenarios that pin its declared `effect` down, and those scenarios
 * really do so in what they declare (compared on the declared expectations, not by
 * re-running: the corpus test already checks the declarations against the model).
 *
 * - every non-hypothetical patch lists at least one scenario, except the ones in
 *   UNPINNED below, each with the reason no runnable scenario can show its effect;
 *   the list must stay exact (a patch that gains scenarios must leave it);
 * - every listed scenario exists, parses, and declares a profile with the patch and one
 *   without it;
 * - `changes-verdict`: some listed scenario declares a *close* pair whose declared
 *   results differ — two profiles whose patch sets differ only in the patch and in
 *   patches that build on it (its `requires` dependents, which cannot stay without it);
 * - `neutral`: some listed scenario declares a pair (with, without) whose declared
 *   results are identical.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PATCHES, PATCH_IDS } from '../src/profiles/index.js';
import type { PatchId } from '../src/profiles/index.js';
import { parseScenario } from '../src/scenario/parse.js';
import type { Expected, ProfileExpect, Scenario } from '../src/scenario/ast.js';

const root = join(import.meta.dirname, '..');

/**
 * Patches whose declared effect no scenario the model can run shows today, and why.
 * Keep this exact: the test fails if a listed patch gains scenarios or an unlisted one has none.
 */
/** A move or rename whose only effect is the function an errno reason names (not part of any declared result). */
const REASON_SITE_ONLY =
  'a move or rename: only the kernel file and function an errno reason names change, and reasons are explanatory, ' +
  'not declared results; tests/unit/scenario/errno-reason.test.ts pins the names per release';

/** An iommufd command the model does not implement: the number is -ENOTTY without the patch, `unsupported` with it. */
const REASON_IOMMUFD_CMD =
  'the command is not modelled: with the patch its number answers unsupported, which a scenario cannot declare, ' +
  'and -ENOTTY without it; tests/unit/linux/drivers/iommufd_cmd_table.test.ts pins both per release';

const UNPINNED: Readonly<Partial<Record<PatchId, string>>> = {
  'vfio-type1-ioctl-refactor': REASON_SITE_ONLY,
  'vfio-group-c': REASON_SITE_ONLY,
  'vfio-main-rename': REASON_SITE_ONLY,
  'vfio-container-c': REASON_SITE_ONLY,
  'vfio-group-ioctl-split': REASON_SITE_ONLY,
  'io-uring-dir': REASON_SITE_ONLY,
  'io-uring-rsrc-c': REASON_SITE_ONLY,
  'io-uring-pin-pages-helper': REASON_SITE_ONLY,
  'io-uring-reg-buf-unpin-on-error':
    'only an allocation failure reaches it, which a scenario cannot declare; the fail-nth campaign judges it ' +
    '(tests/support/failnth-judge.ts) and tests/faults/fail-nth-io-uring-unpin.test.ts pins it per release',
  'madvise-rearrange': REASON_SITE_ONLY,
  'alloc-fastpath-task-gfp':
    'only the number of allocations and migrations changes (the page is placed in the scoped zone either ' +
    'directly or after migration, on the same frame); no probe observes allocations or migrations. The one ' +
    'end state that differs (a long-term pin faulting a page when only ZONE_MOVABLE has free memory: with ' +
    'the patch nothing is mapped, without it the page stays mapped in ZONE_MOVABLE) needs memory exhausted ' +
    'outside ZONE_MOVABLE, where the kernel runs the OOM killer, which the model does not have',
  'gup-fatal-signals':
    'what it changes is the killable mmap_lock in the retry loop and FAULT_FLAG_KILLABLE on GUP faults (the ' +
    'fault path of the model does not act on KILLABLE). A kill while the retry waits for the lock gives -EINTR ' +
    'from down_read_killable() with it, and without it the errno of the re-fault in __get_user_pages(), which ' +
    'the model also switches on this patch (-ERESTARTSYS before): the v5 posting of the patch (lore, ' +
    '2019-09-26) changes no errno in __get_user_pages(), so that switch is probably another commit (UNVERIFIED) ' +
    'and the only declared difference an ablation could show would pin that unverified attribution',
  'exit-mmap-write-lock':
    'the lock only orders exit_mmap() against a holder of mmap_lock that has no mm_users reference (the OOM ' +
    'reaper, process_mrelease), which the model does not have: its kernel callers that lock another mm hold ' +
    'mm_users (VFIO), so exit_mmap runs after them; the scenario remote-GUP steps borrow the target mm without ' +
    'any reference, which no kernel caller does, so racing them against exit would show states the kernel ' +
    'cannot reach (tests/unit/linux/mm/exit_mmap.test.ts drives the lock directly)',
  'exit-mmap-read-lock-unmap':
    'as exit-mmap-write-lock: only a holder of mmap_lock without an mm_users reference can observe it ' +
    '(tests/unit/linux/mm/exit_mmap.test.ts)',
  'exit-mmap-empty-write-lock':
    'as exit-mmap-write-lock, and only for an mm with no VMAs (tests/unit/linux/mm/exit_mmap.test.ts)',
  'gup-fast-wp-seq': 'needs gup-fast racing fork(); no scenario does that yet (the lockless walk has a point per entry)',
  'gup-migration-isolation-errors':
    'the model reads it (check_and_migrate_movable_pages), but isolation fails only while another thread has ' +
    'the same folio isolated for its own migration, and the model runs isolation, migration and the move with ' +
    'no scheduling point in between, so no interleaving reaches it',
  'vfio-pin-pages-struct-page':
    'the struct page refusal needs an mdev pin of a VM_PFNMAP range, which no scenario step can express yet',
  'vfio-pin-pages-device-open':
    'it needs a vendor driver pinning through a device nobody has open; the scenario set-up opens every device fd ' +
    'it creates and no step can name one to close, so tests/unit/linux/drivers/vfio_pin_device_open.test.ts drives ' +
    'vfio_pin_pages() directly (-EINVAL on 5.15 and 6.1, with the WARN only on 6.1)',
  'iommufd-hwpt-alloc': REASON_IOMMUFD_CMD,
  'iommufd-get-hw-info': REASON_IOMMUFD_CMD,
  'iommufd-hwpt-set-dirty-tracking': REASON_IOMMUFD_CMD,
  'iommufd-hwpt-get-dirty-bitmap': REASON_IOMMUFD_CMD,
  'iommufd-hwpt-invalidate': REASON_IOMMUFD_CMD,
  'iommufd-fault-queue-alloc': REASON_IOMMUFD_CMD,
  'iommufd-veventq-alloc': REASON_IOMMUFD_CMD,
  'iommufd-hw-queue-alloc': REASON_IOMMUFD_CMD,
  'vfio-pin-pages-pfn-valid':
    'like vfio-pin-pages-struct-page, it needs an mdev pin of a VM_PFNMAP range, which no scenario step can express yet',
  'vfio-unpin-pages-void':
    "the vendor driver's vfio_unpin_pages() runs inside the scenario's DMA-unmap callback, whose return value no " +
    'scenario observes',
  'alloc-nocma-fastpath':
    'with it the fault inside the no-CMA scope gets a non-CMA page at once; without it the page lands in CMA and ' +
    'the long-term GUP migrates it out straight away, to the same end state (no probe counts migrations). The ' +
    'one case that differs, a 5.11/5.12 long-term pin of a THP in CMA (io_uring/register-thp-cma), re-migrates ' +
    'into CMA until the step bound without it: a run that is not a verdict',
  'gup-pfn-eexist':
    'the walk meets a pfn without struct page only for a special PTE outside VM_PFNMAP/VM_IO that is neither the ' +
    'zero page nor a devmap entry (a VM_MIXEDMAP insert), and no mapping a scenario can set up has one',
  'gup-no-get-user-pages-locked':
    'with it a get_user_pages_locked() step has no counterpart in the release (the model reports it ' +
    'unsupported), which a scenario cannot declare',
  'gup-cma-alloc-scope':
    'the longer scope only decides where a page is allocated that the re-GUP after the migration has to fault in ' +
    'again (something unmapped it meanwhile): inside the scope it avoids CMA, outside it may land in CMA and be ' +
    'pinned long-term there; no scenario races an unmap against the migration step of a 5.8/5.9 long-term pin ' +
    'yet. The migration targets themselves avoid CMA either way (new_non_cma_page), and hugetlb pool folios are ' +
    'never in CMA in the model (GFP_HIGHUSER), so the pool dequeue test bbe88753bd42 ties to the scope never fires',
  'gup-remove-vmas':
    'what it removes is an argument: with it a call that passes a vmas array has no counterpart in the release ' +
    '(the model reports it unsupported), which a scenario cannot declare; without it the array is filled',
  'iommufd-batch-carry-end':
    "not read (tests/patch-reads.test.ts NOT_READ): the model's pfn batch never carries pfns, so no scenario " +
    'can show the 6.2 carry bug',
  'gup-foll-cow-removed':
    'its 6.12 ablation makes the FOLL_FORCE write loop until the step bound (a run that is not a verdict); ' +
    'its 6.1 ablation changes nothing the scenarios observe',
};

function load(name: string): Scenario {
  const file = join(root, 'scenarios', `${name}.yaml`);
  const r = parseScenario(readFileSync(file, 'utf8'), `scenarios/${name}.yaml`);
  if (!r.ok) throw new Error(`scenarios/${name}.yaml does not parse: ${r.errors.map((e) => e.message).join('; ')}`);
  return r.scenario;
}

/** An expectation without source positions, so equal declarations compare equal. */
function canonExpected(e: Expected): unknown {
  switch (e.kind) {
    case 'lit':
      return ['lit', typeof e.value === 'bigint' ? `${e.value}n` : JSON.stringify(e.value, (_k, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v))];
    case 'ref':
      return ['ref', e.name, e.field];
    case 'cmp':
      return ['cmp', e.op, canonExpected(e.rhs)];
    case 'oneof':
      return ['oneof', e.items.map(canonExpected)];
    default:
      return ['other', JSON.stringify(e, (k, v: unknown) => (k === 'at' ? undefined : typeof v === 'bigint' ? `${v}n` : v))];
  }
}

/** What a profile declaration states: values, non-`never` invariants, WARN and BUG sites, exists/forall conditions. */
function declared(pe: ProfileExpect): string {
  const values = [...pe.values.entries()].map(([k, e]) => [k, canonExpected(e)] as const).sort((a, b) => (a[0] < b[0] ? -1 : 1));
  const inv = [...pe.invariants.entries()].filter(([, v]) => v.verdict !== 'never').map(([k, v]) => `${k}:${v.verdict}`).sort();
  const outcomes = pe.outcomes.map((o) => JSON.stringify([o.kind, o.any], (k, v: unknown) => (k === 'at' ? undefined : typeof v === 'bigint' ? `${v}n` : v instanceof Map ? [...(v as Map<unknown, unknown>).entries()] : v))).sort();
  return JSON.stringify({ values, inv, warnings: [...pe.warnings].sort(), bugs: [...pe.bugs].sort(), outcomes });
}

/** The patch and every patch that (transitively) requires it. */
function withDependents(id: PatchId): Set<PatchId> {
  const out = new Set<PatchId>([id]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of PATCH_IDS) {
      if (out.has(p)) continue;
      const req = (PATCHES[p] as { requires?: readonly PatchId[] }).requires ?? [];
      if (req.some((r) => out.has(r))) {
        out.add(p);
        grew = true;
      }
    }
  }
  return out;
}

/** Pairs (with the patch, without it) of a scenario's declared profiles. */
function pairs(s: Scenario, id: PatchId): [ProfileExpect, ProfileExpect][] {
  const on = s.expect.filter((e) => e.profile.patches.has(id));
  const off = s.expect.filter((e) => !e.profile.patches.has(id));
  return on.flatMap((a) => off.map((b) => [a, b] as [ProfileExpect, ProfileExpect]));
}

/** True if the two profiles' patch sets differ only inside `allowed`. */
function close(a: ProfileExpect, b: ProfileExpect, allowed: ReadonlySet<PatchId>): boolean {
  for (const p of a.profile.patches) if (!b.profile.patches.has(p) && !allowed.has(p)) return false;
  for (const p of b.profile.patches) if (!a.profile.patches.has(p) && !allowed.has(p)) return false;
  return true;
}

describe('patch registry ↔ scenario corpus', () => {
  it('UNPINNED names only registry patches', () => {
    for (const id of Object.keys(UNPINNED)) expect(PATCH_IDS, id).toContain(id);
  });

  for (const id of PATCH_IDS) {
    const p = PATCHES[id];
    describe(id, () => {
      if (p.hypothetical !== true) {
        it(UNPINNED[id] === undefined ? 'lists at least one scenario' : 'is listed in UNPINNED and has no scenarios', () => {
          if (UNPINNED[id] === undefined) expect(p.scenarios.length, `${id} lists no scenarios`).toBeGreaterThan(0);
          else expect(p.scenarios, `${id} has scenarios now: remove it from UNPINNED`).toEqual([]);
        });
      }

      for (const name of p.scenarios) {
        it(`${name} exists and declares profiles with and without the patch`, () => {
          expect(existsSync(join(root, 'scenarios', `${name}.yaml`)), `scenarios/${name}.yaml`).toBe(true);
          const s = load(name);
          expect(s.expect.some((e) => e.profile.patches.has(id)), `${name}: no declared profile has ${id}`).toBe(true);
          expect(s.expect.some((e) => !e.profile.patches.has(id)), `${name}: every declared profile has ${id}`).toBe(true);
        });
      }

      if (p.scenarios.length > 0 && p.effect === 'changes-verdict') {
        it('some listed scenario declares a different result on a close with/without pair', () => {
          const allowed = withDependents(id);
          const found = p.scenarios.some((name) =>
            pairs(load(name), id).some(([a, b]) => close(a, b, allowed) && declared(a) !== declared(b)),
          );
          expect(found, `${id}: no listed scenario declares a differing pair differing only in ${[...allowed].join(', ')}`).toBe(true);
        });
      }

      if (p.scenarios.length > 0 && p.effect === 'neutral') {
        it('some listed scenario declares the same result with and without the patch', () => {
          const found = p.scenarios.some((name) => pairs(load(name), id).some(([a, b]) => declared(a) === declared(b)));
          expect(found, `${id}: every declared with/without pair differs`).toBe(true);
        });
      }
    });
  }
});
