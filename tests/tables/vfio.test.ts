/**
 * VFIO ioctl validation and errno, per profile (drivers/vfio/vfio_iommu_type1.c of each release as the
 * checklist; each row cites the function of drivers/vfio/{vfio.c,container.c,group.c,
 * vfio_iommu_type1.c} it comes from). A row runs in a fresh machine with one process
 * that has 16 prefaulted anonymous pages at VA and, unless the row says otherwise, a
 * container with one vfio-pci group and TYPE1v2 set.
 *
 * Profiles: A = v5.4, v5.5 (5.4.1 / 5.5-rc5), B = v5.6 (5.6.4), G = v6.1 (Debian 6.1.192),
 * I = v6.12 (Debian 6.12.117).
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../src/sched/index.js';
import { Kctx } from '../../src/linux/kctx.js';
import { PAGE_SIZE } from '../../src/linux/include/linux/mm_types.js';
import { O_RDWR, fd_install, fget } from '../../src/linux/include/linux/fs.js';
import { page_count } from '../../src/linux/include/linux/mm.js';
import { iommu_iova_to_phys } from '../../src/linux/drivers/iommu/iommu.js';
import type { iommu_domain } from '../../src/linux/drivers/iommu/iommu.js';
import { EBUSY, EINVAL, ENODEV, ENOENT, EPERM } from '../../src/linux/include/uapi/linux/errno.js';
import {
  VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU, VFIO_DMA_MAP_FLAG_READ, VFIO_DMA_MAP_FLAG_VADDR, VFIO_DMA_UNMAP_FLAG_ALL, VFIO_DMA_UNMAP_FLAG_VADDR,
  VFIO_GET_API_VERSION, VFIO_GROUP_FLAGS_CONTAINER_SET, VFIO_GROUP_FLAGS_VIABLE, VFIO_GROUP_GET_DEVICE_FD,
  VFIO_GROUP_GET_STATUS, VFIO_GROUP_SET_CONTAINER, VFIO_GROUP_UNSET_CONTAINER, VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_INFO_CAPS, VFIO_IOMMU_INFO_PGSIZES, VFIO_IOMMU_MAP_DMA, VFIO_NOIOMMU_IOMMU, VFIO_SET_IOMMU,
  VFIO_TYPE1_IOMMU, VFIO_TYPE1_NESTING_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR,
} from '../../src/linux/include/uapi/linux/vfio.js';
import type { vfio_group_status, vfio_iommu_type1_info } from '../../src/linux/include/uapi/linux/vfio.js';
import { sys_open } from '../../src/linux/syscalls.js';
import type { vfio_device } from '../../src/linux/drivers/vfio/vfio.js';
import type { task_struct } from '../../src/linux/include/linux/sched.js';
import {
  PROFILES, RW, anon_vma, ioctl, machine, map_dma, pci_device, prefault, run, task, unmap_dma, vfio_setup,
} from '../unit/linux/drivers/support.js';
import type { ProfileTag, VfioFds } from '../unit/linux/drivers/support.js';

const VA = 0x10000000;
const NPAGES = 16;

interface Env {
  readonly k: Kctx;
  readonly fds: VfioFds;
  readonly vdev: vfio_device;
  readonly me: task_struct;
}

interface Row {
  readonly id: string;
  /** What the row does and where its expected values come from. */
  readonly desc: string;
  /** Skip the default container set-up (the row builds its own). */
  readonly raw?: boolean;
  /** A second process that shares the container fd (SCM_RIGHTS / fork). */
  readonly other?: boolean;
  readonly fn: (e: Env, other: task_struct | null) => KThread<unknown>;
  readonly expect: (p: ProfileTag) => unknown;
}

const five = (p: ProfileTag): boolean => p === 'v5.4' || p === 'v5.5' || p === 'v5.6';

