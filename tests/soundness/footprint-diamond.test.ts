/**
 * The footprints' claim checked directly (src/scenario/access-footprint.ts,
 * src/scenario/object-footprint.ts): two adjacent steps of different threads whose
 * footprints are independent commute. On seeded random runs of corpus scenarios, every
 * such pair is executed in the other order (the same prefix, the two steps swapped, the
 * same remainder) and must reach the same state (world fingerprint and thread positions)
 * right after the pair and the same final world and outcome at the end. A read the model
 * makes without reporting it (a folio slot or PTE table kept across a scheduling point)
 * shows here as a pair called independent that does not commute.
 *
 * Also checked per step: the tracked objects' writes are found whenever the world changed
 * outside the locks (AccessFootprints throws otherwise). No pair in these runs depends on
 * a folio or PTE read alone (every step that changes what another reads also changes the
 * rest of the world); tests/unit/scenario/object-footprint.test.ts shows the check failing
 * on a pair that does, when PTE reads are not reported.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../src/scenario/parse.js';
import { scenarioTarget } from '../../src/scenario/run.js';
import { diamonds } from './diamond.js';

const root = join(import.meta.dirname, '..', '..');

/** Scenario file → profiles (null: all it declares). */
const SUBSET: readonly [string, readonly string[] | null][] = [
  ['scenarios/concurrency/pin-vs-madv-dontneed.yaml', ['v6.1']],
  ['scenarios/concurrency/pin-vs-madv-pageout.yaml', ['v6.12']],
  ['scenarios/concurrency/truncate-vs-shortterm-pin-outcomes.yaml', ['v6.1']],
  ['scenarios/seed/longterm-locked-race.yaml', ['v5.6']],
  ['scenarios/concurrency/fork-vs-map-dma.yaml', ['v6.1']],
  ['scenarios/remote/proc-mem-write-vs-store.yaml', null],
];

describe('independent steps commute (footprint diamonds)', () => {
  it('every adjacent independent pair of seeded random runs reaches the same state in the other order', () => {
    let checked = 0;
    const failures: string[] = [];
    for (const [file, profiles] of SUBSET) {
      const p = parseScenario(readFileSync(join(root, file), 'utf8'), file);
      if (!p.ok) throw new Error(`${file} does not parse`);
      for (const pe of p.scenario.expect) {
        if (profiles !== null && !profiles.includes(pe.profile.name)) continue;
        const target = scenarioTarget(p.scenario, pe.profile);
        for (let seed = 1; seed <= 12; seed++) {
          const d = diamonds(target, seed, `${file} ${pe.profile.name} seed ${seed}`);
          checked += d.checked;
          failures.push(...d.failures);
        }
      }
    }
    if (process.env.DIAMOND_DEBUG !== undefined) console.log(`diamonds: ${checked} pairs checked`);
    expect(failures).toEqual([]);
    expect(checked).toBeGreaterThan(50);
  });
});
