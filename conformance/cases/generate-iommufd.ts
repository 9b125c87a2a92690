// The iommufd conformance cases (generate.ts writes them with the others). They run on the
// 6.12 kernel the harness builds with CONFIG_IOMMUFD (profile v6.12+iommufd) and, as a
// check that Debian's kernels have no iommufd, on Debian 6.1 and 6.12 (/dev/iommu and the
// device cdev do not exist: open is -ENOENT, every ioctl on that "fd" -EBADF).
// Declared values come from Debian linux-source-6.12 6.12.118 drivers/iommu/iommufd/*.c and
// drivers/vfio/device_cdev.c (cited per case).

type Decl = Record<string, string | number | null>;
export interface IommufdCase {
  area: string;
  name: string;
  question: string;
  refs: string[];
  setup: string;
  steps: string;
  v61: Decl;
  v612: Decl;
  iommufd: Decl;
}

const RW = 'PROT_READ|PROT_WRITE';
const MAPRW = 'IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE';
const FIXED = `IOMMU_IOAS_MAP_FIXED_IOVA|${MAPRW}`;
const NOCAP = '[CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_DAC_OVERRIDE]';
const ALLCAP = '[CAP_IPC_LOCK, CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_DAC_OVERRIDE]';
const NO_IOMMUFD = { fd: '-ENOENT' };

function setup(o: { caps?: string; memlock?: string; pages?: number; bar?: boolean } = {}): string {
  return [
    'memory:',
    '  zones: { DMA32: 16M, Normal: 64M, Movable: 64M }',
    '  hugepages: 16',
    'processes:',
    '  - name: P',
    `    caps: ${o.caps ?? ALLCAP}`,
    ...(o.memlock ? [`    rlimits: { RLIMIT_MEMLOCK: ${o.memlock} }`] : []),
    '    mappings:',
    `      - { name: buf, addr: 0x20000000, length: ${o.pages ?? 8} pages, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, populate: true }`,
    'devices:',
    `  - { name: edu0, kind: edu, iommu_group: 5${o.bar ? ', bar: 1M' : ''} }`,
  ].join('\n');
}