const rows: Row[] = [
  {
    id: 'api-version',
    desc: 'vfio_fops_unl_ioctl: VFIO_GET_API_VERSION returns VFIO_API_VERSION (0)',
    raw: true,
    fn: function* (e) {
      return yield* ioctl(e.k, (yield* sys_open(e.k, '/dev/vfio/vfio', O_RDWR)), VFIO_GET_API_VERSION, 0);
    },
    expect: () => 0,
  },
  {
    id: 'V12 map-before-set-iommu',
    desc: 'vfio_fops_unl_ioctl: no IOMMU driver set → unrecognised ioctls are -EINVAL',
    raw: true,
    fn: function* (e) {
      const c = (yield* sys_open(e.k, '/dev/vfio/vfio', O_RDWR));
      return yield* map_dma(e.k, c, VA, 0, PAGE_SIZE);
    },
    expect: () => -EINVAL,
  },
  {
    id: 'set-iommu-no-group',
    desc: 'vfio_ioctl_set_iommu: no group in the container → -EINVAL',
    raw: true,
    fn: function* (e) {
      return yield* ioctl(e.k, (yield* sys_open(e.k, '/dev/vfio/vfio', O_RDWR)), VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
    },
    expect: () => -EINVAL,
  },
  {
    id: 'set-iommu-unknown-type',
    desc: 'vfio_ioctl_set_iommu: no registered driver answers CHECK_EXTENSION(arg) > 0 → -ENODEV (NOIOMMU, 42)',
    raw: true,
    fn: function* (e) {
      const c = (yield* sys_open(e.k, '/dev/vfio/vfio', O_RDWR));
      const g = (yield* sys_open(e.k, `/dev/vfio/${e.vdev.group.id}`, O_RDWR));
      yield* ioctl(e.k, g, VFIO_GROUP_SET_CONTAINER, c);
      return [yield* ioctl(e.k, c, VFIO_SET_IOMMU, VFIO_NOIOMMU_IOMMU), yield* ioctl(e.k, c, VFIO_SET_IOMMU, 42)];
    },
    expect: () => [-ENODEV, -ENODEV],
  },
  {
    id: 'set-iommu-twice',
    desc: 'vfio_ioctl_set_iommu: a driver already set → -EINVAL',
    fn: function* (e) {
      return yield* ioctl(e.k, e.fds.container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU);
    },
    expect: () => -EINVAL,
  },
  {
    id: 'check-extension',
    desc:
      'vfio_iommu_type1_check_extension (before SET_IOMMU with iommu NULL, then after): TYPE1/v2/NESTING 1; ' +
      'UNMAP_ALL from c19650995374; UPDATE_VADDR from c3cbab24db38, with ef3a3f6a294b only for a set container; ' +
      'DMA_CC_IOMMU 0 without iommu, then every domain coherent',
    raw: true,
    fn: function* (e) {
      const c = (yield* sys_open(e.k, '/dev/vfio/vfio', O_RDWR));
      const q = function* (): KThread<number[]> {
        const out: number[] = [];
        for (const x of [VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_NESTING_IOMMU, VFIO_UNMAP_ALL, VFIO_UPDATE_VADDR, VFIO_DMA_CC_IOMMU]) {
          out.push(yield* ioctl(e.k, c, VFIO_CHECK_EXTENSION, x));
        }
        return out;
      };
      const before = yield* q();
      const g = (yield* sys_open(e.k, `/dev/vfio/${e.vdev.group.id}`, O_RDWR));
      yield* ioctl(e.k, g, VFIO_GROUP_SET_CONTAINER, c);
      yield* ioctl(e.k, c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
      return { before, after: yield* q() };
    },
    expect: (p) => five(p)
      ? { before: [1, 1, 1, 0, 0, 0], after: [1, 1, 1, 0, 0, 1] }
      : { before: [1, 1, 1, 1, 0, 0], after: [1, 1, 1, 1, 1, 1] },
  },
  {
    id: 'V11 map-flags',
    desc:
      'vfio_iommu_type1_ioctl MAP_DMA: argsz < 32 → -EINVAL; READ|WRITE|VADDR: unknown bit before c3cbab24db38, ' +
      'both prot and VADDR after → -EINVAL; VADDR alone with no mapping: -EINVAL (unknown bit) / -ENOENT',
    fn: function* (e) {
      return [
        yield* ioctl(e.k, e.fds.container, VFIO_IOMMU_MAP_DMA, { argsz: 31, flags: RW, vaddr: BigInt(VA), iova: 0n, size: BigInt(PAGE_SIZE) }),
        yield* map_dma(e.k, e.fds.container, VA, 0, PAGE_SIZE, RW | VFIO_DMA_MAP_FLAG_VADDR),
        yield* map_dma(e.k, e.fds.container, VA, 0, PAGE_SIZE, VFIO_DMA_MAP_FLAG_VADDR),
      ];
    },
    expect: (p) => [-EINVAL, -EINVAL, five(p) ? -EINVAL : -ENOENT],
  },
  {
    id: 'msi-window-and-aperture',
    desc:
      'vfio_iommu_iova_dma_valid: the IOMMU_RESV_MSI region [0xfee00000, 0xfeefffff] (intel_iommu_get_resv_regions) and ' +
      'IOVAs past the 48-bit aperture are not usable → -EINVAL; just below the window is fine',
    fn: function* (e) {
      return [
        yield* map_dma(e.k, e.fds.container, VA, 0xfee00000, PAGE_SIZE),
        yield* map_dma(e.k, e.fds.container, VA, 2 ** 48, PAGE_SIZE),
        yield* map_dma(e.k, e.fds.container, VA, 0xfee00000 - PAGE_SIZE, PAGE_SIZE),
      ];
    },
    expect: () => [-EINVAL, -EINVAL, 0],
  },
  {
    id: 'V15 unmap-all',
    desc:
      'VFIO_DMA_UNMAP_FLAG_ALL: unknown flag before c19650995374 (-EINVAL); after: iova/size must be 0 (-EINVAL), ' +
      'then every mapping goes and size reports the total',
    fn: function* (e) {
      yield* map_dma(e.k, e.fds.container, VA, 0, 4 * PAGE_SIZE);
      yield* map_dma(e.k, e.fds.container, VA + 4 * PAGE_SIZE, 0x100000, 4 * PAGE_SIZE);
      const bad = yield* unmap_dma(e.k, e.fds.container, 0x1000, 0, VFIO_DMA_UNMAP_FLAG_ALL);
      const all = yield* unmap_dma(e.k, e.fds.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
      return { bad: bad.ret, all: all.ret, size: all.size, locked: e.me.mm!.locked_vm };
    },
    expect: (p) => five(p)
      ? { bad: -EINVAL, all: -EINVAL, size: 0n, locked: 8 }
      : { bad: -EINVAL, all: 0, size: BigInt(8 * PAGE_SIZE), locked: 0 },
  },
  {
    id: 'unmap-validation',
    desc: 'vfio_dma_do_unmap: size 0, unaligned size, unaligned iova, wrap past 2^64 → -EINVAL',
    fn: function* (e) {
      const c = e.fds.container;
      return [
        (yield* unmap_dma(e.k, c, 0, 0)).ret,
        (yield* unmap_dma(e.k, c, 0, 100)).ret,
        (yield* unmap_dma(e.k, c, 1, PAGE_SIZE)).ret,
        (yield* unmap_dma(e.k, c, (1n << 64n) - BigInt(PAGE_SIZE), 2 * PAGE_SIZE)).ret,
      ];
    },
    expect: () => [-EINVAL, -EINVAL, -EINVAL, -EINVAL],
  },
  {
    id: 'get-info',
    desc:
      'vfio_iommu_type1_get_info: PGSIZES always (4K|2M|1G from the domain); CAPS when a capability exists; a short ' +
      'argsz gets the needed size back and no chain; the chain: IOVA_RANGE (5.4+), MIGRATION (d6a4c185660c), ' +
      'DMA_AVAIL (7d6e1329652e), in the order the release builds it',
    fn: function* (e) {
      const short: vfio_iommu_type1_info = { argsz: 24, flags: 0, iova_pgsizes: 0n, cap_offset: 0, caps: [] };
      const r1 = yield* ioctl(e.k, e.fds.container, VFIO_IOMMU_GET_INFO, short);
      const full: vfio_iommu_type1_info = { argsz: 4096, flags: 0, iova_pgsizes: 0n, cap_offset: 0, caps: [] };
      const r2 = yield* ioctl(e.k, e.fds.container, VFIO_IOMMU_GET_INFO, full);
      const tiny = yield* ioctl(e.k, e.fds.container, VFIO_IOMMU_GET_INFO, { argsz: 8, flags: 0, iova_pgsizes: 0n, cap_offset: 0, caps: [] });
      return {
        r1, flags: short.flags, needs: short.argsz > 24, shortCaps: short.caps.length, r2, pgsizes: full.iova_pgsizes,
        caps: full.caps.map((c) => c.id), ranges: full.caps.flatMap((c) => (c.id === 1 ? c.iova_ranges.length : [])), tiny,
      };
    },
    expect: (p) => ({
      r1: 0, flags: VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, needs: true, shortCaps: 0, r2: 0, pgsizes: 0x40201000n,
      caps: five(p) ? [1] : [2, 3, 1], ranges: [2], tiny: -EINVAL,
    }),
  },
  {
    id: 'V14 unmap-by-other-mm',
    desc:
      'vfio_dma_do_unmap: 5.4–6.0 stop at a mapping made by another mm (success, size 0); the 6.3 series ' +
      '(046eca5018f8, in Debian 6.1.192) removed the test: the other process unmaps, and the charge leaves the owner',
    other: true,
    fn: function* (e, other) {
      yield* map_dma(e.k, e.fds.container, VA, 0, 4 * PAGE_SIZE);
      const f = fget(e.k, e.fds.container)!;
      let got: { ret: number; size: bigint } | null = null;
      yield* inOther(e.k, other!, function* (k2) {
        fd_install(k2, 0, f);
        got = yield* unmap_dma(k2, 0, 0, 4 * PAGE_SIZE);
      });
      return { ...got!, ownerLocked: e.me.mm!.locked_vm };
    },
    expect: (p) => five(p) ? { ret: 0, size: 0n, ownerLocked: 4 } : { ret: 0, size: BigInt(4 * PAGE_SIZE), ownerLocked: 0 },
  },
  {
    id: 'vaddr-update',
    desc:
      'UNMAP_DMA|VADDR then MAP_DMA|VADDR with a new vaddr (c3cbab24db38): pins and charge stay; a second invalidate of ' +
      'the same range is -EINVAL; before 5.12 both flags are unknown (-EINVAL)',
    fn: function* (e) {
      yield* map_dma(e.k, e.fds.container, VA, 0, 4 * PAGE_SIZE);
      const inv = yield* unmap_dma(e.k, e.fds.container, 0, 4 * PAGE_SIZE, VFIO_DMA_UNMAP_FLAG_VADDR);
      const inv2 = yield* unmap_dma(e.k, e.fds.container, 0, 4 * PAGE_SIZE, VFIO_DMA_UNMAP_FLAG_VADDR);
      const upd = yield* map_dma(e.k, e.fds.container, VA + 8 * PAGE_SIZE, 0, 4 * PAGE_SIZE, VFIO_DMA_MAP_FLAG_VADDR);
      return { inv: inv.ret, invSize: inv.size, inv2: inv2.ret, upd, locked: e.me.mm!.locked_vm };
    },
    expect: (p) => five(p)
      ? { inv: -EINVAL, invSize: BigInt(4 * PAGE_SIZE) /* not copied back on error */, inv2: -EINVAL, upd: -EINVAL, locked: 4 }
      : { inv: 0, invSize: BigInt(4 * PAGE_SIZE), inv2: -EINVAL, upd: 0, locked: 4 },
  },
  {
    id: 'group-status',
    desc: 'VFIO_GROUP_GET_STATUS: VIABLE before SET_CONTAINER, VIABLE|CONTAINER_SET after (5.4 vfio_group_viable; 6.x ownership)',
    raw: true,
    fn: function* (e) {
      const g = (yield* sys_open(e.k, `/dev/vfio/${e.vdev.group.id}`, O_RDWR));
      const s1: vfio_group_status = { argsz: 8, flags: 0 };
      yield* ioctl(e.k, g, VFIO_GROUP_GET_STATUS, s1);
      const c = (yield* sys_open(e.k, '/dev/vfio/vfio', O_RDWR));
      yield* ioctl(e.k, g, VFIO_GROUP_SET_CONTAINER, c);
      const s2: vfio_group_status = { argsz: 8, flags: 0 };
      yield* ioctl(e.k, g, VFIO_GROUP_GET_STATUS, s2);
      const bad = yield* ioctl(e.k, g, VFIO_GROUP_GET_STATUS, { argsz: 4, flags: 0 });
      return [s1.flags, s2.flags, bad];
    },
    expect: () => [VFIO_GROUP_FLAGS_VIABLE, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET, -EINVAL],
  },
  {
    id: 'non-viable-group',
    desc:
      'A group whose second device is bound to a host driver: 5.4 joins the container and SET_IOMMU works, but ' +
      'GET_DEVICE_FD is -EINVAL (vfio_group_get_device_fd: !vfio_group_viable); from 70693f470848 SET_CONTAINER ' +
      'itself fails -EPERM (iommu_group_claim_dma_owner)',
    raw: true,
    fn: function* (e) {
      const vdev = pci_device(e.k, '0000:00:05.0', { alsoHost: true });
      const c = (yield* sys_open(e.k, '/dev/vfio/vfio', O_RDWR));
      const g = (yield* sys_open(e.k, `/dev/vfio/${vdev.group.id}`, O_RDWR));
      const set = yield* ioctl(e.k, g, VFIO_GROUP_SET_CONTAINER, c);
      const iommu = set === 0 ? yield* ioctl(e.k, c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) : null;
      const dev = set === 0 ? yield* ioctl(e.k, g, VFIO_GROUP_GET_DEVICE_FD, '0000:00:05.0') : null;
      return { set, iommu, dev };
    },
    expect: (p) => five(p) ? { set: 0, iommu: 0, dev: -EINVAL } : { set: -EPERM, iommu: null, dev: null },
  },
  {
    id: 'unset-container-busy',
    desc: 'VFIO_GROUP_UNSET_CONTAINER with a device fd open → -EBUSY; unknown device name → -ENODEV',
    fn: function* (e) {
      const nodev = yield* ioctl(e.k, e.fds.group, VFIO_GROUP_GET_DEVICE_FD, 'nope');
      const dfd = yield* ioctl(e.k, e.fds.group, VFIO_GROUP_GET_DEVICE_FD, e.vdev.dev.name);
      const busy = yield* ioctl(e.k, e.fds.group, VFIO_GROUP_UNSET_CONTAINER, 0);
      return { nodev, dfdOk: dfd >= 0, busy };
    },
    expect: () => ({ nodev: -ENODEV, dfdOk: true, busy: -EBUSY }),
  },
  {
    id: 'V18 ro-map-untouched-anon',
    desc:
      'MAP_DMA READ of never-touched anonymous memory (famous bug 6/7): 5.4/5.6 pin the shared zero page and put_pfn() ' +
      'never returns the reference (PageReserved): +1 per map; Debian 6.1.192 maps the zero page without references ' +
      '(GUP zero-page backport, 873aefb376bb); 6.12 unshares: R/O long-term pins get fresh anon pages (84209e87c696)',
    fn: function* (e) {
      const zero = e.k.m.mem.zero_pfn;
      const before = page_count(e.k.m, zero);
      const va = VA + NPAGES * PAGE_SIZE;
      anon_vma(e.k.m, e.me.mm!, va, PAGE_SIZE);
      const r = yield* map_dma(e.k, e.fds.container, va, 0, PAGE_SIZE, VFIO_DMA_MAP_FLAG_READ);
      const c = fget(e.k, e.fds.container)!;
      const iommu = (c.private_data as { iommu_data: { domain_list: { domain: iommu_domain }[] } }).iommu_data;
      const pfn = iommu_iova_to_phys(iommu.domain_list[0].domain, 0) / PAGE_SIZE;
      const un = yield* unmap_dma(e.k, e.fds.container, 0, PAGE_SIZE);
      return { r, isZero: pfn === zero, leaked: page_count(e.k.m, zero) - before, un: un.ret, locked: e.me.mm!.locked_vm };
    },
    expect: (p) => five(p)
      ? { r: 0, isZero: true, leaked: 1, un: 0, locked: 0 }
      : p === 'v6.1' ? { r: 0, isZero: true, leaked: 0, un: 0, locked: 0 } : { r: 0, isZero: false, leaked: 0, un: 0, locked: 0 },
  },
];

/** Run `body` as `other` inside the same runtime (a second thread), waiting for it. */
function* inOther(k: Kctx, other: task_struct, body: (k2: Kctx) => KThread<void>): KThread<void> {
  // MODEL (test): the same kernel thread switches `current` to the other process for the call.
  yield* body(new Kctx(k.m, k.s, k.tid, other));
}

describe.each(PROFILES)('VFIO ioctl table on %s', (profile) => {
  for (const row of rows) it(row.id, () => check(profile, row));
});

function check(profile: ProfileTag, row: Row): void {
  {
    const m = machine(profile);
    const me = task(m, { memlock: 64 * PAGE_SIZE });
    const other = row.other ? task(m, { comm: 'helper' }) : null;
    const mm = me.mm!;
    const vma = anon_vma(m, mm, VA, NPAGES * PAGE_SIZE);
    const got = run(m, [{
      task: me,
      body: function* (k) {
        yield* prefault(k, mm, vma, VA, NPAGES * PAGE_SIZE);
        const vdev = pci_device(k);
        const fds = row.raw ? { container: -1, group: -1 } : yield* vfio_setup(k, vdev);
        return yield* row.fn({ k, fds, vdev, me }, other);
      },
    }], 2_000_000).results[0];
    expect(got, row.desc).toEqual(row.expect(profile));
  }
}
