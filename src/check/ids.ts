/**
 * The names of the invariants (design.md principle 6). Declared here, below the
 * scenario layer, so scenario files can be validated against them; each invariant's
 * title, motivation and checker live in invariants.ts.
 */
export const INVARIANT_IDS = [
  'no-longterm-pin-on-fsdax',
  'no-longterm-pin-on-cma-or-movable',
  'dma-target-is-live',
  'dma-coherent-with-process',
  'locked-vm-accounting',
  'pin-balance-at-exit',
  'no-stale-vma-use',
  'fs-progress',
  'refcount-sane',
  'lock-held-at-exit',
  'deadlock',
  'sleep-in-atomic',
] as const;

export type InvariantId = (typeof INVARIANT_IDS)[number];

export function isInvariantId(s: string): s is InvariantId {
  return (INVARIANT_IDS as readonly string[]).includes(s);
}

/** Whether a violation is reachable on no schedule, some, or every complete schedule. */
export type Verdict = 'never' | 'sometimes' | 'always';

export const VERDICTS: readonly Verdict[] = ['never', 'sometimes', 'always'];
