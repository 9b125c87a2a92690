/**
 * The patch registry: one entry per upstream change whose behaviour the model
 * encodes, keyed by a kebab-case description of the change (never a version).
 *
 * Code reads a patch only at the line the upstream diff changed, tagged
 * `PATCH(<id>)`; `docs/patches.md` is generated from this table (npm run docs).
 * Commit ids are the upstream ids (12 hex digits) as they appear in Fixes: tags,
 * stable dependency lists or the trees read (see ../shared/reference/kernel-sources.md).
 *
 * A hypothetical entry is a model-only ablation that exists to show why a rule
 * exists; it has no commit id, is never part of a release, and a profile that uses
 * it is marked hypothetical in every report.
 */

export type PatchEffect =
  /** Some scenario's declared result differs with the patch on and off. */
  | 'changes-verdict'
  /** A refactor or move: the listed scenarios give the same result on and off. */
  | 'neutral';

export interface PatchInfo<Id extends string = string> {
  /** Upstream subject line (or, for a hypothetical patch, what the ablation does). */
  readonly subject: string;
  /** Upstream commit id (12 hex digits); null only for hypothetical patches. */
  readonly commit: string | null;
  readonly hypothetical?: true;
  readonly author: string;
  /** First mainline release containing the change (e.g. `v5.6`), or `-` for hypothetical ones. */
  readonly release: string;
  /** Kernel files the upstream diff touched (those the model mirrors). */
  readonly files: readonly string[];
  /** Patches this one builds on: a profile with this patch but without them is rejected. */
  readonly requires?: readonly Id[];
  /** Patches that cannot be combined with this one. */
  readonly conflicts?: readonly Id[];
  readonly effect: PatchEffect;
  /** What changes, in the model's terms. */
  readonly summary: string;
  /** Scenarios (paths under scenarios/, without .yaml) that pin the effect down. */
  readonly scenarios: readonly string[];
}

const registry = {
  'gup-remote-longterm': {
    subject: "mm: fix get_user_pages_remote()'s handling of FOLL_LONGTERM",
    commit: 'c4237f8b1f4f',
    author: 'John Hubbard',
    release: 'v5.6',
    files: ['mm/gup.c'],
    effect: 'changes-verdict',
    summary:
      'get_user_pages_remote() accepts FOLL_LONGTERM when locked is NULL and routes the call through ' +
      '__gup_longterm_locked() (temporary vmas, no-CMA scope, fs-DAX check, CMA migration); with a ' +
      'non-NULL locked it still refuses (WARN, -EINVAL). Before it, FOLL_LONGTERM was always -EINVAL there.',
    scenarios: [],
  },
  'vfio-longterm-via-gup': {
    subject: 'vfio: fix FOLL_LONGTERM use, simplify get_user_pages_remote() call',
    commit: '3567813eae5e',
    author: 'John Hubbard',
    release: 'v5.6',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['gup-remote-longterm'],
    effect: 'changes-verdict',
    summary:
      'vaddr_get_pfn() always pins with get_user_pages_remote(FOLL_LONGTERM) under one mmap_sem hold, ' +
      'dropping the mm == current->mm split and the hand-written fs-DAX check; remote (mdev) pins now ' +
      'migrate CMA pages like local ones.',
    scenarios: [],
  },
  'hypo-longterm-honours-locked': {
    subject: 'HYPOTHETICAL: get_user_pages_remote() honours a non-NULL locked together with FOLL_LONGTERM',
    commit: null,
    hypothetical: true,
    author: 'pinlab',
    release: '-',
    files: ['mm/gup.c'],
    requires: ['gup-remote-longterm'],
    effect: 'changes-verdict',
    summary:
      'Removes the locked != NULL refusal that c4237f8b1f4f kept, so a long-term GUP may drop mmap_sem ' +
      'on VM_FAULT_RETRY and re-take it; the post-hoc fs-DAX check over vmas[] then misses a VMA that ' +
      'replaced the range while the lock was dropped (kernel-semantics.md §1.4).',
    scenarios: [],
  },
} as const satisfies Record<string, PatchInfo>;

export type PatchId = keyof typeof registry;

/** The registry, typed: `PATCHES['gup-remote-longterm']`. */
export const PATCHES: Readonly<Record<PatchId, PatchInfo<PatchId>>> = registry as Record<PatchId, PatchInfo<PatchId>>;

export const PATCH_IDS: readonly PatchId[] = Object.keys(registry) as PatchId[];

export function isPatchId(s: string): s is PatchId {
  return Object.prototype.hasOwnProperty.call(registry, s);
}
