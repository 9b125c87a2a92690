/**
 * src/scenario/object-footprint.ts and access-footprint.ts: per-object footprints of the
 * model's own steps (PTEs and folios), and the diamond check (tests/soundness/diamond.ts)
 * failing when a read is not reported.
 *
 * Two threads of one mm: A writes PTE x; B reads PTE x, and in its next step writes PTE y
 * with what it read. The order of A's write and B's read decides y, so the two steps must be
 * dependent: with the reads reported they are (r:p<mm>.0.<x> against w:p<mm>.0.<x>); with
 * the table's read_pte silenced they look independent, and swapping them changes the end.
 *
 * The reporting is per run: a tracked run's own MemMap and page tables report (ReadHooks),
 * nothing process-wide, so a silenced run leaves the next one as it was.
 */
import { describe, expect, it } from 'vitest';
import type { ExploreRun, ExploreTarget } from '../../../src/explore/explore.js';
import { explore } from '../../../src/explore/explore.js';
import { Kctx } from '../../../src/linux/kctx.js';
import { pte_at, set_pte_at } from '../../../src/linux/include/linux/mm.js';
import { _PAGE_PRESENT, mk_pte } from '../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../src/linux/include/linux/mm_types.js';
import { mm_fingerprint } from '../../../src/linux/mm/fingerprint.js';
import { AccessFootprints } from '../../../src/scenario/access-footprint.js';
import type { SchedOptions } from '../../../src/sched/index.js';
import { DefaultChooser, Sched, point } from '../../../src/sched/index.js';
import { diamonds } from '../../soundness/diamond.js';
import { machine, task } from '../linux/mm/harness.js';

const X = 0x1000;
const Y = 0x3000;
const Z = 0x5000;

/** The two-thread program as an explorer target; `silence`: no PTE read is reported. */
function target(silence: boolean): ExploreTarget {
  return {
    invariants: [],
    footprints: true,
    observes: ['world'],
    start(opts: SchedOptions): ExploreRun {
      const m = machine('v6.1');
      const t = task(m);
      const mm = t.mm as mm_struct;
      set_pte_at(mm, Z, mk_pte(7, _PAGE_PRESENT)); // the table exists from the start
      const s = new Sched(opts);
      m.sched = s;
      const fp = new AccessFootprints(s, () => mm_fingerprint(m), m);
      // An own property shadows the reporting subclass ReadHooks installs: this table reports no PTE read.
      if (silence) mm.pgd.pmd.read_pte = (): void => {};
      s.spawn('A', (tid) => {
        void new Kctx(m, s, tid, t);
        return (function* () {
          yield* point('test.c:a:start');
          set_pte_at(mm, X, mk_pte(5, _PAGE_PRESENT));
          yield* point('test.c:a:wrote');
        })();
      });
      s.spawn('B', (tid) => {
        void new Kctx(m, s, tid, t);
        return (function* () {
          yield* point('test.c:b:start');
          const v = pte_at(mm, X);
          yield* point('test.c:b:read', `${v}`);
          set_pte_at(mm, Y, mk_pte(v === 0 ? 1 : 2, _PAGE_PRESENT));
        })();
      });
      return {
        sched: s,
        fingerprint: () => fp.fingerprint(),
        footprint: () => fp.next(),
        stepInput: () => fp.stepInput(),
        check: () => [],
        outcome: () => ({ key: String(pte_at(mm, Y)), values: { y: String(pte_at(mm, Y)) } }),
      };
    },
  };
}

describe('per-object footprints', () => {
  it('a PTE write and a read of it are dependent; writes of tracked objects alone do not write world', () => {
    const fps: (readonly string[] | null)[] = [];
    const t = target(false);
    let run: ExploreRun | null = null;
    run = t.start({ chooser: new DefaultChooser(), afterStep: () => (fps.push((run as ExploreRun).footprint?.() ?? null), false) });
    run.footprint?.();
    run.sched.run();
    if (process.env.DIAMOND_DEBUG !== undefined) console.log(JSON.stringify(fps));
    const flat = fps.map((f) => (f === null ? 'null' : f.filter((x) => x !== 'r:world').join(' ')));
    // A's write, B's read, B's write of y: PTE entries of table 0 of the task's mm.
    expect(flat.some((f) => /^w:p\d+\.0\.1 r:p\d+\.0\.1$/.test(f))).toBe(true);
    expect(flat.some((f) => /^r:p\d+\.0\.1$/.test(f))).toBe(true);
    expect(flat.some((f) => /^w:p\d+\.0\.3 r:p\d+\.0\.3$/.test(f))).toBe(true);
    expect(flat.some((f) => f.includes('w:world'))).toBe(false);
  });

  it('the diamond check passes with the reads reported and fails when PTE reads are silenced', () => {
    const good: string[] = [];
    const bad: string[] = [];
    for (let seed = 1; seed <= 10; seed++) {
      good.push(...diamonds(target(false), seed, 'reported').failures);
      bad.push(...diamonds(target(true), seed, 'silenced').failures);
    }
    expect(good).toEqual([]);
    expect(bad.length).toBeGreaterThan(0);
    expect(bad[0]).toContain('different');
  });

  it('the explorer finds both values of y with DPOR and with the history key', () => {
    for (const cache of ['positions', 'history'] as const) {
      const r = explore(target(false), { cache });
      expect(r.reduction).toBe('dpor');
      expect(r.complete).toBe(true);
      expect(r.outcomes.map((o) => o.values.y).sort()).toEqual([String(mk_pte(1, _PAGE_PRESENT)), String(mk_pte(2, _PAGE_PRESENT))]);
    }
  });
});
