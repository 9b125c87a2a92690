/** Every invariant has an entry in docs/invariants.md (what it checks, which pinners, release-relative or not). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { INVARIANT_IDS } from '../../../src/check/ids.js';

describe('docs/invariants.md', () => {
  it('has one section per invariant, each saying what it checks, its pinners and whether it is release-relative', () => {
    const doc = readFileSync(new URL('../../../docs/invariants.md', import.meta.url), 'utf8');
    const sections = doc.split(/^## /m).slice(1);
    const ids = sections.map((s) => s.slice(0, s.indexOf('\n')).trim());
    expect(ids).toEqual([...INVARIANT_IDS]);
    for (const s of sections) {
      expect(s, s.slice(0, 40)).toContain('**Checks**');
      expect(s, s.slice(0, 40)).toContain('**Pinners**');
      expect(s, s.slice(0, 40)).toContain('**Release-relative**');
    }
  });
});
