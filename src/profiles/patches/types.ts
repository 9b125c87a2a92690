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
}


/** Release tag → patches of an area that first appear in (or were backported into) that release. */
export type ReleaseAdds<Id extends string> = Readonly<Partial<Record<'v5.4' | 'v5.5' | 'v5.6' | 'v6.1' | 'v6.12', readonly Id[]>>>;
