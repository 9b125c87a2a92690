/**
 * The oracle for the GUP table tests: the expected return value of an entry point
 * for a backing, written from each release's mm/gup.c (cited per rule), NOT from the
 * model. Profiles: v5.4 (5.4.1; v5.5 = 5.5-rc5 behaves the same), v5.6 (5.6.4),
 * v6.1 (Debian 6.1.192), v6.12 (Debian 6.12.117). 4-page ranges; "N" = 4.
 */
export type Prof = 'v5.4' | 'v5.5' | 'v5.6' | 'v6.1' | 'v6.12';
export type Api = 'gup' | 'gup_remote' | 'gup_unlocked' | 'gup_fast' | 'pup' | 'pup_remote' | 'pup_unlocked' | 'pup_fast';
export type Backing = 'anon' | 'anon-shared' | 'memfd' | 'tmpfs-shared' | 'ext4-shared' | 'ext4-private' | 'fsdax-shared' | 'anon-untouched';

export interface Case {
  readonly prof: Prof;
  readonly api: Api;
  readonly backing: Backing;
  readonly write: boolean;
  readonly longterm: boolean;
  /** `locked` passed non-NULL (only _remote). */
  readonly locked: boolean;
}

/** 'n/a': the entry point does not exist in that release (the model reports unsupported). */
export type Expect = number | 'n/a';

export interface Oracle {
  readonly ret: Expect;
  /** Where the rule comes from. */
  readonly why: string;
}

const N = 4;
const EINVAL = -22;
const EFAULT = -14;
const EOPNOTSUPP = -95;

const old = (p: Prof): boolean => p === 'v5.4' || p === 'v5.5';

/** Argument validation per release (§2.3 of checked against the trees). */
function validate(c: Case): Oracle | null {
  const { prof: p, api, longterm: lt, locked } = c;
  const isPin = api.startsWith('pup');
  if (isPin && old(p)) return { ret: 'n/a', why: 'pin_user_pages*() first appear in 5.6 (eddb1c228f79)' };
  if (api === 'pup_unlocked' && (p === 'v5.6')) return { ret: 'n/a', why: 'pin_user_pages_unlocked() appears in 5.9' };
  if (old(p)) {
    if (api === 'gup_remote' && lt) return { ret: EINVAL, why: '5.4.1 get_user_pages_remote: WARN_ON_ONCE(FOLL_LONGTERM) → -EINVAL' };
    if (api === 'gup_unlocked' && lt) return { ret: EINVAL, why: '5.4.1 get_user_pages_unlocked: WARN_ON_ONCE(FOLL_LONGTERM) → -EINVAL' };
    return null;
  }
  if (p === 'v5.6') {
    // pin_* are aliases of the get_* twins in 5.6.4.
    if ((api === 'gup_remote' || api === 'pup_remote') && lt && locked) return { ret: EINVAL, why: '5.6.4 get_user_pages_remote: FOLL_LONGTERM with locked → WARN, -EINVAL (c4237f8b1f4f)' };
    if (api === 'gup_unlocked' && lt) return { ret: EINVAL, why: '5.6.4 get_user_pages_unlocked: FOLL_LONGTERM → -EINVAL' };
    return null;
  }
  if (p === 'v6.1') {
    if (!isPin && lt) return { ret: EINVAL, why: '6.1.192 is_valid_gup_flags: FOLL_LONGTERM from get_user_pages* → -EINVAL (447f3e45c18a)' };
    if (api === 'pup_remote' && lt && locked) return { ret: EINVAL, why: '6.1.192 __get_user_pages_remote: FOLL_LONGTERM with locked → WARN, -EINVAL' };
    if (api === 'pup_unlocked' && lt) return { ret: EINVAL, why: '6.1.192 pin_user_pages_unlocked → get_user_pages_unlocked: FOLL_LONGTERM → -EINVAL' };
    return null;
  }
  // v6.12: is_valid_gup_args; get_* FOLL_LONGTERM without FOLL_PIN → -EINVAL.
  if (!isPin && lt) return { ret: EINVAL, why: '6.12.117 is_valid_gup_args: FOLL_LONGTERM without FOLL_PIN → get_* return -EINVAL' };
  return null;
}

/** What the walk gives for the backing once the arguments are accepted. */
function walk(c: Case): Oracle {
  const { prof: p, backing: b, write: w, longterm: lt, api } = c;
  const isPin = api.startsWith('pup');
  if (b === 'fsdax-shared' && lt) {
    if (p === 'v6.1' || p === 'v6.12') return { ret: EOPNOTSUPP, why: 'check_vma_flags: FOLL_LONGTERM on vma_is_fsdax → -EOPNOTSUPP (52650c8b466b, in 6.1.192 and 6.12.117)' };
    return { ret: EOPNOTSUPP, why: '5.4.1/5.6.4 __gup_longterm_locked: check_dax_vmas → put every page, -EOPNOTSUPP' };
  }
  if (b === 'ext4-shared' && lt && w && isPin && p === 'v6.12') {
    return { ret: EFAULT, why: '6.12.117 check_vma_flags → writable_file_mapping_allowed: PIN|LONGTERM|WRITE on a file needing dirty tracking → -EFAULT (8ac268436e6d)' };
  }
  return { ret: N, why: 'all pages present and permitted: N' };
}

export function oracle(c: Case): Oracle {
  return validate(c) ?? walk(c);
}
