/**
 * Reuse of runs across a scenario's profiles (src/scenario/reuse.ts, src/profiles/reads.ts;
 * issue 15 item 4): the reads a computation makes of its profile are recorded with their
 * answers; a profile that answers all of them alike gets the runs of the first, and the
 * judge's result is then the one a fresh judge gives. A profile that differs in one read
 * patch does not, and there the results do differ (so a key that left the read out would
 * hand out a wrong result, which the equality tests below would catch).
 */
import { describe, expect, it } from 'vitest';
import { loadOrThrow } from '../../../src/cli/io.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import { recordingProfile, sameAnswers } from '../../../src/profiles/reads.js';
import { judgeProfile } from '../../../src/scenario/judge.js';
import type { JudgeResult } from '../../../src/scenario/judge.js';
import { RunReuse, optionsKey } from '../../../src/scenario/reuse.js';
import { foll_unknown_bits } from '../../../src/linux/mm/gup.js';
import { FOLL_RELEASES, foll_known_mask } from '../../../src/linux/include/linux/foll.js';
import type { Kctx } from '../../../src/linux/kctx.js';
import type { Scenario } from '../../../src/scenario/ast.js';

function judgeAll(s: Scenario, reuse: RunReuse | undefined, noExplore: boolean): JudgeResult[] {
  return s.expect.map((pe) => judgeProfile(s, pe, { noExplore, ...(reuse === undefined ? {} : { reuse }) }));
}

describe('recording profile', () => {
  it('records each membership question with its answer, the release, and whole-set reads', () => {
    const p = profileOrThrow('v6.1');
    const rec = recordingProfile(p);
    expect(rec.profile.patches.has('foll-pin-counting')).toBe(true);
    expect(rec.profile.patches.has('hypo-longterm-honours-locked')).toBe(false);
    expect(rec.profile.configs.has('CONFIG_FS_DAX')).toBe(p.configs.has('CONFIG_FS_DAX'));
    let r = rec.reads();
    expect([...r.patches]).toEqual([['foll-pin-counting', true], ['hypo-longterm-honours-locked', false]]);
    expect(r.release).toBeNull();
    expect(r.allPatches).toBeNull();
    expect(rec.profile.release).toBe(p.release);
    expect([...rec.profile.patches].length).toBe(p.patches.size);
    r = rec.reads();
    expect(r.release).toBe(p.release);
    expect(r.allPatches).toBe(p.patches);
    expect(r.allConfigs).toBeNull();
  });

  it('sameAnswers: equal on the read patches is enough; one read patch answered otherwise is not', () => {
    const rec = recordingProfile(profileOrThrow('v6.1'));
    rec.profile.patches.has('foll-pin-counting');
    rec.profile.patches.has('gup-unlockable');
    // v6.12 has gup-unlockable, v6.1 does not; v6.1-vfio-unmap-all differs only in a patch not read.
    expect(sameAnswers(rec.reads(), profileOrThrow('v6.1-vfio-unmap-all'))).toBe(true);
    expect(sameAnswers(rec.reads(), profileOrThrow('v6.12'))).toBe(false);
    expect(sameAnswers(rec.reads(), profileOrThrow('v5.6'))).toBe(false);
    void rec.profile.release;
    expect(sameAnswers(rec.reads(), profileOrThrow('v6.1-vfio-unmap-all'))).toBe(true);
    expect(sameAnswers(rec.reads(), profileOrThrow('v6.2-foll-pci-p2pdma'))).toBe(false);
  });

  it('a progress callback makes the options incomparable (no reuse)', () => {
    expect(optionsKey(false, { onProgress: () => undefined })).toBeNull();
    expect(optionsKey(false, { maxSchedules: Infinity })).not.toBe(optionsKey(false, { maxSchedules: 5 }));
    expect(optionsKey(true, undefined)).not.toBe(optionsKey(false, undefined));
  });
});

describe('foll_unknown_bits reads the release only for bits some release lacks', () => {
  it('gives the table answer for every release, common and release-only bits alike', () => {
    for (const release of FOLL_RELEASES) {
      const rec = recordingProfile({ ...profileOrThrow('v6.1'), release });
      const k = { profile: rec.profile } as unknown as Kctx;
      const mask = foll_known_mask(release);
      for (let bit = 0; bit < 26; bit++) {
        for (const base of [0, 1 | (1 << 16)]) {
          const flags = base | (1 << bit);
          expect(foll_unknown_bits(k, flags), `${release} bit ${bit}`).toBe(flags & ~mask);
        }
      }
    }
  });
});

// Scenarios whose profiles share runs (some of them, not all), with exploration.
const SHARED = ['scenarios/gup/pin-with-foll-get.yaml', 'scenarios/vfio/group-open-busy.yaml', 'scenarios/io/pread-pwrite-bytes-tmpfs.yaml'];

describe('judging with reuse equals judging afresh', () => {
  for (const file of SHARED) {
    it(`${file}: every profile's result as a fresh judge gives it, with some runs reused`, () => {
      const s = loadOrThrow(file);
      const reuse = new RunReuse();
      const shared = judgeAll(s, reuse, false);
      const fresh = judgeAll(s, undefined, false);
      expect(reuse.hits).toBeGreaterThan(0);
      expect(reuse.hits + reuse.misses).toBe(s.expect.length);
      expect(shared).toEqual(fresh);
    });
  }

  it('a profile that answers one read patch otherwise is computed afresh, and its result differs', () => {
    // truncate-vs-pin-in-dax-pmd: 5.7 leaks the refused FOLL_PIN's references (refs 1025), 5.6 does not (refs 2).
    const s = loadOrThrow('scenarios/concurrency/truncate-vs-pin-in-dax-pmd.yaml');
    const pick = (spec: string): Scenario => ({ ...s, expect: s.expect.filter((e) => e.spec === spec) });
    const v57 = pick('v5.7');
    const v56 = pick('v5.6');
    const rec = recordingProfile(v57.expect[0].profile);
    judgeProfile(v57, { ...v57.expect[0], profile: rec.profile }, { noExplore: true });
    expect(sameAnswers(rec.reads(), v56.expect[0].profile)).toBe(false);
    const reuse = new RunReuse();
    const both: Scenario = { ...s, expect: [v57.expect[0], v56.expect[0]] };
    const shared = judgeAll(both, reuse, true);
    expect(reuse.hits).toBe(0);
    expect(shared).toEqual(judgeAll(both, undefined, true));
    expect(shared[0].outcome.values.get('refs')).not.toEqual(shared[1].outcome.values.get('refs'));
  });
});
