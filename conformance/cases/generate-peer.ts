// Conformance cases that restate tests of the kernel's own iommufd selftest
// (tools/testing/selftests/iommu/iommufd.c of Debian linux-source-6.12, 6.12.118) as pinlab
// scenarios: the same ioctls with the same arguments, the selftest's assertions as declared
// values. They run like the other iommufd cases (the built 6.12 kernel through pinlab's guest
// driver, and the model on profile v6.12+iommufd), and the peer report
// (`npm run conformance -- --peer-selftest`) sets each beside the selftest's own result on the
// same kernel (conformance/peer/iommufd-selftest.map.yaml says which test each restates, and
// what of it). Only tests that need no selftest-only ioctl (IOMMU_TEST_CMD: mock domains,
// reserved ranges, access objects) can be restated; the fixture's set-up runs the selftest's
// temporary memory limit command, which pinlab has no counterpart for and which only bounds
// the mock domain's pin batches. Debian's own kernels (no CONFIG_IOMMUFD) answer /dev/iommu
// with -ENOENT.
import type { IommufdCase } from './generate-iommufd.js';

type Decl = Record<string, string | number | null>;

/** The selftest's PAGE_SIZE, buffer (16 pages of MAP_SHARED|MAP_ANONYMOUS at a huge-page boundary) and mock aperture start. */
const PAGE = 4096;
const BUF_PAGES = 16;
const MOCK_APERTURE_START = 1 << 24;
const U64_MAX = '0xffffffffffffffff';
const RW = 'IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE';
const FIXED = `IOMMU_IOAS_MAP_FIXED_IOVA|${RW}`;
const ALLCAP = '[CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_DAC_OVERRIDE]';
const NO_IOMMUFD = { fd: '-ENOENT' };
const SELFTEST = 'tools/testing/selftests/iommu/iommufd.c';

const hex = (n: number): string => `0x${n.toString(16)}`;

/** The selftest's set-up: root, the 16-page shared anonymous buffer; the edu device (unused: no domain). */
function setup(): string {
  return [
    'memory:',
    '  zones: { DMA32: 16M, Normal: 64M, Movable: 64M }',
    '  hugepages: 16',
    'processes:',
    '  - name: P',
    `    caps: ${ALLCAP}`,
    '    mappings:',
    `      - { name: buf, addr: 0x40000000, length: ${BUF_PAGES} pages, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED, populate: true }`,
    'devices:',
    '  - { name: edu0, kind: edu, iommu_group: 5 }',
  ].join('\n');
}

const step = (op: string, args: string, as: string): string => `- ${op}: { ${args} }\n  as: ${as}`;
const openIommu = step('open', 'path: /dev/iommu', 'fd');
const alloc = (as = 'ioas'): string => step('IOMMU_IOAS_ALLOC', 'iommufd: $fd', as);
const mapFixed = (as: string, va: string, len: number, iova: number): string =>
  step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: ${va}, length: ${len}, iova: ${hex(iova)}, flags: ${FIXED}`, as);
const mapAuto = (as: string, va: string, len: number): string =>
  step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: ${va}, length: ${len}, flags: ${RW}`, as);
