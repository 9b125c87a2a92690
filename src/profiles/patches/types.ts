/** Types of the patch registry (see ../patches.ts). */

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
  /**
   * Other upstream changes the model switches on this entry (stand-ins), because their own
   * commit is not verified yet. Each names its first release, or the bracket of releases
   * the trees read leave open; a release profile that falls where this entry and a folded
   * change disagree, or inside an open bracket, is rejected by tests/patch-reads.test.ts.
   */
  readonly folds?: readonly PatchFold[];
}

/** A change folded into (switched on) another registry entry. */
export interface PatchFold {
  /** What the folded change does, in the model's terms (and where the model reads it). */
  readonly change: string;
  /** Its upstream commit id, or null when UNVERIFIED. */
  readonly commit: string | null;
  /** Earliest release that may contain it (`v5.16`). */
  readonly from: string;
  /** Latest release by which it is certainly in (equal to `from` when the first release is known). */
  readonly by: string;
}


/**
 * Release tag → patches of an area that the distribution tree a release stands for carries
 * although their first mainline release is later (stable backports). Patches whose first
 * release is at or before a tag are in it without being listed (releases.ts).
 */
export type ReleaseAdds<Id extends string> = Readonly<Partial<Record<string, readonly Id[]>>>;
