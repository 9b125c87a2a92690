import { describe, expect, it } from 'vitest';
import { PATCHES, PATCH_IDS, RELEASES, RELEASE_TAGS, releasePatches, resolveProfile } from '../../../src/profiles/index.js';

describe('patch registry', () => {
  it('has real-looking commit ids, and none for hypothetical patches', () => {
    for (const id of PATCH_IDS) {
      const p = PATCHES[id];
      if (p.hypothetical === true) {
        expect(p.commit, id).toBeNull();
        expect(p.release, id).toBe('-');
        expect(id.startsWith('hypo-'), `${id}: hypothetical ids start with hypo-`).toBe(true);
      } else {
        expect(p.commit, id).toMatch(/^[0-9a-f]{12}$/);
        expect(p.release, id).toMatch(/^v\d+\.\d+$/);
      }
      expect(id).toMatch(/^[a-z0-9]+(-[a-z0-9]+)*$/);
      expect(p.files.length, `${id} names the files it touched`).toBeGreaterThan(0);
    }
  });

  it('references only known patches in requires/conflicts', () => {
    for (const id of PATCH_IDS) {
      for (const r of [...(PATCHES[id].requires ?? []), ...(PATCHES[id].conflicts ?? [])]) {
        expect(PATCH_IDS, `${id} -> ${r}`).toContain(r);
      }
    }
  });

  it('never puts a hypothetical patch into a release, and every release is consistent', () => {
    for (const tag of RELEASE_TAGS) {
      const set = releasePatches(tag);
      for (const p of set) expect(PATCHES[p].hypothetical, `${tag} contains ${p}`).toBeUndefined();
      const r = resolveProfile(tag);
      expect(r.ok, `${tag}: ${r.ok ? '' : r.error.message}`).toBe(true);
    }
  });

  it('has unique commit ids', () => {
    const seen = new Map<string, string>();
    for (const id of PATCH_IDS) {
      const c = PATCHES[id].commit;
      if (c === null) continue;
      expect(seen.get(c), `${id} and ${seen.get(c)} share ${c}`).toBeUndefined();
      seen.set(c, id);
    }
  });
});

describe('releases', () => {
  it('v5.4 and v5.5 are pre seed patch, v5.6 and later have the pair', () => {
    for (const tag of ['v5.4', 'v5.5']) {
      expect(releasePatches(tag).has('gup-remote-longterm')).toBe(false);
      expect(releasePatches(tag).has('vfio-longterm-via-gup')).toBe(false);
    }
    for (const tag of ['v5.6', 'v6.1', 'v6.12']) {
      expect(releasePatches(tag).has('gup-remote-longterm')).toBe(true);
      expect(releasePatches(tag).has('vfio-longterm-via-gup')).toBe(true);
    }
  });

  it('the judged releases name their real kernel', () => {
    expect(RELEASES.get('v6.1')?.judge).toMatch(/6\.1/);
    expect(RELEASES.get('v6.12')?.judge).toMatch(/6\.12/);
  });
});

describe('resolveProfile', () => {
  it('resolves a plain release', () => {
    const r = resolveProfile('v5.6');
    expect(r.ok && r.profile.name).toBe('v5.6');
    expect(r.ok && r.profile.hypothetical).toBe(false);
  });

  it('resolves a hypothetical ablation written in the profile name', () => {
    const r = resolveProfile('v5.6+hypo-longterm-honours-locked');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.hypothetical).toBe(true);
    expect(r.profile.patches.has('hypo-longterm-honours-locked')).toBe(true);
    expect(r.profile.added).toEqual(['hypo-longterm-honours-locked']);
  });

  it('resolves a backport given as --patch arguments and names it canonically', () => {
    const r = resolveProfile('v5.4', ['+gup-remote-longterm', 'vfio-longterm-via-gup']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.profile.name).toBe('v5.4+gup-remote-longterm+vfio-longterm-via-gup');
    const again = resolveProfile(r.profile.name);
    expect(again.ok && [...again.profile.patches].sort()).toEqual([...r.profile.patches].sort());
  });

  it('removes a patch with -id', () => {
    const r = resolveProfile('v5.6', ['-vfio-longterm-via-gup']);
    expect(r.ok && r.profile.patches.has('vfio-longterm-via-gup')).toBe(false);
    expect(r.ok && r.profile.name).toBe('v5.6-vfio-longterm-via-gup');
  });

  const bad: [string, string[], string, RegExp][] = [
    ['v9.9', [], 'unknown-release', /unknown profile 'v9\.9'/],
    ['v5.4x', [], 'unknown-release', /unknown profile/],
    ['v5.6+no-such-patch', [], 'unknown-patch', /unknown patch 'no-such-patch'/],
    ['v5.6', ['+no-such-patch'], 'unknown-patch', /unknown patch 'no-such-patch' in --patch/],
    ['v5.6', ['+gup-remote-longterm'], 'already-present', /already in v5\.6/],
    ['v5.4', ['-gup-remote-longterm'], 'not-present', /is not in v5\.4/],
    ['v5.4+vfio-longterm-via-gup', [], 'missing-requirement', /requires 'gup-remote-longterm'/],
    ['v5.6-gup-remote-longterm', [], 'missing-requirement', /'vfio-longterm-via-gup' requires 'gup-remote-longterm'/],
    ['v5.4+hypo-longterm-honours-locked', [], 'missing-requirement', /requires 'gup-remote-longterm'/],
  ];
  for (const [spec, args, code, msg] of bad) {
    it(`rejects ${spec} ${args.join(' ')} with ${code}`, () => {
      const r = resolveProfile(spec, args);
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error.code).toBe(code);
      expect(r.error.message).toMatch(msg);
    });
  }

  it('rejects an unknown config option', () => {
    const r = resolveProfile('v6.1', [], ['CONFIG_NOPE']);
    expect(!r.ok && r.error.code).toBe('unknown-config');
  });

  it('can switch a config off', () => {
    const r = resolveProfile('v6.1', [], ['CONFIG_FS_DAX']);
    expect(r.ok && r.profile.configs.has('CONFIG_FS_DAX')).toBe(false);
  });
});