const unmap = (as: string, iova: string, len: string | number): string =>
  step('IOMMU_IOAS_UNMAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, iova: ${iova}, length: ${len}`, as);
const option = (as: string, id: string, op: 'GET' | 'SET', rest = ''): string =>
  step('IOMMU_OPTION', `iommufd: $fd, option_id: IOMMU_OPTION_${id}, op: IOMMU_OPTION_OP_${op}${rest}`, as);

export function peerCases(): IommufdCase[] {
  const out: IommufdCase[] = [];
  const add = (test: string, question: string, refs: string[], steps: string[], iommufd: Decl): void => {
    out.push({
      area: 'iommufd', name: `selftest-${test}`, question: `[${SELFTEST} ${question.split(':')[0]}] ${question.slice(question.indexOf(':') + 1).trim()}`,
      refs: [`${SELFTEST}:${question.split(':')[0]}`, ...refs], setup: setup(), steps: steps.join('\n'), v61: NO_IOMMUFD, v612: NO_IOMMUFD, iommufd,
    });
  };

  // ---- TEST_F(iommufd, ...): the fixture is an open /dev/iommu ----------------------------------
  add('cmd-fail', 'cmd_fail: Is IOMMU_DESTROY of object id 0 refused with -ENOENT? (The selftest\'s NULL-pointer -EFAULT and unknown-ioctl -ENOTTY checks are not restated.)',
    ['drivers/iommu/iommufd/main.c:iommufd_destroy'],
    [openIommu, step('IOMMU_DESTROY', 'iommufd: $fd, id: 0', 'd0')],
    { fd: '{ ge: 0 }', d0: '-ENOENT' });

  add('cmd-ex-fail', 'cmd_ex_fail: Does IOMMU_DESTROY with a longer struct whose extra bytes are zero behave as the plain one (-ENOENT for id 0), the same struct with a non-zero extra byte fail -E2BIG (copy_struct_from_user), and a struct one byte short fail -EINVAL?',
    ['drivers/iommu/iommufd/main.c:iommufd_fops_ioctl', 'include/linux/uaccess.h:copy_struct_from_user'],
    [openIommu, step('IOMMU_DESTROY', 'iommufd: $fd, id: 0, size: 16', 'longer'), step('IOMMU_DESTROY', 'iommufd: $fd, id: 0, size: 16, trailing: 1', 'future'),
      step('IOMMU_DESTROY', 'iommufd: $fd, id: 0, size: 8', 'plain'), step('IOMMU_DESTROY', 'iommufd: $fd, id: 0, size: 7', 'short')],
    { longer: '-ENOENT', future: '-E2BIG', plain: '-ENOENT', short: '-EINVAL' });

  // cmd_length: for each command, size = offsetofend(last mandatory field) - 1 is -EINVAL, and
  // sizeof + 1 with a zero extra byte answers as sizeof does (all other fields zero).
  const lengths: [string, string, number, number][] = [
    // op, the zeroed command's other arguments, min size, sizeof
    ['IOMMU_DESTROY', 'id: 0', 8, 8],
    ['IOMMU_IOAS_ALLOC', 'flags: 0', 12, 12],
    ['IOMMU_IOAS_IOVA_RANGES', 'ioas_id: 0, num_iovas: 0', 32, 32],
    ['IOMMU_IOAS_ALLOW_IOVAS', 'ioas_id: 0, iovas: []', 24, 24],
    ['IOMMU_IOAS_MAP', 'ioas_id: 0, user_va: 0, length: 0, iova: 0, flags: 0', 40, 40],
    ['IOMMU_IOAS_COPY', 'dst_ioas_id: 0, src_ioas_id: 0, length: 0, dst_iova: 0, src_iova: 0, flags: 0', 40, 40],
    ['IOMMU_IOAS_UNMAP', 'ioas_id: 0, iova: 0, length: 0', 24, 24],
    ['IOMMU_OPTION', 'option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_SET, object_id: 0, val64: 0', 24, 24],
    ['IOMMU_VFIO_IOAS', 'op: IOMMU_VFIO_IOAS_GET, ioas_id: 0', 12, 12],
  ];
  const lenSteps: string[] = [openIommu];
  const lenDecl: Decl = {};
  for (const [op, args, min, size] of lengths) {
    const n = op.replace(/^IOMMU_(IOAS_)?/, '').toLowerCase();
    lenSteps.push(step(op, `iommufd: $fd, ${args}, size: ${min - 1}`, `${n}_short`), step(op, `iommufd: $fd, ${args}, size: ${size + 1}, trailing: 1`, `${n}_e2big`),
      step(op, `iommufd: $fd, ${args}, size: ${size}`, `${n}_exact`), step(op, `iommufd: $fd, ${args}, size: ${size + 1}`, `${n}_plus1`));
    lenDecl[`${n}_short`] = '-EINVAL';
    lenDecl[`${n}_e2big`] = '-E2BIG';
  }
  Object.assign(lenDecl, {
    destroy_exact: '-ENOENT', destroy_plus1: '-ENOENT', alloc_exact: 0, alloc_plus1: 0, iova_ranges_exact: '-ENOENT', iova_ranges_plus1: '-ENOENT',
    allow_iovas_exact: '-ENOENT', allow_iovas_plus1: '-ENOENT', map_exact: '-EINVAL', map_plus1: '-EINVAL', copy_exact: '-EINVAL', copy_plus1: '-EINVAL',
    unmap_exact: '-ENOENT', unmap_plus1: '-ENOENT', option_exact: '-EBUSY', option_plus1: '-EBUSY', vfio_ioas_exact: '-ENODEV', vfio_ioas_plus1: '-ENODEV',
  });
  add('cmd-length', 'cmd_length: For each iommufd command pinlab models, is a struct one byte shorter than its last mandatory field -EINVAL, one byte longer with a non-zero extra byte -E2BIG, and one byte longer (zero) answered as the exact size? (Not restated: GET_HW_INFO, HWPT_ALLOC, HWPT_INVALIDATE.)',
    ['drivers/iommu/iommufd/main.c:iommufd_fops_ioctl', 'drivers/iommu/iommufd/main.c:iommufd_ioctl_ops', 'include/linux/uaccess.h:copy_struct_from_user'], lenSteps, lenDecl);

  const vfioIoas = (as: string, op: 'GET' | 'SET' | 'CLEAR', rest = ''): string => step('IOMMU_VFIO_IOAS', `iommufd: $fd, op: IOMMU_VFIO_IOAS_${op}${rest}`, as);
  add('vfio-ioas', 'vfio_ioas: Without a compat IOAS, is IOMMU_VFIO_IOAS GET -ENODEV and SET of id 0 -ENOENT; after SET of a new IOAS does GET return its id; and after CLEAR is GET -ENODEV again?',
    ['drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_ioas', 'drivers/iommu/iommufd/vfio_compat.c:get_compat_ioas'],
    [openIommu, vfioIoas('get_none', 'GET'), vfioIoas('set_bad', 'SET', ', ioas_id: 0'), alloc(), vfioIoas('set', 'SET', ', ioas_id: $ioas.ioas_id'),
      vfioIoas('get', 'GET'), vfioIoas('clear', 'CLEAR'), vfioIoas('get_cleared', 'GET')],
    { get_none: '-ENODEV', set_bad: '-ENOENT', ioas: 0, 'ioas.ioas_id': 1, set: 0, get: 0, 'get.ioas_id': 1, clear: 0, get_cleared: '-ENODEV' });

  add('global-options', 'global_options: Does IOMMU_OPTION_RLIMIT_MODE read 0, switch to 1 and back on a fresh context (2: -EINVAL), and is IOMMU_OPTION_HUGE_PAGES without an object -ENOENT for GET and SET?',
    ['drivers/iommu/iommufd/ioas.c:iommufd_option_rlimit_mode', 'drivers/iommu/iommufd/ioas.c:iommufd_ioas_option'],
    [openIommu, option('get', 'RLIMIT_MODE', 'GET', ', val64: 1'), option('set1', 'RLIMIT_MODE', 'SET', ', val64: 1'), option('set2', 'RLIMIT_MODE', 'SET', ', val64: 2'),
      option('get1', 'RLIMIT_MODE', 'GET', ', val64: 2'), option('set0', 'RLIMIT_MODE', 'SET', ', val64: 0'),
      option('hp_get', 'HUGE_PAGES', 'GET', ', val64: 0'), option('hp_set', 'HUGE_PAGES', 'SET', ', val64: 0')],
    { get: 0, 'get.val64': 0, set1: 0, set2: '-EINVAL', get1: 0, 'get1.val64': 1, set0: 0, hp_get: '-ENOENT', hp_set: '-ENOENT' });

  add('vfio-simple-ioctls', 'simple_ioctls: Does /dev/iommu answer the VFIO container ioctls VFIO_GET_API_VERSION (VFIO_API_VERSION, 0) and VFIO_CHECK_EXTENSION(VFIO_TYPE1v2_IOMMU) (1)?',
    ['drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_ioctl'],
    [openIommu, step('VFIO_GET_API_VERSION', 'container: $fd', 'api'), step('VFIO_CHECK_EXTENSION', 'container: $fd, extension: VFIO_TYPE1v2_IOMMU', 'v2')],
    { api: 0, v2: 1 });

  add('vfio-cmds-without-ioas', 'unmap_cmd: On /dev/iommu with no compat IOAS, do VFIO_IOMMU_UNMAP_DMA and VFIO_IOMMU_MAP_DMA check argsz and flags first (-EINVAL) and then fail -ENODEV, VFIO_IOMMU_GET_INFO likewise (map_cmd, info_cmd), and VFIO_SET_IOMMU fail -ENODEV for TYPE1v2 and TYPE1 (set_iommu_cmd)?',
    ['drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_unmap_dma', 'drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_map_dma',
      'drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_iommu_get_info', 'drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_set_iommu'],
    [openIommu,
      step('VFIO_IOMMU_UNMAP_DMA', `container: $fd, iova: ${hex(MOCK_APERTURE_START)}, size: ${PAGE}, argsz: 1`, 'unmap_argsz'),
      step('VFIO_IOMMU_UNMAP_DMA', `container: $fd, iova: ${hex(MOCK_APERTURE_START)}, size: ${PAGE}, flags: 0x80000000`, 'unmap_flags'),
      step('VFIO_IOMMU_UNMAP_DMA', `container: $fd, iova: ${hex(MOCK_APERTURE_START)}, size: ${PAGE}`, 'unmap_noioas'),
      step('VFIO_IOMMU_MAP_DMA', `container: $fd, vaddr: $buf, iova: ${hex(MOCK_APERTURE_START)}, size: ${PAGE}, flags: 0, argsz: 1`, 'map_argsz'),
      step('VFIO_IOMMU_MAP_DMA', `container: $fd, vaddr: $buf, iova: ${hex(MOCK_APERTURE_START)}, size: ${PAGE}, flags: 0x80000000`, 'map_flags'),
      step('VFIO_IOMMU_MAP_DMA', `container: $fd, vaddr: $buf, iova: ${hex(MOCK_APERTURE_START)}, size: ${PAGE}`, 'map_noioas'),
      step('VFIO_IOMMU_GET_INFO', 'container: $fd, argsz: 1', 'info_argsz'),
      step('VFIO_IOMMU_GET_INFO', 'container: $fd', 'info_noioas'),
      step('VFIO_SET_IOMMU', 'container: $fd, type: VFIO_TYPE1v2_IOMMU', 'set_v2'),
      step('VFIO_SET_IOMMU', 'container: $fd, type: VFIO_TYPE1_IOMMU', 'set_v1')],
    { unmap_argsz: '-EINVAL', unmap_flags: '-EINVAL', unmap_noioas: '-ENODEV', map_argsz: '-EINVAL', map_flags: '-EINVAL', map_noioas: '-ENODEV', info_argsz: '-EINVAL', info_noioas: '-ENODEV', set_v2: '-ENODEV', set_v1: '-ENODEV' });

  // ---- TEST_F(iommufd_ioas, ...), variant no_domain: an IOAS without a device, base_iova 0 ----
  const areaSteps: string[] = [openIommu, alloc()];
  const areaDecl: Decl = { ioas: 0 };
  for (let i = 0; i < 10; i++) {
    areaSteps.push(unmap(`none${i}`, hex(i * PAGE), PAGE));
    areaDecl[`none${i}`] = '-ENOENT';
  }
  for (let i = 0; i < 10; i++) {
    areaSteps.push(mapFixed(`map${i}`, '$buf', PAGE, i * PAGE));
    areaDecl[`map${i}`] = 0;
  }
  for (let i = 0; i < 10; i++) {
    areaSteps.push(unmap(`unmap${i}`, hex(i * PAGE), PAGE));
    areaDecl[`unmap${i}`] = 0;
  }
  areaSteps.push(mapFixed('map_2p', '$buf', 2 * PAGE, 16 * PAGE), unmap('split16', hex(16 * PAGE), PAGE), unmap('split17', hex(17 * PAGE), PAGE),
    mapFixed('over_2at16', '$buf', 2 * PAGE, 16 * PAGE), mapFixed('over_1at16', '$buf', PAGE, 16 * PAGE), mapFixed('over_1at17', '$buf', PAGE, 17 * PAGE),
    mapFixed('over_2at15', '$buf', 2 * PAGE, 15 * PAGE), mapFixed('over_3at15', '$buf', 3 * PAGE, 15 * PAGE),
    unmap('all', '0', U64_MAX), unmap('all_empty', '0', U64_MAX));
  Object.assign(areaDecl, {
    map_2p: 0, split16: '-ENOENT', split17: '-ENOENT', over_2at16: '-EEXIST', over_1at16: '-EEXIST', over_1at17: '-EEXIST', over_2at15: '-EEXIST', over_3at15: '-EEXIST',
    all: 0, 'all.length': 2 * PAGE, all_empty: 0, 'all_empty.length': 0,
  });
  add('ioas-area', 'area: Without a domain, does IOMMU_IOAS_UNMAP fail -ENOENT where nothing is mapped, unmap whole fixed-IOVA areas, refuse to split an area (-ENOENT) or to map over one (-EEXIST), and does unmap-all (0, U64_MAX) succeed, also on an empty IOAS?',
    ['drivers/iommu/iommufd/io_pagetable.c:iopt_unmap_iova_range', 'drivers/iommu/iommufd/io_pagetable.c:iopt_unmap_all', 'drivers/iommu/iommufd/io_pagetable.c:iopt_reserve_iova'],
    areaSteps, areaDecl);

  const base = 4 * PAGE;
  add('ioas-unmap-fully-contained', 'unmap_fully_contained_areas: With four 8-page areas 16 pages apart, is an unmap range that cuts an area at either end -ENOENT, and one that contains all four whole (with gaps) accepted, reporting 32 pages unmapped?',
    ['drivers/iommu/iommufd/io_pagetable.c:iopt_unmap_iova_range'],
    [openIommu, alloc(), ...[0, 1, 2, 3].map((i) => mapFixed(`map${i}`, '$buf', 8 * PAGE, base + i * 16 * PAGE)),
      unmap('cut_head', hex(base - 4 * PAGE), 8 * PAGE), unmap('cut_tail', hex(base + 3 * 16 * PAGE + 8 * PAGE - 4 * PAGE), 8 * PAGE),
      unmap('whole', hex(base - 4 * PAGE), 3 * 16 * PAGE + 8 * PAGE + 4 * PAGE)],
    { map0: 0, map1: 0, map2: 0, map3: 0, cut_head: '-ENOENT', cut_tail: '-ENOENT', whole: 0, 'whole.length': 32 * PAGE });

  const autoSteps: string[] = [openIommu, alloc()];
  const autoDecl: Decl = {};
  for (let i = 0; i < 10; i++) autoSteps.push(mapAuto(`s${i}`, '$buf', PAGE));
  for (let i = 0; i < 10; i++) autoSteps.push(unmap(`us${i}`, `$s${i}.iova`, PAGE));
  for (let i = 0; i < 10; i++) autoSteps.push(mapAuto(`a${i}`, hex(2 ** 31), (i + 1) * PAGE));
  for (let i = 0; i < 10; i++) autoSteps.push(unmap(`ua${i}`, `$a${i}.iova`, (i + 1) * PAGE));
  for (let i = 0; i < 10; i++) Object.assign(autoDecl, { [`s${i}`]: 0, [`us${i}`]: 0, [`a${i}`]: 0, [`ua${i}`]: 0 });
  // the IOVAs the kernel picks (iopt_alloc_iova: the lowest free hole from PAGE_SIZE up, aligned
  // to the lowest set bit of user_va | length, here the length's): checked exactly
  // with the earlier maps still in place: 1 page at 0x1000, 2 at 0x2000, 3 at 0x4000, 4 at 0x8000, ...
  const aligned = [0x1000, 0x2000, 0x4000, 0x8000, 0x10000, 0x18000, 0x20000, 0x28000, 0x30000, 0x40000];
  for (let i = 0; i < 10; i++) autoDecl[`s${i}.iova`] = PAGE * (i + 1);
  aligned.forEach((v, i) => {
    autoDecl[`a${i}.iova`] = v;
  });
  add('ioas-area-auto-iova', 'area_auto_iova: Without a domain, do ten 1-page maps with a kernel-chosen IOVA succeed and unmap, and are maps of 1..10 pages of an address with no VMA (1 << 31; nothing is pinned without a domain) placed at IOVAs aligned to the length\'s lowest set bit? (The reserved-region and allowed-range parts use IOMMU_TEST_OP_ADD_RESERVED and are not restated.)',
    ['drivers/iommu/iommufd/io_pagetable.c:iopt_alloc_iova'], autoSteps, autoDecl);

  add('ioas-copy-area', 'copy_area: Without a domain, can IOMMU_IOAS_COPY (FIXED_IOVA|WRITEABLE) copy a mapped page to another IOVA of the same IOAS and into a new IOAS at IOVA 0?',
    ['drivers/iommu/iommufd/ioas.c:iommufd_ioas_copy', 'drivers/iommu/iommufd/io_pagetable.c:iopt_get_pages'],
    [openIommu, alloc(), mapFixed('map', '$buf', PAGE, 0),
      step('IOMMU_IOAS_COPY', `iommufd: $fd, dst_ioas_id: $ioas.ioas_id, src_ioas_id: $ioas.ioas_id, length: ${PAGE}, dst_iova: ${hex(PAGE)}, src_iova: 0, flags: IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_WRITEABLE`, 'inside'),
      alloc('ioas2'),
      step('IOMMU_IOAS_COPY', `iommufd: $fd, dst_ioas_id: $ioas2.ioas_id, src_ioas_id: $ioas.ioas_id, length: ${PAGE}, dst_iova: 0, src_iova: 0, flags: IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_WRITEABLE`, 'between')],
    { map: 0, inside: 0, ioas2: 0, between: 0 });

  add('ioas-iova-ranges', 'iova_ranges: Without a domain, does IOMMU_IOAS_IOVA_RANGES report one range [0, U64_MAX] with alignment 1, and with num_iovas 0 fail -EMSGSIZE while writing the count (1)? (Room for 64 ranges, not the selftest\'s 4096: the guest driver\'s array; the two-range part uses IOMMU_TEST_OP_ADD_RESERVED and is not restated.)',
    ['drivers/iommu/iommufd/ioas.c:iommufd_ioas_iova_ranges'],
    [openIommu, alloc(), step('IOMMU_IOAS_IOVA_RANGES', 'iommufd: $fd, ioas_id: $ioas.ioas_id, num_iovas: 64', 'r'),
      step('IOMMU_IOAS_IOVA_RANGES', 'iommufd: $fd, ioas_id: $ioas.ioas_id, num_iovas: 0', 'small')],
    { r: 0, 'r.num_iovas': 1, 'r.out_iova_alignment': 1, small: '-EMSGSIZE', 'small.num_iovas': 1 });

  add('ioas-destroy', 'ioas_destroy: Can an IOAS without a device be destroyed with IOMMU_DESTROY (and its id is handed out again by the next allocation: xa_alloc takes the lowest free id)? And after mapping a page into it (ioas_area_destroy)?',
    ['drivers/iommu/iommufd/main.c:iommufd_destroy', 'drivers/iommu/iommufd/ioas.c:iommufd_ioas_destroy'],
    [openIommu, alloc(), step('IOMMU_DESTROY', 'iommufd: $fd, id: $ioas.ioas_id', 'destroy'), alloc('ioas2'),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas2.ioas_id, user_va: $buf, length: ${PAGE}, iova: 0, flags: ${FIXED}`, 'map'),
      step('IOMMU_DESTROY', 'iommufd: $fd, id: $ioas2.ioas_id', 'destroy2')],
    { ioas: 0, destroy: 0, ioas2: 0, 'ioas2.ioas_id': 1, map: 0, destroy2: 0 });

  add('ioas-area-auto-destroy', 'ioas_area_auto_destroy: Can ten fixed 1-page areas be mapped into an IOAS without a device (the IOAS and its areas are then freed by close)?',
    ['drivers/iommu/iommufd/io_pagetable.c:iopt_map_user_pages'],
    [openIommu, alloc(), ...Array.from({ length: 10 }, (_, i) => mapFixed(`map${i}`, '$buf', PAGE, i * PAGE))],
    Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`map${i}`, 0])));

  add('ioas-option-huge-pages', 'ioas_option_huge_pages: Is an IOAS\'s IOMMU_OPTION_HUGE_PAGES 1 by default, settable to 0 (GET then 0), 2 refused (-EINVAL), and settable back to 1?',
    ['drivers/iommu/iommufd/ioas.c:iommufd_ioas_option'],
    [openIommu, alloc(), option('get', 'HUGE_PAGES', 'GET', ', object_id: $ioas.ioas_id, val64: 3'), option('set0', 'HUGE_PAGES', 'SET', ', object_id: $ioas.ioas_id, val64: 0'),
      option('get0', 'HUGE_PAGES', 'GET', ', object_id: $ioas.ioas_id, val64: 3'), option('set2', 'HUGE_PAGES', 'SET', ', object_id: $ioas.ioas_id, val64: 2'),
      option('set1', 'HUGE_PAGES', 'SET', ', object_id: $ioas.ioas_id, val64: 1')],
    { get: 0, 'get.val64': 1, set0: 0, get0: 0, 'get0.val64': 0, set2: '-EINVAL', set1: 0 });

  const lens = [1, 2, PAGE - 1, PAGE, PAGE + 1, 2 * PAGE - 1];
  add('ioas-iova-alloc', `ioas_iova_alloc: Without a domain, does a map of any byte length with a kernel-chosen IOVA succeed and unmap by the same (iova, length)? (Restated for lengths ${lens.join(', ')} of the selftest's 1..8191.)`,
    ['drivers/iommu/iommufd/io_pagetable.c:iopt_alloc_iova', 'drivers/iommu/iommufd/io_pagetable.c:iopt_unmap_iova_range'],
    [openIommu, alloc(), ...lens.flatMap((l) => [mapAuto(`m${l}`, '$buf', l), unmap(`u${l}`, `$m${l}.iova`, l)])],
    Object.fromEntries(lens.flatMap((l) => [[`m${l}`, 0], [`u${l}`, 0]])));

  const MS = MOCK_APERTURE_START;
  add('ioas-align-change', 'ioas_align_change: Without a domain, can HUGE_PAGES be set to 0 (PAGE_SIZE alignment) over an aligned area, is a misaligned map then -EINVAL, and with HUGE_PAGES back at 1 and a misaligned area mapped, is setting 0 refused -EADDRINUSE?',
    ['drivers/iommu/iommufd/ioas.c:iommufd_ioas_option_huge_pages', 'drivers/iommu/iommufd/io_pagetable.c:iopt_disable_large_pages', 'drivers/iommu/iommufd/io_pagetable.c:iopt_enable_large_pages'],
    [openIommu, alloc(), mapFixed('map', '$buf', PAGE, MS), option('set0', 'HUGE_PAGES', 'SET', ', object_id: $ioas.ioas_id, val64: 0'),
      mapFixed('mis', `$buf + ${PAGE / 2}`, PAGE, MS + PAGE), option('set0b', 'HUGE_PAGES', 'SET', ', object_id: $ioas.ioas_id, val64: 0'),
      option('set1', 'HUGE_PAGES', 'SET', ', object_id: $ioas.ioas_id, val64: 1'), mapFixed('mis2', `$buf + ${PAGE / 2}`, PAGE, MS + PAGE),
      option('set0c', 'HUGE_PAGES', 'SET', ', object_id: $ioas.ioas_id, val64: 0'), unmap('u1', hex(MS + PAGE), PAGE), unmap('u0', hex(MS), PAGE)],
    { map: 0, set0: 0, mis: '-EINVAL', set0b: 0, set1: 0, mis2: 0, set0c: '-EADDRINUSE', u1: 0, u0: 0 });

  // copy_sweep, no_domain: a 64 KiB - 1 byte area at the mock aperture start; 2 KiB copies
  // (MOCK_PAGE_SIZE) from every 511th byte: inside the area 0 (then unmapped from the
  // destination), touching outside it -ENOENT.
  const HALF = PAGE / 2;
  const lastIova = MS + BUF_PAGES * PAGE - 2;
  const sweepSteps: string[] = [openIommu, alloc(), alloc('dst'), mapFixed('map', '$buf', lastIova - MS + 1, MS)];
  const sweepDecl: Decl = { dst: 0, map: 0 };
  let n = 0;
  for (let iova = MS - PAGE; iova <= lastIova; iova += 511, n++) {
    sweepSteps.push(step('IOMMU_IOAS_COPY', `iommufd: $fd, dst_ioas_id: $dst.ioas_id, src_ioas_id: $ioas.ioas_id, length: ${HALF}, dst_iova: ${hex(MS)}, src_iova: ${hex(iova)}, flags: IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_WRITEABLE`, `c${n}`));
    if (iova < MS || iova + HALF - 1 > lastIova) sweepDecl[`c${n}`] = '-ENOENT';
    else {
      sweepDecl[`c${n}`] = 0;
      sweepSteps.push(step('IOMMU_IOAS_UNMAP', `iommufd: $fd, ioas_id: $dst.ioas_id, iova: ${hex(MS)}, length: ${HALF}`, `u${n}`));
      sweepDecl[`u${n}`] = 0;
    }
  }
  sweepSteps.push(step('IOMMU_DESTROY', 'iommufd: $fd, id: $dst.ioas_id', 'destroy'));
  sweepDecl.destroy = 0;
  add('ioas-copy-sweep', 'copy_sweep: Without a domain, is a 2 KiB IOMMU_IOAS_COPY out of a 64 KiB - 1 byte area accepted from every source IOVA whose range lies inside the area (each copy unmapped again from the destination IOAS) and -ENOENT wherever it reaches outside, for source IOVAs from a page below the area to its end in 511-byte steps?',
    ['drivers/iommu/iommufd/ioas.c:iommufd_ioas_copy', 'drivers/iommu/iommufd/io_pagetable.c:iopt_get_pages'], sweepSteps, sweepDecl);

  // ---- TEST_F(vfio_compat_mock_domain, get_info), adapted: the compat container of a real
  // device (edu behind the emulated Intel IOMMU) instead of the selftest's mock domain --------
  out.push({
    area: 'iommufd', name: 'selftest-compat-get-info',
    question: `[${SELFTEST} vfio_compat_mock_domain.get_info, adapted to a real device] Through the container iommufd serves (/dev/vfio/vfio with CONFIG_IOMMUFD_VFIO_CONTAINER), does VFIO_IOMMU_GET_INFO ask for room for its capability chain (argsz 20 or 24: no chain, argsz set to the whole size) and, given room, chain DMA_AVAIL (U32_MAX: no entry limit) then IOVA_RANGE — and how does type1 on Debian's kernels answer the same calls?`,
    refs: [`${SELFTEST}:vfio_compat_mock_domain.get_info`, 'drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_iommu_get_info', 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_get_info'],
    setup: [
      'memory:', '  zones: { DMA32: 16M, Normal: 64M, Movable: 64M }', '  hugepages: 16', 'processes:', '  - name: P', `    caps: ${ALLCAP}`,
      '    mappings:', '      - { name: buf, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }',
      'devices:', '  - { name: edu0, kind: edu, iommu_group: 5 }', 'vfio:', '  containers:', '    - { name: C, process: P, iommu: VFIO_TYPE1v2_IOMMU, groups: [edu0] }',
    ].join('\n'),
    steps: [step('VFIO_IOMMU_GET_INFO', 'container: $C, argsz: 20', 'precap'), step('VFIO_IOMMU_GET_INFO', 'container: $C, argsz: 24', 'probe'),
      step('VFIO_IOMMU_GET_INFO', 'container: $C, argsz: 4096', 'info')].join('\n'),
    v61: { precap: 0, 'precap.argsz': 116, 'precap.caps': '[]', probe: 0, 'probe.argsz': 116, 'probe.caps': '[]', info: 0, 'info.caps': '[MIGRATION, DMA_AVAIL, IOVA_RANGE]', 'info.dma_avail': 65535 },
    v612: { precap: 0, 'precap.argsz': 120, 'precap.caps': '[]', probe: 0, 'probe.argsz': 120, 'probe.caps': '[]', info: 0, 'info.caps': '[MIGRATION, DMA_AVAIL, IOVA_RANGE]', 'info.dma_avail': 65535 },
    iommufd: { precap: 0, 'precap.argsz': 88, 'precap.caps': '[]', probe: 0, 'probe.argsz': 88, 'probe.caps': '[]', info: 0, 'info.caps': '[DMA_AVAIL, IOVA_RANGE]', 'info.dma_avail': 4294967295 },
  });
  return out;
}