const step = (op: string, args: string, as: string): string => `- ${op}: { ${args} }\n  as: ${as}`;
const openIommu = step('open', 'path: /dev/iommu', 'fd');
const alloc = (as = 'ioas'): string => step('IOMMU_IOAS_ALLOC', 'iommufd: $fd', as);
const mapFixed = (as: string, iova: string, len: string, ioas = '$ioas.ioas_id', va = '$buf'): string =>
  step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: ${ioas}, user_va: ${va}, length: ${len}, iova: ${iova}, flags: ${FIXED}`, as);
const bindAttach = (pt = '$ioas.ioas_id'): string => [
  step('open', 'path: /dev/vfio/devices/vfio0', 'dev'),
  step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: $fd', 'bind'),
  step('VFIO_DEVICE_ATTACH_IOMMUFD_PT', `device_fd: $dev, pt_id: ${pt}`, 'attach'),
].join('\n');
const obs = (kind: 'locked_vm' | 'pinned_vm', as: string): string => `- observe: { ${kind}: P }\n  as: ${as}`;

const PAGES_C = 'drivers/iommu/iommufd/pages.c';
const IOPT_C = 'drivers/iommu/iommufd/io_pagetable.c';
const IOAS_C = 'drivers/iommu/iommufd/ioas.c';
const MAIN_C = 'drivers/iommu/iommufd/main.c';

export function iommufdCases(): IommufdCase[] {
  const out: IommufdCase[] = [];
  const add = (name: string, question: string, refs: string[], s: string, steps: string[], iommufd: Decl, debian: Decl = NO_IOMMUFD): void => {
    out.push({ area: 'iommufd', name, question, refs, setup: s, steps: steps.join('\n'), v61: debian, v612: debian, iommufd });
  };

  add('ioas-alloc-checks', 'Does IOMMU_IOAS_ALLOC check its size header (short: -EINVAL; longer with zero tail: accepted) and flags (-EOPNOTSUPP), numbering objects from 1?',
    [`${MAIN_C}:iommufd_fops_ioctl`, `${IOAS_C}:iommufd_ioas_alloc_ioctl`], setup(),
    [openIommu, step('IOMMU_IOAS_ALLOC', 'iommufd: $fd, flags: 1', 'badflags'), step('IOMMU_IOAS_ALLOC', 'iommufd: $fd, size: 8', 'short'),
      step('IOMMU_IOAS_ALLOC', 'iommufd: $fd, size: 16', 'longer'), alloc()],
    { fd: '{ ge: 0 }', badflags: '-EOPNOTSUPP', short: '-EINVAL', longer: 0, 'longer.ioas_id': 1, ioas: 0, 'ioas.ioas_id': 2 });

  add('ioas-map-checks', 'How does IOMMU_IOAS_MAP validate its struct: unknown flags or __reserved (-EOPNOTSUPP), no READABLE/WRITEABLE or zero length (-EINVAL), a bad IOAS (-ENOENT), a short size (-EINVAL), iova U64_MAX (-EOVERFLOW); and without a domain is an unaligned range accepted?',
    [`${IOAS_C}:iommufd_ioas_map`, `${PAGES_C}:iopt_alloc_pages`, `${IOPT_C}:iopt_check_iova`], setup(),
    [openIommu, alloc(),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: 1 page, iova: 0x100000, flags: 8`, 'unknown'),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: 1 page, iova: 0x100000, flags: ${FIXED}, reserved: 1`, 'reserved'),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: 1 page, iova: 0x100000, flags: IOMMU_IOAS_MAP_FIXED_IOVA`, 'noprot'),
      mapFixed('zero', '0x100000', '0'),
      mapFixed('noioas', '0x100000', '1 page', '99'),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: 1 page, iova: 0x100000, flags: ${FIXED}, size: 32`, 'short'),
      mapFixed('wrap', '0xffffffffffffffff', '1 page'),
      mapFixed('odd', '0x100123', '100', '$ioas.ioas_id', '$buf + 0x123'),
      mapFixed('again', '0x100000', '1 page')],
    { unknown: '-EOPNOTSUPP', reserved: '-EOPNOTSUPP', noprot: '-EINVAL', zero: '-EINVAL', noioas: '-ENOENT', short: '-EINVAL', wrap: '-EOVERFLOW', odd: 0, again: '-EEXIST' });

  add('ioas-unmap-whole-areas', 'Does IOMMU_IOAS_UNMAP remove only whole areas (a range cutting one: -ENOENT; nothing there: -ENOENT; length 0: -EINVAL) and return the bytes unmapped?',
    [`${IOAS_C}:iommufd_ioas_unmap`, `${IOPT_C}:iopt_unmap_iova_range`], setup(),
    [openIommu, alloc(), mapFixed('map', '0x100000', '4 pages'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x100000, length: 1 page', 'head'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x101000, length: 3 pages', 'tail'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x100000, length: 0', 'zero'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0, length: 0x200000', 'all'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0, length: 0x200000', 'again')],
    { map: 0, head: '-ENOENT', tail: '-ENOENT', zero: '-EINVAL', all: 0, 'all.length': 16384, again: '-ENOENT' });

  add('ioas-map-auto-iova', 'Where does IOMMU_IOAS_MAP put a mapping when the kernel chooses the IOVA (the lowest free IOVA from PAGE_SIZE up, aligned like user_va up to the mapping size)?',
    [`${IOPT_C}:iopt_alloc_iova`], setup(),
    [openIommu, alloc(),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: 4 pages, flags: ${MAPRW}`, 'first'),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf + 1 page, length: 1 page, flags: ${MAPRW}`, 'second'),
      step('IOMMU_IOAS_MAP', `iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: 4 pages, flags: ${MAPRW}`, 'third')],
    { first: 0, 'first.iova': 16384, second: 0, 'second.iova': 4096, third: 0, 'third.iova': 32768 });

  add('ioas-iova-ranges', 'What does IOMMU_IOAS_IOVA_RANGES report for an IOAS without a domain (all of the u64 space, alignment 1), and with too small an array (-EMSGSIZE, the count still written)?',
    [`${IOAS_C}:iommufd_ioas_iova_ranges`], setup(),
    [openIommu, alloc(),
      step('IOMMU_IOAS_IOVA_RANGES', 'iommufd: $fd, ioas_id: $ioas.ioas_id, num_iovas: 4', 'r'),
      step('IOMMU_IOAS_IOVA_RANGES', 'iommufd: $fd, ioas_id: $ioas.ioas_id, num_iovas: 0', 'none'),
      step('IOMMU_IOAS_IOVA_RANGES', 'iommufd: $fd, ioas_id: $ioas.ioas_id, num_iovas: 4, reserved: 1', 'reserved')],
    { r: 0, 'r.num_iovas': 1, 'r.out_iova_alignment': 1, none: '-EMSGSIZE', 'none.num_iovas': 1, reserved: '-EOPNOTSUPP' });

  add('option-huge-pages', 'Does IOMMU_OPTION read and set an IOAS\'s HUGE_PAGES (1 by default; values other than 0/1: -EINVAL; unknown option or __reserved: -EOPNOTSUPP; no such IOAS: -ENOENT)?',
    [`${IOAS_C}:iommufd_ioas_option`, `${MAIN_C}:iommufd_option`], setup(),
    [openIommu, alloc(),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_HUGE_PAGES, op: IOMMU_OPTION_OP_GET, object_id: $ioas.ioas_id', 'get'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_HUGE_PAGES, op: IOMMU_OPTION_OP_SET, object_id: $ioas.ioas_id, val64: 0', 'off'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_HUGE_PAGES, op: IOMMU_OPTION_OP_GET, object_id: $ioas.ioas_id', 'get2'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_HUGE_PAGES, op: IOMMU_OPTION_OP_SET, object_id: $ioas.ioas_id, val64: 2', 'two'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_HUGE_PAGES, op: IOMMU_OPTION_OP_GET, object_id: 99', 'noioas'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: 5, op: IOMMU_OPTION_OP_GET', 'unknown'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_HUGE_PAGES, op: IOMMU_OPTION_OP_GET, object_id: $ioas.ioas_id, reserved: 1', 'reserved')],
    { get: 0, 'get.val64': 1, off: 0, get2: 0, 'get2.val64': 0, two: '-EINVAL', noioas: '-ENOENT', unknown: '-EOPNOTSUPP', reserved: '-EOPNOTSUPP' });

  add('option-rlimit-mode', 'Can IOMMU_OPTION_RLIMIT_MODE switch a fresh context to mm->locked_vm accounting (GET then says 1), and is it refused once objects exist (-EBUSY)?',
    [`${IOAS_C}:iommufd_option_rlimit_mode`], setup(),
    [openIommu,
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_GET', 'get'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_SET, val64: 1', 'set'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_GET', 'get2'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_SET, val64: 7', 'bad'),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_GET, object_id: 1', 'obj'),
      alloc(),
      step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_SET, val64: 0', 'busy')],
    { get: 0, 'get.val64': 0, set: 0, get2: 0, 'get2.val64': 1, bad: '-EINVAL', obj: '-EOPNOTSUPP', ioas: 0, busy: '-EBUSY' });

  add('map-lazy-until-attach', 'Is nothing pinned by IOMMU_IOAS_MAP while no device is attached, and is everything pinned (pinned_vm) but not charged to mm->locked_vm when a device attaches (user->locked_vm accounting)?',
    [`${PAGES_C}:do_update_pinned`, `${IOPT_C}:iopt_table_add_domain`], setup({ caps: NOCAP, memlock: '64K' }),
    [openIommu, alloc(), mapFixed('map', '0x100000', '8 pages'), obs('pinned_vm', 'pvm0'), bindAttach(), obs('pinned_vm', 'pvm1'), obs('locked_vm', 'lvm1'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x100000, length: 8 pages', 'unmap'), obs('pinned_vm', 'pvm2')],
    { map: 0, pvm0: 0, bind: 0, attach: 0, pvm1: 8, lvm1: 0, unmap: 0, pvm2: 0 });

  add('attach-over-limit', 'Without CAP_IPC_LOCK, is attaching a device to an IOAS whose mappings exceed RLIMIT_MEMLOCK refused (-ENOMEM, after pinning, with everything unpinned again)?',
    [`${PAGES_C}:incr_user_locked_vm`, `${PAGES_C}:iopt_area_fill_domain`], setup({ caps: NOCAP, memlock: '16K' }),
    [openIommu, alloc(), mapFixed('map', '0x100000', '8 pages'), bindAttach(), obs('pinned_vm', 'pvm')],
    { map: 0, bind: 0, attach: '-ENOMEM', pvm: 0 });

  add('map-over-limit', 'With a device attached and no CAP_IPC_LOCK, is a map beyond RLIMIT_MEMLOCK refused (-ENOMEM) while one within it succeeds?',
    [`${PAGES_C}:incr_user_locked_vm`, `${PAGES_C}:iopt_area_fill_domains`], setup({ caps: NOCAP, memlock: '16K' }),
    [openIommu, alloc(), bindAttach(), mapFixed('big', '0x100000', '8 pages'), obs('pinned_vm', 'pvm0'), mapFixed('small', '0x200000', '4 pages'), obs('pinned_vm', 'pvm1'), obs('locked_vm', 'lvm')],
    { bind: 0, attach: 0, big: '-ENOMEM', pvm0: 0, small: 0, pvm1: 4, lvm: 0 });

  add('rlimit-mode-mm-charges-locked-vm', 'With IOMMU_OPTION_RLIMIT_MODE = 1, does iommufd charge mm->locked_vm (as VFIO type1 does) and refuse beyond RLIMIT_MEMLOCK?',
    [`${PAGES_C}:update_mm_locked_vm`, 'mm/util.c:__account_locked_vm'], setup({ caps: NOCAP, memlock: '32K' }),
    [openIommu, step('IOMMU_OPTION', 'iommufd: $fd, option_id: IOMMU_OPTION_RLIMIT_MODE, op: IOMMU_OPTION_OP_SET, val64: 1', 'mode'), alloc(), bindAttach(),
      mapFixed('map', '0x100000', '8 pages'), obs('locked_vm', 'lvm'), obs('pinned_vm', 'pvm'), mapFixed('over', '0x200000', '1 page'), obs('locked_vm', 'lvm2')],
    { mode: 0, bind: 0, attach: 0, map: 0, lvm: 8, pvm: 8, over: '-ENOMEM', lvm2: 8 });

  add('cap-ipc-lock-no-charge', 'With CAP_IPC_LOCK at map time, is nothing charged (IOPT_PAGES_ACCOUNT_NONE) though pinned_vm still grows, whatever RLIMIT_MEMLOCK says?',
    [`${PAGES_C}:iopt_alloc_pages`, `${PAGES_C}:do_update_pinned`], setup({ memlock: '16K' }),
    [openIommu, alloc(), bindAttach(), mapFixed('map', '0x100000', '8 pages'), obs('locked_vm', 'lvm'), obs('pinned_vm', 'pvm')],
    { bind: 0, attach: 0, map: 0, lvm: 0, pvm: 8 });

  add('destroy-busy', 'Does IOMMU_DESTROY refuse objects still in use (an IOAS with a hwpt, the hwpt a device is attached to, a bound device: -EBUSY) and unknown ids (-ENOENT)?',
    [`${MAIN_C}:iommufd_object_remove`, 'drivers/iommu/iommufd/device.c:iommufd_device_bind'], setup(),
    [openIommu, alloc(), bindAttach(),
      step('IOMMU_DESTROY', 'iommufd: $fd, id: $ioas.ioas_id', 'ioas_d'), step('IOMMU_DESTROY', 'iommufd: $fd, id: $attach.pt_id', 'hwpt_d'),
      step('IOMMU_DESTROY', 'iommufd: $fd, id: $bind.devid', 'dev_d'), step('IOMMU_DESTROY', 'iommufd: $fd, id: 99', 'none_d')],
    { bind: 0, 'bind.devid': 2, attach: 0, 'attach.pt_id': 3, ioas_d: '-EBUSY', hwpt_d: '-EBUSY', dev_d: '-EBUSY', none_d: '-ENOENT' });

  add('bind-checks', 'How does VFIO_DEVICE_BIND_IOMMUFD validate (flags, short argsz, negative fd: -EINVAL; a file that is no iommufd: -EBADFD; bound twice: -EINVAL), and is every other device ioctl -EINVAL before a bind?',
    ['drivers/vfio/device_cdev.c:vfio_df_ioctl_bind_iommufd'], setup(),
    [openIommu, step('open', 'path: /dev/vfio/devices/vfio0', 'dev'),
      step('VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'device_fd: $dev, pt_id: 1', 'early'),
      step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: $fd, flags: 1', 'flags'),
      step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: $fd, argsz: 12', 'short'),
      step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: -1', 'neg'),
      step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: $dev', 'notfd'),
      step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: $fd', 'bind'),
      step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: $fd', 'twice'),
      step('VFIO_DEVICE_ATTACH_IOMMUFD_PT', 'device_fd: $dev, pt_id: 99', 'noobj'),
      step('VFIO_DEVICE_DETACH_IOMMUFD_PT', 'device_fd: $dev, flags: 1', 'dflags')],
    { dev: '{ ge: 0 }', early: '-EINVAL', flags: '-EINVAL', short: '-EINVAL', neg: '-EINVAL', notfd: '-EBADFD', bind: 0, twice: '-EINVAL', noobj: '-ENOENT', dflags: '-EINVAL' },
    { fd: '-ENOENT', dev: '-ENOENT' });

  add('copy-without-domain-is-lazy', 'After IOMMU_IOAS_COPY into a second IOAS that has no device, does unmapping the original release the pins (the copy holds pages lazily, not pins)?',
    [`${IOAS_C}:iommufd_ioas_copy`, `${PAGES_C}:iopt_area_unfill_domains`], setup(),
    [openIommu, alloc(), mapFixed('map', '0x100000', '8 pages'), bindAttach(), obs('pinned_vm', 'pvm0'), alloc('ioas2'),
      step('IOMMU_IOAS_COPY', `iommufd: $fd, dst_ioas_id: $ioas2.ioas_id, src_ioas_id: $ioas.ioas_id, length: 8 pages, dst_iova: 0x400000, src_iova: 0x100000, flags: ${FIXED}`, 'copy'),
      obs('pinned_vm', 'pvm1'),
      step('IOMMU_IOAS_COPY', `iommufd: $fd, dst_ioas_id: $ioas2.ioas_id, src_ioas_id: $ioas.ioas_id, length: 4 pages, dst_iova: 0x800000, src_iova: 0x101000, flags: ${FIXED}`, 'part'),
      step('IOMMU_IOAS_COPY', `iommufd: $fd, dst_ioas_id: $ioas2.ioas_id, src_ioas_id: $ioas.ioas_id, length: 8 pages, dst_iova: 0xc00000, src_iova: 0x101000, flags: ${FIXED}`, 'past'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x100000, length: 8 pages', 'unmap'), obs('pinned_vm', 'pvm2')],
    { map: 0, attach: 0, pvm0: 8, ioas2: 0, copy: 0, pvm1: 8, part: 0, past: '-ENOENT', unmap: 0, pvm2: 0 });

  add('bar-map-refused', 'Can a device BAR, mmapped from the device cdev, be mapped into an IOAS with a domain (no: the pin of a VM_PFNMAP VMA fails, -EFAULT)?',
    [`${PAGES_C}:pfn_reader_user_pin`, 'mm/gup.c:check_vma_flags'], setup({ bar: true }),
    [openIommu, alloc(), bindAttach(), step('mmap', 'length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, fd: $dev, offset: 0', 'bar'),
      mapFixed('map', '0x100000', '1 page', '$ioas.ioas_id', '$bar'), obs('pinned_vm', 'pvm')],
    { attach: 0, bar: '{ gt: 0 }', map: '-EFAULT', pvm: 0 });

  add('vfio-container-compat', 'Is /dev/vfio/vfio served by iommufd when CONFIG_IOMMUFD_VFIO_CONTAINER (SET_IOMMU before any group: -ENODEV, no compat IOAS yet) rather than by type1 (Debian: -EINVAL, no group)? Neither offers VFIO_UPDATE_VADDR on an unset container.',
    ['drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_check_extension', 'drivers/vfio/container.c:vfio_ioctl_set_iommu'], setup(),
    [step('open', 'path: /dev/vfio/vfio', 'c'), step('VFIO_GET_API_VERSION', 'container: $c', 'api'),
      step('VFIO_CHECK_EXTENSION', 'container: $c, extension: VFIO_TYPE1v2_IOMMU', 'v2'),
      step('VFIO_CHECK_EXTENSION', 'container: $c, extension: VFIO_UPDATE_VADDR', 'vaddr'),
      step('VFIO_SET_IOMMU', 'container: $c, type: VFIO_TYPE1v2_IOMMU', 'set')],
    { api: 0, v2: 1, vaddr: 0, set: '-ENODEV' },
    { api: 0, v2: 1, vaddr: 0, set: '-EINVAL' });
  const vfioIoas = (as: string, args: string): string => step('IOMMU_VFIO_IOAS', `iommufd: $fd, ${args}`, as);
  add('vfio-ioas-checks', 'How does IOMMU_VFIO_IOAS validate its struct: an unknown op and a non-zero __reserved -EOPNOTSUPP, shorter than its 12 bytes -EINVAL, longer with a zero tail accepted, with a non-zero byte after the struct -E2BIG (IOMMU_IOAS_ALLOC too); does SET take an IOAS id only (a device id: -ENOENT); and do the VFIO compat ioctls on the iommufd use the IOAS set?',
    [`${MAIN_C}:iommufd_fops_ioctl`, 'include/linux/uaccess.h:copy_struct_from_user', 'drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_ioas',
      'drivers/iommu/iommufd/vfio_compat.c:iommufd_vfio_map_dma'], setup(),
    [openIommu, alloc(), vfioIoas('badop', 'op: 3'), vfioIoas('reserved', 'op: IOMMU_VFIO_IOAS_GET, reserved: 1'),
      vfioIoas('short', 'op: IOMMU_VFIO_IOAS_SET, ioas_id: $ioas.ioas_id, size: 11'),
      vfioIoas('e2big', 'op: IOMMU_VFIO_IOAS_SET, ioas_id: $ioas.ioas_id, size: 16, trailing: 1'),
      vfioIoas('still_none', 'op: IOMMU_VFIO_IOAS_GET, size: 16'), step('IOMMU_IOAS_ALLOC', 'iommufd: $fd, size: 16, trailing: 1', 'alloc_e2big'),
      step('open', 'path: /dev/vfio/devices/vfio0', 'dev'), step('VFIO_DEVICE_BIND_IOMMUFD', 'device_fd: $dev, iommufd: $fd', 'bind'),
      vfioIoas('set_dev', 'op: IOMMU_VFIO_IOAS_SET, ioas_id: $bind.devid'), vfioIoas('set_longer', 'op: IOMMU_VFIO_IOAS_SET, ioas_id: $ioas.ioas_id, size: 16'),
      vfioIoas('get', 'op: IOMMU_VFIO_IOAS_GET'), step('VFIO_IOMMU_MAP_DMA', 'container: $fd, vaddr: $buf, iova: 0x100000, size: 4 pages', 'compat_map'),
      step('IOMMU_IOAS_UNMAP', 'iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x100000, length: 4 pages', 'unmap_in_ioas')],
    { fd: '{ ge: 0 }', ioas: 0, 'ioas.ioas_id': 1, badop: '-EOPNOTSUPP', reserved: '-EOPNOTSUPP', short: '-EINVAL', e2big: '-E2BIG', still_none: '-ENODEV',
      alloc_e2big: '-E2BIG', bind: 0, set_dev: '-ENOENT', set_longer: 0, get: 0, 'get.ioas_id': 1, compat_map: 0, unmap_in_ioas: 0, 'unmap_in_ioas.length': 16384 });
  add('live-update-not-in-6-12', 'Does 6.12 offer the live-update commands IOMMU_IOAS_MAP_FILE and IOMMU_IOAS_CHANGE_PROCESS (no: first in 6.13, -ENOTTY)?',
    [`${MAIN_C}:iommufd_ioctl_ops`], setup(),
    [openIommu, alloc(), step('IOMMU_IOAS_MAP_FILE', 'iommufd: $fd, ioas_id: $ioas.ioas_id, file_fd: 0, length: 1 page', 'mapfile'),
      step('IOMMU_IOAS_CHANGE_PROCESS', 'iommufd: $fd', 'change')],
    { ioas: 0, mapfile: '-ENOTTY', change: '-ENOTTY' });
  return out;
}
