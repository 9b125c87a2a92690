/**
 * The checker's view of iommufd (src/check/iommufd.ts, MachineView, IncrementalSteps):
 * iommufd's pinned pages and IOMMU mappings are listed as long-term pins, held pins and
 * DMA mappings, and a step that breaks them is found by the incremental checker exactly
 * as by the full rescan.
 */
import { describe, expect, it } from 'vitest';
import type { World } from '../../../src/scenario/run.js';
import { runAt } from '../../support/run-at.js';
import { page_count, page_ref_add, page_ref_sub, pte_at, set_pte_at } from '../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../src/linux/include/linux/mm_types.js';
import type { MachineView } from '../../../src/check/view.js';

const BUF = 0x20000000;
const PAGE = 4096;

type Step = (w: World, view: MachineView) => void;

/** Run scenarios/iommufd/map-accounting.yaml on v6.12+iommufd; `at` runs once, after the device is attached and before the unmap. */
function runWith(at: Step): World {
  return runAt('scenarios/iommufd/map-accounting.yaml', 'v6.12+iommufd', (w) => w.rs.results.has('attach') && !w.rs.results.has('unmap'),
    (w) => at(w, w.checker.world as MachineView), { checkMode: 'incremental' });
}

const show = (xs: readonly { id: string; first: { message: string } }[]): string[] => xs.map((x) => `${x.id}: ${x.first.message}`);

describe('the checker sees iommufd', () => {
  it('lists the pages an attached IOAS pins and maps, as pins, held pins and DMA mappings', () => {
    runWith((w, view) => {
      const pins = view.longtermPins().filter((x) => x.holder.startsWith('iommufd area iova'));
      expect(pins).toHaveLength(8);
      expect(view.heldPins().filter((x) => x.holder.startsWith('iommufd area iova') && x.kind === 'pin')).toHaveLength(8);
      const maps = view.dmaMappings().filter((d) => d.where.startsWith('iommufd IOAS#'));
      expect(maps).toHaveLength(8);
      const mm = w.rs.processes.get('P')?.mm ?? null;
      if (mm === null) throw new Error('test bug: no mm');
      // The device reaches the frame the process maps at the same address.
      expect(maps.map((d) => d.processPfn)).toEqual(maps.map((d) => d.iommuPfn));
      expect(maps[1].iommuPfn).toBe(pte_pfn(pte_at(mm, BUF + PAGE)));
      // user->locked_vm is charged by default (IOPT_PAGES_ACCOUNT_USER): nothing expected on mm->locked_vm.
      expect(view.expectedLockedVm(mm.id)).toBe(0);
      expect(show(w.checker.current())).toEqual([]);
    });
  });

  it('finds a process remapping under an iommufd mapping, incrementally as by rescan', () => {
    runWith((w) => {
      const mm = w.rs.processes.get('P')?.mm ?? null;
      if (mm === null) throw new Error('test bug: no mm');
      // Swap the process's PTEs of pages 0 and 1 (the IOMMU keeps the old frames).
      const a = pte_at(mm, BUF);
      const b = pte_at(mm, BUF + PAGE);
      set_pte_at(mm, BUF, b);
      set_pte_at(mm, BUF + PAGE, a);
      const inc = show(w.checker.current());
      expect(inc).toEqual(show(w.checker.rescan()));
      expect(inc.some((x) => x.startsWith('dma-coherent-with-process: iommufd IOAS#'))).toBe(true);
      set_pte_at(mm, BUF, a);
      set_pte_at(mm, BUF + PAGE, b);
      expect(show(w.checker.current())).toEqual([]);
    });
  });

  it('finds an iommufd-mapped frame freed under the device, incrementally as by rescan', () => {
    runWith((w) => {
      const mm = w.rs.processes.get('P')?.mm ?? null;
      if (mm === null) throw new Error('test bug: no mm');
      const pfn = pte_pfn(pte_at(mm, BUF + 2 * PAGE));
      const n = page_count(w.m, pfn);
      page_ref_sub(w.m, pfn, n);
      const inc = show(w.checker.current());
      expect(inc).toEqual(show(w.checker.rescan()));
      expect(inc.some((x) => x.startsWith('dma-target-is-live: iommufd IOAS#'))).toBe(true);
      page_ref_add(w.m, pfn, n);
      expect(show(w.checker.current())).toEqual([]);
    });
  });
});
