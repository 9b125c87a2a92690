/**
 * Op group: page migration a contiguous allocation needs (mm/compaction.ts alloc_contig_range).
 */
import { unsupported } from '../../linux/include/linux/bug.js';
import { EFAULT } from '../../linux/include/uapi/linux/errno.js';
import { pfn_valid } from '../../linux/include/linux/mm.js';
import { alloc_contig_range_folio } from '../../linux/mm/compaction.js';
import type { KThread } from '../../sched/index.js';
import { frameAt } from '../../check/vfio.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalNum, noPoint, processTask, ret } from '../step.js';
import { a, int } from './flags.js';
import type { OpGroup } from './types.js';

/**
 * migrate_page { process, addr }: the folio mapped at addr is in the way of a contiguous
 * allocation (cma_alloc → alloc_contig_range, mm/compaction.ts), which must migrate it
 * away. 0 when it moved, -EBUSY / -ENOMEM / -EINTR as alloc_contig_range returns;
 * -EFAULT when nothing is mapped at addr (no frame to move).
 */
function* opMigratePage(c: StepCtx): KThread<StepResult> {
  const t = processTask(c, c.step.args.process);
  const mm = t?.mm ?? null;
  if (mm === null) return ret(unsupported(c.k, 'scenario:migrate_page', 'migrate_page: the process has no mm'));
  const pfn = frameAt(mm, evalNum(c, c.step.args.addr));
  if (pfn === null || !pfn_valid(c.k.m, pfn)) {
    yield* noPoint();
    return ret(-EFAULT);
  }
  return ret(yield* alloc_contig_range_folio(c.k, pfn));
}

export const MIGRATE_OPS = {
  migrate_page: {
    cls: 'kernel', args: [a('process', { kind: 'process' }), a('addr', int)],
    doc: 'a contiguous allocation (cma_alloc → alloc_contig_range) migrates the folio mapped at addr away: 0, -EBUSY, -ENOMEM, -EINTR; -EFAULT if nothing is mapped',
    result: '0 or -errno: a contiguous allocation (`cma_alloc` → `alloc_contig_range`) needs the folio mapped at `addr` and migrates it away (mm/compaction.ts): -EBUSY if it is pinned or referenced beyond its mappings, reserved, or (per release) a THP before 5.7 / a hugetlb page before 5.13; -ENOMEM without a target; -EINTR on a fatal signal; -EFAULT if nothing is mapped at `addr`',
    impl: opMigratePage,
  },
} satisfies OpGroup;
