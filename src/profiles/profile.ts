/**
 * Profiles: a release plus or minus named patches.
 *
 *   v5.6                                  a release
 *   v5.4+gup-remote-longterm              a backport
 *   v5.6+hypo-longterm-honours-locked     a hypothetical ablation
 *   --profile v5.6 --patch -vfio-longterm-via-gup
 *
 * Resolution rejects, by name, unknown releases and patches, a patch added twice or
 * removed when absent, and any profile in which a patch misses a patch it requires
 * or meets one it conflicts with.
 */
import type { ConfigId } from './configs.js';
import { isConfigId } from './configs.js';
import type { PatchId } from './patches.js';
import { PATCHES, PATCH_IDS, isPatchId } from './patches.js';
import { RELEASES, RELEASE_TAGS, releasePatches } from './releases.js';

export interface Profile {
  /** Canonical name: the release, then `+id` for added and `-id` for removed patches. */
  readonly name: string;
  readonly release: string;
  readonly patches: ReadonlySet<PatchId>;
  readonly configs: ReadonlySet<ConfigId>;
  readonly added: readonly PatchId[];
  readonly removed: readonly PatchId[];
  /** True if any patch in the profile is a hypothetical (model-only) ablation. */
  readonly hypothetical: boolean;
}

export type ProfileErrorCode =
  | 'unknown-release'
  | 'unknown-patch'
  | 'bad-patch-argument'
  | 'already-present'
  | 'not-present'
  | 'missing-requirement'
  | 'conflict'
  | 'unknown-config';

export interface ProfileError {
  readonly code: ProfileErrorCode;
  readonly message: string;
}

export type ProfileResult = { readonly ok: true; readonly profile: Profile } | { readonly ok: false; readonly error: ProfileError };

function fail(code: ProfileErrorCode, message: string): ProfileResult {
  return { ok: false, error: { code, message } };
}

/** Longest key of `keys` that `s` starts with at `pos`, followed by the end or a `+`/`-`. */
function longestAt(s: string, pos: number, keys: readonly string[]): string | null {
  let best: string | null = null;
  for (const k of keys) {
    if (!s.startsWith(k, pos)) continue;
    const after = s[pos + k.length];
    if (after !== undefined && after !== '+' && after !== '-') continue;
    if (best === null || k.length > best.length) best = k;
  }
  return best;
}

/**
 * Resolve `spec` (a release tag with optional `+id`/`-id` suffixes) and extra
 * `--patch` arguments (`+id`, `-id` or a bare id meaning `+id`).
 */
export function resolveProfile(spec: string, patchArgs: readonly string[] = [], configOff: readonly string[] = []): ProfileResult {
  const tag = longestAt(spec, 0, RELEASE_TAGS);
  if (tag === null) {
    return fail('unknown-release', `unknown profile '${spec}': a profile starts with a release (${RELEASE_TAGS.join(', ')}), optionally followed by +patch or -patch`);
  }
  const mods: { sign: '+' | '-'; id: PatchId }[] = [];
  let pos = tag.length;
  while (pos < spec.length) {
    const sign = spec[pos] as '+' | '-';
    const id = longestAt(spec, pos + 1, PATCH_IDS);
    if (id === null) {
      const rest = spec.slice(pos + 1);
      return fail('unknown-patch', `unknown patch '${rest}' in profile '${spec}' (see: pinlab patches)`);
    }
    mods.push({ sign, id: id as PatchId });
    pos += 1 + id.length;
  }
  for (const arg of patchArgs) {
    const m = /^([+-]?)(.+)$/.exec(arg.trim());
    if (m === null) return fail('bad-patch-argument', `bad --patch argument '${arg}': expected +id or -id`);
    if (!isPatchId(m[2])) return fail('unknown-patch', `unknown patch '${m[2]}' in --patch ${arg} (see: pinlab patches)`);
    mods.push({ sign: m[1] === '-' ? '-' : '+', id: m[2] });
  }

  // One patch, one modification: `+X` with `-X` (or `+X` twice) names no profile.
  for (let i = 0; i < mods.length; i++) {
    const j = mods.findIndex((m) => m.id === mods[i].id);
    if (j < i) {
      const both = mods[j].sign !== mods[i].sign;
      return fail('conflict', `patch '${mods[i].id}' is ${both ? 'both added and removed' : `${mods[i].sign === '+' ? 'added' : 'removed'} twice`} in profile '${spec}'${patchArgs.length > 0 ? ` with --patch ${patchArgs.join(' ')}` : ''}`);
    }
  }

  const set = releasePatches(tag);
  const added: PatchId[] = [];
  const removed: PatchId[] = [];
  for (const { sign, id } of mods) {
    if (sign === '+') {
      if (set.has(id)) return fail('already-present', `patch '${id}' is already in ${tag}${added.length + removed.length > 0 ? ' (or was added twice)' : ''}`);
      set.add(id);
      added.push(id);
    } else {
      if (!set.has(id)) return fail('not-present', `patch '${id}' is not in ${tag}, so it cannot be removed`);
      set.delete(id);
      removed.push(id);
    }
  }

  const configs = new Set<ConfigId>(RELEASES.get(tag)?.configs ?? []);
  for (const c of configOff) {
    if (!isConfigId(c)) return fail('unknown-config', `unknown config option '${c}'`);
    configs.delete(c);
  }

  const name = tag + PATCH_IDS.filter((p) => added.includes(p)).map((p) => `+${p}`).join('') + PATCH_IDS.filter((p) => removed.includes(p)).map((p) => `-${p}`).join('');
  for (const p of PATCH_IDS) {
    if (!set.has(p)) continue;
    for (const r of PATCHES[p].requires ?? []) {
      if (!set.has(r)) return fail('missing-requirement', `profile '${name}' is impossible: patch '${p}' requires '${r}', which the profile does not have`);
    }
    for (const c of PATCHES[p].conflicts ?? []) {
      if (set.has(c)) return fail('conflict', `profile '${name}' is impossible: patch '${p}' conflicts with '${c}'`);
    }
  }
  const hypothetical = [...set].some((p) => PATCHES[p].hypothetical === true);
  return {
    ok: true,
    profile: { name, release: RELEASES.get(tag)?.kernel ?? tag, patches: set, configs, added, removed, hypothetical },
  };
}

/** Resolve a profile that is known to be valid (tests, built-in tables); a bad one is a pinlab bug. */
export function profileOrThrow(spec: string, patchArgs: readonly string[] = []): Profile {
  const r = resolveProfile(spec, patchArgs);
  if (!r.ok) throw new Error(`pinlab bug: built-in profile '${spec}' does not resolve: ${r.error.message}`);
  return r.profile;
}
