/**
 * The full rescan's readers of iommufd (src/check/iommufd.ts), called directly at chosen
 * points of corpus scenarios: which pages count as pinned and by whom, which IOMMU mappings
 * are compared with the process (not a file's, not an exited task's), and what is charged to
 * an mm's locked_vm. The incremental checker is compared against these readers elsewhere;
 * here their own answers are pinned.
 */
import { describe, expect, it } from 'vitest';
import type { World } from '../../../src/scenario/run.js';
import { runAt } from '../../support/run-at.js';
import { iommufdDmaMappings, iommufdLockedPages, iommufdLongtermPins, usesIommufd } from '../../../src/check/iommufd.js';
import type { iopt_pages } from '../../../src/linux/drivers/iommu/iommufd/iommufd_private.js';
import { pte_at } from '../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../src/linux/include/linux/mm_types.js';

/** The iopt_pages of every area of every IOAS (each once). */
function ioasPages(w: World): iopt_pages[] {
  const out: iopt_pages[] = [];
  for (const ictx of w.m.iommufd?.ctxs ?? []) {
    for (const o of ictx.objects.values()) {
      if (!('iopt' in o)) continue;
      for (const a of o.iopt.areas) if (a.pages !== null && !out.includes(a.pages)) out.push(a.pages);
    }
  }
  return out;
}

const has = (w: World, k: string): boolean => w.rs.results.has(k);
const mmOf = (w: World, name: string) => {
  const mm = w.rs.processes.get(name)?.mm ?? null;
  if (mm === null) throw new Error('test bug: no mm');
  return mm;
};

describe('src/check/iommufd.ts readers', () => {
  it('nothing before /dev/iommu is opened; after attach: one pin and one coherent mapping per page, user->locked_vm not mm->locked_vm', () => {
    runAt('scenarios/iommufd/map-accounting.yaml', 'v6.12+iommufd', null, (w) => {
      expect(usesIommufd(w.m)).toBe(false);
      expect(iommufdLongtermPins(w.m)).toEqual([]);
      expect(iommufdDmaMappings(w.m)).toEqual([]);
    });
    runAt('scenarios/iommufd/map-accounting.yaml', 'v6.12+iommufd', (w) => has(w, 'attach') && !has(w, 'unmap'), (w) => {
      expect(usesIommufd(w.m)).toBe(true);
      const mm = mmOf(w, 'P');
      const pins = iommufdLongtermPins(w.m);
      expect(pins).toHaveLength(8);
      expect(pins[0].holder).toMatch(/^iommufd area iova 0x100000 \(iopt_pages#\d+\)$/);
      expect(pins[1].holder).toMatch(/^iommufd area iova 0x101000 /);
      const maps = iommufdDmaMappings(w.m);
      expect(maps).toHaveLength(8);
      expect(maps.map((d) => d.iommuPfn)).toEqual(pins.map((p) => p.pfn));
      expect(maps[1].iommuPfn).toBe(pte_pfn(pte_at(mm, 0x20000000 + 4096)));
      expect(maps.map((d) => d.processPfn)).toEqual(maps.map((d) => d.iommuPfn));
      expect(maps[3].where).toMatch(/^iommufd IOAS#\d+ domain#\d+ iova 0x103000 \(vaddr 0x20003000, pid \d+\)$/);
      // Once the task that mapped is gone there is no process side to compare with.
      const pages = ioasPages(w);
      expect(pages).toHaveLength(1);
      pages[0].source_task.exited = true;
      expect(iommufdDmaMappings(w.m).map((d) => d.processPfn)).toEqual(maps.map(() => null));
      pages[0].source_task.exited = false;
      expect(iommufdLockedPages(w.m, mm.id)).toBe(0);
    });
  });

  it('compat container (IOPT_PAGES_ACCOUNT_MM): the mapped pages are charged to the mapping mm only', () => {
    runAt('scenarios/iommufd/compat-container-accounting.yaml', 'v6.12+iommufd', (w) => has(w, 'eight') && !has(w, 'again'), (w) => {
      const mm = mmOf(w, 'P');
      expect(iommufdLockedPages(w.m, mm.id)).toBe(8);
      expect(iommufdLockedPages(w.m, mm.id + 1000)).toBe(0);
    });
  });

  it('an access pin (emulated device) is listed by index; an IOAS without a storage domain maps nothing', () => {
    runAt('scenarios/iommufd/access-unmap-notifier.yaml', 'v6.12+iommufd', (w) => has(w, 'pin') && !has(w, 'unmap'), (w) => {
      const pins = iommufdLongtermPins(w.m);
      expect(pins.map((p) => p.holder.replace(/#\d+/, '#N'))).toEqual(['iommufd access pin (iopt_pages#N index 1)', 'iommufd access pin (iopt_pages#N index 2)']);
      expect(iommufdDmaMappings(w.m)).toEqual([]);
    });
  });

  it('a file mapping (IOMMU_IOAS_MAP_FILE) has no process side to be coherent with', () => {
    runAt('scenarios/iommufd/live-update-map-file.yaml', 'v6.18+iommufd', (w) => has(w, 'mapfile') && !has(w, 'change'), (w) => {
      const maps = iommufdDmaMappings(w.m);
      const file = maps.filter((d) => /iova 0x10[0-3]000 /.test(d.where));
      expect(file).toHaveLength(4);
      expect(file.map((d) => d.processPfn)).toEqual([null, null, null, null]);
    });
  });
});
