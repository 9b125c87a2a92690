/**
 * Probes: what an `observe` step or an `observe:` entry reads of the machine now
 * (the kinds are declared in src/scenario/ops.ts PROBES).
 */
import type { Kctx } from '../linux/kctx.js';
import { folio_pincount, is_migrate_cma_page, page_ref_count, page_zonenum, pfn_valid, compound_head, PageHead, folio_order } from '../linux/include/linux/mm.js';
import { PAGE_SIZE } from '../linux/include/linux/mm_types.js';
import { page_read_bytes, render_runs } from '../linux/include/linux/page_data.js';
import { frameAt } from '../check/vfio.js';
import { holdersProbe } from '../check/holders.js';
import { iommuProbe } from './build-vfio.js';
import type { Probe, Value } from './ast.js';
import type { RunState } from './state.js';
import { evalInt, holdsInts } from './step.js';

const ZONE_NAMES = ['DMA32', 'Normal', 'Movable', 'Device'];

/** Evaluate a probe now. Unmapped addresses and exited processes give null. */
export function evalProbe(rs: RunState, m: Kctx['m'], p: Probe, threadState: (name: string) => string | null): Value {
  switch (p.kind) {
    case 'frame':
    case 'zone':
    case 'cma':
    case 'refcount':
    case 'pincount':
    case 'content': {
      const t = rs.processes.get(p.process);
      const mm = t?.mm ?? null;
      if (mm === null || mm === undefined) return null;
      if (!holdsInts(rs, p.addr)) return null;
      const addr = Number(evalInt(rs, p.addr));
      const pfn = frameAt(mm, addr);
      if (pfn === null) return null;
      if (p.kind === 'frame') return pfn;
      if (!pfn_valid(m, pfn)) return p.kind === 'zone' ? 'Device' : p.kind === 'cma' ? false : null;
      if (p.kind === 'zone') return ZONE_NAMES[page_zonenum(m, pfn)] ?? String(page_zonenum(m, pfn));
      if (p.kind === 'cma') return is_migrate_cma_page(m, pfn);
      if (p.kind === 'refcount') return page_ref_count(m, compound_head(m, pfn));
      if (p.kind === 'pincount') {
        const head = compound_head(m, pfn);
        if (PageHead(m, head) && folio_order(m, head) > 0) return folio_pincount(m, head);
        // Order-0 pins are a refcount bias (GUP_PIN_COUNTING_BIAS, v5.7+).
        return Math.floor(page_ref_count(m, head) / 1024);
      }
      // The byte at addr (a page written in part holds several tags; the guest reads this byte).
      return m.mem.slot_of(pfn) === 0 ? '' : render_runs(page_read_bytes(m, pfn, addr % PAGE_SIZE, 1));
    }
    case 'locked_vm':
    case 'pinned_vm': {
      const mm = rs.processes.get(p.process)?.mm ?? null;
      if (mm === null) return null;
      return p.kind === 'locked_vm' ? mm.locked_vm : mm.pinned_vm;
    }
    case 'holders': {
      const t = rs.processes.get(p.process);
      return t === undefined ? null : holdersProbe(m, t);
    }
    case 'thread':
      return threadState(p.thread);
    case 'iommu':
      if (!holdsInts(rs, p.container) || !holdsInts(rs, p.iova)) return null;
      return iommuProbe(m, rs, Number(evalInt(rs, p.container)), Number(evalInt(rs, p.iova)));
    case 'file_size': {
      const path = p.path.startsWith('$') ? p.path.slice(1) : p.path;
      const i = m.inodes.get(path);
      return i === undefined ? null : i.i_size;
    }
  }
}
