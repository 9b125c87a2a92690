/**
 * MODEL (no kernel counterpart): the read reporting of the explorer's per-object footprints
 * (src/scenario/object-footprint.ts). A tracked run swaps these subclasses onto its own
 * MemMap and page tables, so the lookups of every other run (single-thread runs, batched
 * per-page paths, the checker) run the plain classes: no hook, no null check, no
 * process-wide state.
 */
import { MemMap, pmd_map } from '../include/linux/mm_types.js';
import type { pmd_t, pte_table } from '../include/linux/mm_types.js';

/**
 * The mem_map of a tracked run: reports every slot a lookup resolves (peek_slot, and
 * slot_of through it) to `report`. Installed on a machine's MemMap by
 * mem_map_report_reads() (its prototype swapped), so runs without footprints pay nothing for it.
 */
class reporting_mem_map extends MemMap {
  declare report: (slot: number) => void;

  override peek_slot(pfn: number): number {
    const s = super.peek_slot(pfn);
    this.report(s);
    return s;
  }
}

/**
 * A page table of a tracked run: reports get() (one entry), iteration (every entry) and the
 * one-PTE reads of pt_walk, pte_at and set_pte_at (read_pte) to `report`; peek() and which
 * keys exist stay unreported (the rest of the world). Installed by pmd_map_report_reads().
 */
class reporting_pmd_map extends pmd_map {
  declare report: (map: pmd_map, key: number, index: number) => void;

  override read_pte(key: number, index: number): void {
    this.report(this, key, index);
  }
  override get(key: number): pmd_t | pte_table | undefined {
    this.report(this, key, -1);
    return super.get(key);
  }
  override values(): MapIterator<pmd_t | pte_table> {
    this.report(this, -1, -1);
    return super.values();
  }
  override entries(): MapIterator<[number, pmd_t | pte_table]> {
    this.report(this, -1, -1);
    return super.entries();
  }
  override [Symbol.iterator](): MapIterator<[number, pmd_t | pte_table]> {
    this.report(this, -1, -1);
    return super[Symbol.iterator]();
  }
  override forEach(f: (value: pmd_t | pte_table, key: number, map: Map<number, pmd_t | pte_table>) => void, thisArg?: unknown): void {
    this.report(this, -1, -1);
    super.forEach(f, thisArg);
  }
}

/** Make `mem` report every slot its lookups resolve to `report` (for the rest of its life). */
export function mem_map_report_reads(mem: MemMap, report: (slot: number) => void): void {
  (Object.setPrototypeOf(mem, reporting_mem_map.prototype) as reporting_mem_map).report = report;
}

/** Make page table `map` report its reads to `report` (for the rest of its life). */
export function pmd_map_report_reads(map: pmd_map, report: (map: pmd_map, key: number, index: number) => void): void {
  (Object.setPrototypeOf(map, reporting_pmd_map.prototype) as reporting_pmd_map).report = report;
}

/** Whether `mem` reports its reads (a tracked run's: its page tables report too, installed together). */
export function mem_map_reports_reads(mem: MemMap): boolean {
  return mem instanceof reporting_mem_map;
}
