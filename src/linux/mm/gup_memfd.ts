/**
 * mm/gup.c memfd_pin_folios() (6.18.26; first in 6.11, for udmabuf, and used by iommufd's
 * IOMMU_IOAS_MAP_FILE from 6.13): pin the page-cache folios of a memfd range by file offset,
 * with no VMA and no mmap_lock, allocating the ones not yet in the cache.
 *
 * Refusals (-EINVAL): start < 0 or start > end, no file, a file that is neither shmem nor
 * hugetlbfs, end at or past i_size. Pages not in the cache are allocated and added
 * (memfd_alloc_folio); each folio is pinned once (try_grab_folio(folio, 1, FOLL_PIN)).
 *
 * MODEL: shmem folios are order 0 in the model, so the result is one pfn per page; a
 * hugetlbfs memfd is `unsupported`; the page is allocated inside the pin scope as any
 * shmem page is (GFP_HIGHUSER_MOVABLE), and a page that is not long-term pinnable (in
 * ZONE_MOVABLE or CMA: check_and_migrate_movable_folios() would migrate it) is `unsupported`.
 */
import type { Kctx } from '../kctx.js';
import { unsupported } from '../include/linux/bug.js';
import { EINVAL, ENOMEM } from '../include/uapi/linux/errno.js';
import type { file } from '../include/linux/fs.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import { is_longterm_pinnable_page, put_page } from '../include/linux/mm.js';
import { FOLL_PIN } from '../include/linux/foll.js';
import { shmem_getpage } from './shmem.js';
import { try_grab_page, unpin_user_page } from './gup.js';

const FILE = 'mm/gup.c:memfd_pin_folios';

/**
 * memfd_pin_folios(memfd, start, end, folios, max_folios, offset): the pinned pfns of the
 * pages covering [start, end] (at most max_folios), or -errno.
 */
export function memfd_pin_folios(k: Kctx, memfd: file | null, start: number, end: number, max_folios: number): number[] | number {
  if (start < 0 || start > end || max_folios === 0) return -EINVAL;
  if (memfd === null) return -EINVAL;
  const kind = memfd.f_inode.i_sb.s_type.kind;
  if (kind === 'hugetlbfs') return unsupported(k, FILE, 'memfd_pin_folios of a hugetlbfs memfd (huge folios) is not modelled');
  if (kind !== 'tmpfs') return -EINVAL;
  if (end >= memfd.f_inode.i_size) return -EINVAL;
  const out: number[] = [];
  for (let idx = Math.floor(start / PAGE_SIZE); idx <= Math.floor(end / PAGE_SIZE) && out.length < max_folios; idx++) {
    const page = shmem_getpage(k, memfd, idx);
    if (page === null) {
      for (const p of out) unpin_user_page(k, p);
      return -ENOMEM;
    }
    if (!is_longterm_pinnable_page(k, page)) {
      put_page(k.m, page);
      for (const p of out) unpin_user_page(k, p);
      return unsupported(k, FILE, 'check_and_migrate_movable_folios() of a memfd page in ZONE_MOVABLE or CMA is not modelled');
    }
    const rc = try_grab_page(k, page, FOLL_PIN, FILE);
    put_page(k.m, page);
    if (rc) {
      for (const p of out) unpin_user_page(k, p);
      return -EINVAL;
    }
    out.push(page);
  }
  return out;
}
