// Generates the conformance case files (scenario format, docs/scenario-format.md) in this
// directory: `npx tsx conformance/cases/generate.ts`. The YAML files are the cases (the
// model runs them with `pinlab check`, the harness on real kernels); this script only
// saves writing the backing x pinner matrix by hand. Declared values come from the kernel
// sources of Debian 6.1.192 and 6.12.117 (cited per group below) and were confirmed on
// the real kernels by `npm run conformance`.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { iommufdCases } from './generate-iommufd.js';
import { peerCases } from './generate-peer.js';
import { addrspaceCases } from './generate-addrspace.js';
import { remoteCases } from './generate-remote.js';
import { hotplugCases } from './generate-hotplug.js';
import { ioCases } from './generate-io.js';

const HERE = dirname(fileURLToPath(import.meta.url));

type Decl = Record<string, string | number | null>;
interface Case {
  area: string;
  name: string;
  question: string;
  refs?: string[];
  tags?: string[];
  setup: string;
  steps: string;
  observe?: string;
  v61: Decl;
  v612: Decl;
  /** Further expectation lines (warnings, invariants) per release, YAML under the release key. */
  more61?: string;
  more612?: string;
  /** The declaration for the 6.12 kernel built with iommufd (profile v6.12+iommufd), if the case is for it. */
  iommufd?: Decl;
  /** A case rendered elsewhere (generate-remote.ts: a scenario file): written as is. */
  text?: string;
}

const cases: Case[] = [];

function yamlValue(v: string | number | null): string {
  if (v === null) return 'null';
  return String(v);
}

function decl(d: Decl): string {
  return `{ ${Object.entries(d).map(([k, v]) => `${k}: ${yamlValue(v)}`).join(', ')} }`;
}

function render(c: Case): string {
  if (c.text !== undefined) return c.text;
  const ind = (s: string, n: number): string => s.trim().split('\n').map((l) => ' '.repeat(n) + l).join('\n');
  return [
    'format: 1',
    `question: ${JSON.stringify(c.question)}`,
    ...(c.refs && c.refs.length > 0 ? ['refs:', ...c.refs.map((r) => `  - ${JSON.stringify(r)}`)] : []),
    `tags: [${['conformance', c.area, ...(c.tags ?? [])].join(', ')}]`,
    'setup:',
    ind(c.setup, 2),
    'threads:',
    '  - process: P',
    '    steps:',
    ind(c.steps, 6),
    ...(c.observe ? ['observe:', ind(c.observe, 2)] : []),
    'expect:',
    '  v6.1:',
    `    values: ${decl(c.v61)}`,
    ...(c.more61 ? [`    ${c.more61}`] : []),
    '  v6.12:',
    `    values: ${decl(c.v612)}`,
    ...(c.more612 ? [`    ${c.more612}`] : []),
    ...(c.iommufd ? ['  v6.12+iommufd:', `    values: ${decl(c.iommufd)}`] : []),
    '',
  ].join('\n');
}

// ---- backings -------------------------------------------------------------------------------

interface Backing {
  id: string;
  /** setup keys besides processes/devices/vfio (memory, filesystems, files) */
  extra: string;
  /** the process's mappings list (may be empty) */
  mappings: string;
  /** steps creating `$buf` when it is not a set-up mapping */
  pre: string;
  /** bytes of the buffer */
  len: string;
  /** pages charged when the whole buffer is pinned and accounted */
  pages: number;
  what: string;
}

const RW = 'PROT_READ|PROT_WRITE';
const m = (flags: string, len: string, extra = ''): string => `- { name: buf, length: ${len}, prot: ${RW}, flags: ${flags}${extra}, populate: true }`;

const BACKINGS: Backing[] = [
  { id: 'anon', extra: '', mappings: m('MAP_PRIVATE|MAP_ANONYMOUS', '4 pages'), pre: '', len: '4 pages', pages: 4, what: 'private anonymous memory' },
  { id: 'anon-shared', extra: '', mappings: m('MAP_SHARED|MAP_ANONYMOUS', '4 pages'), pre: '', len: '4 pages', pages: 4, what: 'shared anonymous memory (shmem)' },
  {
    id: 'anon-thp', extra: '', mappings: '- { name: buf, addr: 0x40000000, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE }',
    pre: '- madvise: { addr: $buf, length: 2M, advice: MADV_HUGEPAGE }\n- store: { addr: $buf, length: 2M, content: A }', len: '2M', pages: 512, what: 'a 2 MiB-aligned anonymous THP range (MADV_HUGEPAGE)',
  },
  {
    id: 'anon-nothp', extra: '', mappings: '- { name: buf, addr: 0x40000000, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE }',
    pre: '- madvise: { addr: $buf, length: 2M, advice: MADV_NOHUGEPAGE }\n- store: { addr: $buf, length: 2M, content: A }', len: '2M', pages: 512, what: 'a 2 MiB-aligned anonymous range with MADV_NOHUGEPAGE (4 KiB pages)',
  },
  { id: 'hugetlb', extra: '', mappings: m('MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB', '2M'), pre: '', len: '2M', pages: 512, what: 'a private hugetlb (2 MiB) mapping' },
  {
    id: 'memfd', extra: '', mappings: '',
    pre: '- memfd_create: { name: pinlab }\n  as: mfd\n- ftruncate: { fd: $mfd, length: 4 pages }\n- mmap: { length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, fd: $mfd }\n  as: buf\n- store: { addr: $buf, length: 4 pages, content: A }',
    len: '4 pages', pages: 4, what: 'a shared memfd mapping',
  },
  {
    id: 'memfd-hugetlb', extra: '', mappings: '',
    pre: '- memfd_create: { name: pinlab, flags: MFD_HUGETLB|MFD_HUGE_2MB }\n  as: mfd\n- ftruncate: { fd: $mfd, length: 2M }\n- mmap: { length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, fd: $mfd }\n  as: buf\n- store: { addr: $buf, length: 2M, content: A }',
    len: '2M', pages: 512, what: 'a shared hugetlb memfd mapping (MFD_HUGETLB)',
  },
  {
    id: 'tmpfs', extra: 'filesystems:\n  - { mount: /dev/shm, type: tmpfs }\nfiles:\n  - { path: /dev/shm/f, size: 4 pages }',
    mappings: m('MAP_SHARED', '4 pages', ', file: /dev/shm/f'), pre: '', len: '4 pages', pages: 4, what: 'a shared tmpfs file mapping',
  },
  {
    id: 'ext4-shared', extra: 'filesystems:\n  - { mount: /mnt/ext4, type: ext4 }\nfiles:\n  - { path: /mnt/ext4/f, size: 4 pages }',
    mappings: m('MAP_SHARED', '4 pages', ', file: /mnt/ext4/f'), pre: '', len: '4 pages', pages: 4, what: 'a shared ext4 (page cache) file mapping',
  },
  {
    id: 'ext4-private', extra: 'filesystems:\n  - { mount: /mnt/ext4, type: ext4 }\nfiles:\n  - { path: /mnt/ext4/f, size: 4 pages }',
    mappings: m('MAP_PRIVATE', '4 pages', ', file: /mnt/ext4/f'), pre: '', len: '4 pages', pages: 4, what: 'a private ext4 file mapping (written, so COWed to anonymous pages)',
  },
  {
    id: 'fsdax-shared', extra: 'memory:\n  pmem:\n    - { name: pmem0, size: 16M, mode: fsdax }\nfilesystems:\n  - { mount: /mnt/dax, type: ext4, dax: true, device: pmem0 }\nfiles:\n  - { path: /mnt/dax/f, size: 4 pages }',
    mappings: m('MAP_SHARED', '4 pages', ', file: /mnt/dax/f'), pre: '', len: '4 pages', pages: 4, what: 'a shared fs-DAX file mapping (ext4 -o dax)',
  },
  {
    id: 'fsdax-private', extra: 'memory:\n  pmem:\n    - { name: pmem0, size: 16M, mode: fsdax }\nfilesystems:\n  - { mount: /mnt/dax, type: ext4, dax: true, device: pmem0 }\nfiles:\n  - { path: /mnt/dax/f, size: 4 pages }',
    mappings: m('MAP_PRIVATE', '4 pages', ', file: /mnt/dax/f'), pre: '', len: '4 pages', pages: 4, what: 'a private fs-DAX file mapping',
  },
  {
    id: 'devdax', extra: 'memory:\n  pmem:\n    - { name: pmem1, size: 16M, mode: devdax }', mappings: '',
    pre: '- open: { path: /dev/dax0.0 }\n  as: dfd\n- mmap: { length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, fd: $dfd }\n  as: buf\n- store: { addr: $buf, length: 2M, content: A }',
    len: '2M', pages: 512, what: 'a device-DAX mapping (/dev/daxX.Y)',
  },
];

/** The guest has ZONE_MOVABLE (movablecore=768M), so user pages start there; the model mirrors it. */
const MEMORY = 'memory:\n  zones: { DMA32: 16M, Normal: 64M, Movable: 64M }\n  hugepages: 16';

function procSetup(b: Backing, opts: { rlimit?: string; caps?: string; vfio?: boolean } = {}): string {
  const lines: string[] = [];
  const extra = b.extra.startsWith('memory:\n') ? b.extra.replace('memory:\n', `${MEMORY}\n`) : [MEMORY, b.extra].filter((x) => x).join('\n');
  lines.push(extra);
  lines.push('processes:', '  - name: P');
  if (opts.caps !== undefined) lines.push(`    caps: ${opts.caps}`);
  if (opts.rlimit !== undefined) lines.push(`    rlimits: { RLIMIT_MEMLOCK: ${opts.rlimit} }`);
  if (b.mappings) lines.push('    mappings:', b.mappings.split('\n').map((l) => `      ${l}`).join('\n'));
  if (opts.vfio !== false) {
    lines.push('devices:', '  - { name: edu0, kind: edu, iommu_group: 5 }');
    lines.push('vfio:', '  containers:', '    - { name: C, process: P, iommu: VFIO_TYPE1v2_IOMMU, groups: [edu0] }');
  }
  return lines.join('\n');
}

// ---- 1. every backing x VFIO MAP_DMA (read/write and read-only) and io_uring -------------------
// Sources: drivers/vfio/vfio_iommu_type1.c vaddr_get_pfns() (pin_user_pages_remote with
// FOLL_LONGTERM, FOLL_WRITE only for IOMMU_WRITE) and vfio_pin_pages_remote() (locked_vm,
// reserved pfns not charged); mm/gup.c check_vma_flags() (fs-DAX refused for FOLL_LONGTERM) and,
// 6.5+ (so 6.12 only), writable_file_mapping_allowed() (a writable long-term pin of a shared
// page-cache file: -EFAULT). io_uring/rsrc.c: 6.1 io_pin_pages() refuses file-backed VMAs other
// than shmem/hugetlbfs with -EOPNOTSUPP; 6.12 leaves that to GUP (FOLL_WRITE|FOLL_LONGTERM).

interface Verdicts { map: string | number; lvm: number }
// Debian 6.1.192 follow_hugetlb_page(): try_grab_folio() refuses a FOLL_LONGTERM pin of a hugetlb
// folio that is not long-term pinnable (ZONE_MOVABLE) inside WARN_ON_ONCE, and the pin fails with
// -ENOMEM. The model reports that WARN in every case that hits it; on the real kernel it would show
// once per boot (the guest runs with loglevel=2, so it is not in the console log; the harness
// compares values only, so declaring it changes nothing there).
const WARN_HUGETLB_LONGTERM_61 = 'warnings: [mm/hugetlb.c:follow_hugetlb_page]';
// A VADDR update makes the device keep the first vaddr's pinned pages while the process maps
// others at the mapping's new vaddr: dma-coherent-with-process is violated on every schedule, as
// on the real kernel (the device reads the old data).
const VADDR_INCOHERENT = 'invariants: { dma-coherent-with-process: always }';
const VFIO_RW: Record<string, [Verdicts, Verdicts]> = {};
const VFIO_RO: Record<string, [Verdicts, Verdicts]> = {};
const URING: Record<string, [string | number, string | number]> = {};
for (const b of BACKINGS) {
  const ok: Verdicts = { map: 0, lvm: b.id === 'devdax' ? 0 : b.pages };
  const dax: Verdicts = { map: '-EOPNOTSUPP', lvm: 0 };
  // hugetlb in 6.1: the pool pages sit in ZONE_MOVABLE and the long-term pin's migration of
  // them fails: -ENOMEM (observed on Debian 6.1.192; 6.12.117 migrates them). The allocation
  // step that fails in 6.1 is UNVERIFIED (alloc_migration_target() for hugetlb).
  const huge = b.id === 'hugetlb' || b.id === 'memfd-hugetlb';
  const nomem: Verdicts = { map: '-ENOMEM', lvm: 0 };
  VFIO_RW[b.id] = b.id.startsWith('fsdax') ? [dax, dax] : b.id === 'ext4-shared' ? [ok, { map: '-EFAULT', lvm: 0 }] : huge ? [nomem, ok] : [ok, ok];
  VFIO_RO[b.id] = b.id.startsWith('fsdax') ? [dax, dax] : huge ? [nomem, ok] : [ok, ok];
  const fileBacked = ['ext4-shared', 'ext4-private', 'fsdax-shared', 'fsdax-private', 'devdax'].includes(b.id);
  URING[b.id] = [
    fileBacked ? '-EOPNOTSUPP' : huge ? '-ENOMEM' : 0,
    b.id.startsWith('fsdax') ? '-EOPNOTSUPP' : b.id === 'ext4-shared' ? '-EFAULT' : 0,
  ];
}

for (const b of BACKINGS) {
  for (const [mode, flags, table] of [
    ['rw', 'VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE', VFIO_RW],
    ['ro', 'VFIO_DMA_MAP_FLAG_READ', VFIO_RO],
  ] as const) {
    const [a, z] = table[b.id] as [Verdicts, Verdicts];
    cases.push({
      area: 'backing', name: `vfio-map-${mode}-${b.id}`,
      question: `What does VFIO_IOMMU_MAP_DMA (${mode === 'rw' ? 'read/write' : 'read-only'}) return for ${b.what}, and what does it charge to locked_vm?`,
      refs: ['drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote', 'mm/gup.c:check_vma_flags'],
      setup: procSetup(b),
      steps: `${b.pre}\n- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: ${b.len}, flags: ${flags} }\n  as: map`.trim(),
      observe: 'lvm: { locked_vm: P }',
      v61: { map: a.map, lvm: a.lvm }, v612: { map: z.map, lvm: z.lvm },
      ...(a.map === '-ENOMEM' ? { more61: WARN_HUGETLB_LONGTERM_61 } : {}),
    });
  }
  const [u61, u612] = URING[b.id] as [string | number, string | number];
  cases.push({
    area: 'backing', name: `uring-register-${b.id}`,
    question: `Can io_uring register ${b.what} as a fixed buffer (IORING_REGISTER_BUFFERS), and does it leave mm->locked_vm alone?`,
    refs: ['io_uring/rsrc.c:io_sqe_buffer_register', 'io_uring/rsrc.c:io_pin_pages'],
    setup: procSetup(b, { vfio: false }),
    steps: `${b.pre}\n- io_uring_setup: {}\n  as: ring\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: ${b.len} }] }\n  as: reg\n- observe: { locked_vm: P }\n  as: lvm\n- observe: { pinned_vm: P }\n  as: pvm\n- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: unreg`.trim(),
    // io_uring charges mm->pinned_vm (and user->locked_vm), never mm->locked_vm; whole compound pages
    v61: { reg: u61, lvm: 0, pvm: u61 === 0 ? b.pages : 0, unreg: u61 === 0 ? 0 : '-ENXIO' },
    v612: { reg: u612, lvm: 0, pvm: u612 === 0 ? b.pages : 0, unreg: u612 === 0 ? 0 : '-ENXIO' },
    ...(u61 === '-ENOMEM' ? { more61: WARN_HUGETLB_LONGTERM_61 } : {}),
  });
}

// ---- helpers for the single-feature groups ------------------------------------------------------

const ANON = BACKINGS[0] as Backing;
const ANON1: Backing = { ...ANON, mappings: m('MAP_PRIVATE|MAP_ANONYMOUS', '1 page'), len: '1 page', pages: 1 };
const MAPRW = 'VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE';
const NOCAP = '[CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_DAC_OVERRIDE]';

function add(area: string, name: string, question: string, setup: string, steps: string, both: Decl, v612?: Decl, refs?: string[], observe?: string): void {
  cases.push({ area, name, question, setup, steps: steps.trim(), v61: both, v612: v612 ?? both, ...(refs ? { refs } : {}), ...(observe ? { observe } : {}) });
}
const map = (iova: string, size: string, extra = '', as = 'map', vaddr = '$buf'): string =>
  `- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: ${vaddr}, iova: ${iova}, size: ${size}, flags: ${MAPRW}${extra} }\n  as: ${as}`;
const unmap = (iova: string, size: string, extra = '', as = 'un'): string =>
  `- VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: ${iova}, size: ${size}${extra} }\n  as: ${as}`;
const lvm = (as = 'lvm'): string => `- observe: { locked_vm: P }\n  as: ${as}`;

// ---- 2. VFIO_IOMMU_MAP_DMA / container argument validation --------------------------------------
// drivers/vfio/vfio_iommu_type1.c vfio_iommu_type1_map_dma() / vfio_dma_do_map() (size, alignment
// to the smallest IOMMU page, wrap, prot, overlap -EEXIST, dma_avail -ENOSPC) and
// drivers/vfio/container.c vfio_ioctl_set_iommu() 4.2 and 6.2 (V2-V12).
{
  const VAL = 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map';
  const v = (name: string, q: string, steps: string, d: Decl, d612?: Decl): void => add('vfio-validation', name, q, procSetup(ANON), steps, d, d612, [VAL]);
  v('map-size-zero', 'Is a MAP_DMA of size 0 refused?', map('0x100000', '0'), { map: '-EINVAL' });
  v('map-iova-unaligned', 'Is a MAP_DMA whose iova is not page aligned refused?', map('0x100800', '1 page'), { map: '-EINVAL' });
  v('map-vaddr-unaligned', 'Is a MAP_DMA whose vaddr is not page aligned refused?', map('0x100000', '1 page', '', 'map', '$buf + 0x800'), { map: '-EINVAL' });
  v('map-size-unaligned', 'Is a MAP_DMA whose size is not a page multiple refused?', map('0x100000', '0x1800'), { map: '-EINVAL' });
  v('map-iova-wraps', 'Is a MAP_DMA whose iova + size wraps around refused, and with which errno?', map('"0xfffffffffffff000"', '2 pages'), { map: '-EINVAL' });
  v('map-flags-none', 'Is a MAP_DMA with neither READ nor WRITE refused?', '- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 1 page, flags: 0 }\n  as: map', { map: '-EINVAL' });
  v('map-flags-unknown', 'Is a MAP_DMA with an unknown flag bit refused?', '- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 1 page, flags: 0x13 }\n  as: map', { map: '-EINVAL' });
  v('map-argsz-small', 'Is a MAP_DMA whose argsz does not cover size refused?', map('0x100000', '1 page', ', argsz: 24'), { map: '-EINVAL' });
  v('map-overlap', 'Is a MAP_DMA overlapping an existing mapping refused with -EEXIST, leaving the first intact?',
    `${map('0x100000', '4 pages', '', 'm1')}\n${map('0x102000', '2 pages', '', 'm2')}\n${lvm()}`, { m1: 0, m2: '-EEXIST', lvm: 4 });
  v('map-same-vaddr-twice', 'May the same pages be mapped at two iovas, and are they charged twice?',
    `${map('0x100000', '4 pages', '', 'm1')}\n${map('0x200000', '4 pages', '', 'm2')}\n${lvm()}`, { m1: 0, m2: 0, lvm: 8 });
  v('map-hole', 'Does a MAP_DMA over a range with an unmapped hole fail with -EFAULT and undo everything?',
    `- munmap: { addr: $buf + 2 pages, length: 1 page }\n${map('0x100000', '4 pages')}\n${lvm()}`, { map: '-EFAULT', lvm: 0 });
  v('map-prot-none', 'Does a MAP_DMA of a PROT_NONE range fail with -EFAULT?',
    `- mprotect: { addr: $buf, length: 4 pages, prot: PROT_NONE }\n${map('0x100000', '4 pages')}\n${lvm()}`, { map: '-EFAULT', lvm: 0 });
  add('vfio-validation', 'map-rw-on-readonly-vma', 'Does a read/write MAP_DMA of a read-only VMA fail (FOLL_WRITE), while a read-only MAP_DMA works?',
    procSetup({ ...ANON, mappings: '- { name: buf, length: 4 pages, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }' }),
    `${map('0x100000', '4 pages', '', 'rw')}\n- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x200000, size: 4 pages, flags: VFIO_DMA_MAP_FLAG_READ }\n  as: ro`,
    { rw: '-EFAULT', ro: 0 }, undefined, [VAL, 'mm/gup.c:check_vma_flags']);
  add('vfio-validation', 'map-ro-untouched-anon', 'What does a read-only MAP_DMA of never-touched anonymous memory pin and charge (the shared zero page is reserved and not charged)?',
    procSetup({ ...ANON, mappings: '- { name: buf, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }' }),
    `- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 4 pages, flags: VFIO_DMA_MAP_FLAG_READ }\n  as: map\n${lvm()}`,
    // 6.1: GUP pins the shared zero page (PageReserved: mapped, not charged); 6.12: a read-only
    // long-term pin unshares it into fresh anonymous pages (6.2+), which are charged.
    { map: 0, lvm: 0 }, { map: 0, lvm: 4 }, [VAL, 'drivers/vfio/vfio_iommu_type1.c vaddr_get_pfn (zero page on a read-only pin)']);
  const bare = `${MEMORY}\nprocesses:\n  - name: P\n    mappings:\n      ${ANON.mappings}\ndevices:\n  - { name: edu0, kind: edu, iommu_group: 5 }`;
  add('vfio-validation', 'map-before-set-iommu', 'Is MAP_DMA on a container without an IOMMU driver refused with -EINVAL?', bare,
    `- open: { path: /dev/vfio/vfio }\n  as: c\n- open: { path: /dev/vfio/5 }\n  as: g\n- VFIO_GROUP_SET_CONTAINER: { group: $g, container: $c }\n  as: set\n- VFIO_IOMMU_MAP_DMA: { container: $c, vaddr: $buf, iova: 0x100000, size: 1 page }\n  as: map`,
    { set: 0, map: '-EINVAL' }, undefined, ['drivers/vfio/container.c:vfio_fops_unl_ioctl']);
  add('vfio-validation', 'set-iommu-no-group', 'Is VFIO_SET_IOMMU on a container with no group refused with -EINVAL?', bare,
    `- open: { path: /dev/vfio/vfio }\n  as: c\n- VFIO_SET_IOMMU: { container: $c, type: VFIO_TYPE1v2_IOMMU }\n  as: si`, { si: '-EINVAL' }, undefined, ['drivers/vfio/container.c:vfio_ioctl_set_iommu']);
  // The edu's BAR 0 (1 MiB MMIO) mmapped read-only through the device fd: a VM_PFNMAP VMA. MAP_DMA of it
  // takes the vaddr_get_pfns() PFNMAP fallback (follow_fault_pfn, 41311242221e): device-readable is mapped,
  // device-writable through a read-only mapping is -EFAULT; nothing is pinned or charged.
  add('vfio-validation', 'map-bar-readonly', 'Is a read/write MAP_DMA of a read-only mmap of the device BAR refused, while a read-only one is mapped?',
    bare.replace('iommu_group: 5 }', 'iommu_group: 5, bar: 1M }'),
    `- open: { path: /dev/vfio/vfio }\n  as: c\n- open: { path: /dev/vfio/5 }\n  as: g\n- VFIO_GROUP_SET_CONTAINER: { group: $g, container: $c }\n  as: set\n` +
    `- VFIO_SET_IOMMU: { container: $c, type: VFIO_TYPE1v2_IOMMU }\n  as: si\n- VFIO_GROUP_GET_DEVICE_FD: { group: $g, device: edu0 }\n  as: d\n` +
    `- mmap: { length: 2 pages, prot: PROT_READ, flags: MAP_SHARED, fd: $d, offset: 0 }\n  as: bar\n` +
    `- VFIO_IOMMU_MAP_DMA: { container: $c, vaddr: $bar, iova: 0x100000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ }\n  as: ro\n` +
    `- VFIO_IOMMU_MAP_DMA: { container: $c, vaddr: $bar + 1 page, iova: 0x200000, size: 1 page }\n  as: rw\n${lvm()}`,
    { set: 0, si: 0, ro: 0, rw: '-EFAULT', lvm: 0 }, undefined, ['drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfns', 'drivers/vfio/vfio_iommu_type1.c:follow_fault_pfn']);
  // VFIO_IOMMU_DIRTY_PAGES (d6a4c185660c, 5.8): the edu's group has no pinned-page dirty scope, so every page
  // the IOMMU maps is reported dirty; a range cutting a mapping, a stopped tracker and two operations at once
  // are -EINVAL (vfio_iommu_type1_dirty_pages, vfio_iova_dirty_bitmap).
  add('vfio-validation', 'dirty-pages', 'Does VFIO_IOMMU_DIRTY_PAGES report every mapped page dirty while tracking runs, and refuse the bitmap once it stops?',
    procSetup(ANON),
    `${map('0x100000', '2 pages')}\n${map('0x104000', '2 pages', '', 'map2', '$buf + 2 pages')}\n` +
    `- VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START }\n  as: start\n` +
    `- VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, iova: 0x100000, size: 6 pages }\n  as: get\n` +
    `- VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, iova: 0x101000, size: 1 page }\n  as: cut\n` +
    `- VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP }\n  as: stop\n` +
    `- VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, iova: 0x100000, size: 6 pages }\n  as: stopped\n` +
    `- VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START|VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP }\n  as: both`,
    { map: 0, map2: 0, start: 0, get: 0, 'get.dirty': '[0, 1, 4, 5]', cut: '-EINVAL', stop: 0, stopped: '-EINVAL', both: '-EINVAL' }, undefined,
    ['drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_dirty_pages', 'drivers/vfio/vfio_iommu_type1.c:update_user_bitmap']);
  // VFIO_IOMMU_GET_INFO's capability chain: MIGRATION (5.8), DMA_AVAIL (7d6e1329652e, 5.10), IOVA_RANGE, in that
  // order; with a short argsz the kernel only reports the size it needs.
  add('vfio-validation', 'get-info-caps', 'Which capabilities does VFIO_IOMMU_GET_INFO chain, and does DMA_AVAIL count the mappings made?',
    procSetup(ANON),
    `- VFIO_IOMMU_GET_INFO: { container: $C, argsz: 24 }\n  as: probe\n${map('0x100000', '1 page')}\n${map('0x200000', '1 page', '', 'map2', '$buf + 1 page')}\n` +
    `- VFIO_IOMMU_GET_INFO: { container: $C, argsz: 4096 }\n  as: info`,
    // The size asked for: 24 + MIGRATION 32 + DMA_AVAIL 12 + IOVA_RANGE 16 + 2 x 16 on 6.1; 6.12 rounds DMA_AVAIL to 16 (a881b496941f).
    { probe: 0, 'probe.argsz': 116, 'probe.caps': '[]', map: 0, map2: 0, info: 0, 'info.caps': '[MIGRATION, DMA_AVAIL, IOVA_RANGE]', 'info.dma_avail': 65533, 'info.argsz': 4096 },
    { probe: 0, 'probe.argsz': 120, 'probe.caps': '[]', map: 0, map2: 0, info: 0, 'info.caps': '[MIGRATION, DMA_AVAIL, IOVA_RANGE]', 'info.dma_avail': 65533, 'info.argsz': 4096 },
    ['drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_get_info']);
  v('set-iommu-twice', 'Is a second VFIO_SET_IOMMU on a set container refused?', `- VFIO_SET_IOMMU: { container: $C, type: VFIO_TYPE1v2_IOMMU }\n  as: si`, { si: '-EINVAL' });
  add('vfio-validation', 'get-api-version', 'What does VFIO_GET_API_VERSION return?', bare,
    `- open: { path: /dev/vfio/vfio }\n  as: c\n- VFIO_GET_API_VERSION: { container: $c }\n  as: api`, { api: 0 }, undefined, ['include/uapi/linux/vfio.h:VFIO_API_VERSION']);
  // open(2) of the nodes: the container opens O_RDONLY; a group opens once; a device fd keeps the group busy
  // after its group fd is closed (6.1/6.12: it holds the group file, b76c0eed7486) until it is closed too.
  add('vfio-validation', 'group-open-busy', 'Is a second open of /dev/vfio/<group> refused, also while a device fd outlives the group fd, and does /dev/vfio/vfio open read-only?', bare,
    [
      '- open: { path: /dev/vfio/vfio, flags: O_RDONLY }\n  as: c', '- VFIO_GET_API_VERSION: { container: $c }\n  as: api',
      '- open: { path: /dev/vfio/5 }\n  as: g', '- open: { path: /dev/vfio/5 }\n  as: again',
      '- VFIO_GROUP_SET_CONTAINER: { group: $g, container: $c }\n  as: set', '- VFIO_SET_IOMMU: { container: $c, type: VFIO_TYPE1v2_IOMMU }\n  as: iommu',
      '- VFIO_GROUP_GET_DEVICE_FD: { group: $g, device: edu0 }\n  as: d', '- close: { fd: $g }\n  as: cg',
      '- open: { path: /dev/vfio/5 }\n  as: devopen', '- close: { fd: $d }\n  as: cd',
      '- open: { path: /dev/vfio/5 }\n  as: reopen', '- VFIO_GROUP_SET_CONTAINER: { group: $reopen, container: $c }\n  as: set2',
    ].join('\n'),
    { api: 0, again: '-EBUSY', set: 0, iommu: 0, cg: 0, devopen: '-EBUSY', cd: 0, set2: 0 }, undefined,
    ['drivers/vfio/group.c:vfio_group_fops_open', 'drivers/vfio/container.c:vfio_fops_open', 'drivers/char/misc.c:misc_open']);
  // SET_CONTAINER with a file that is no container (the group fd itself): 6.1 -EINVAL; from 6.2 the group asks
  // iommufd_ctx_from_file() and answers -EBADFD for a file it does not recognise, iommufd built or not (2bbe2562ade7).
  cases.push({
    area: 'vfio-validation', name: 'set-container-not-container',
    question: 'What does VFIO_GROUP_SET_CONTAINER answer when the fd is not a container (the group fd itself)?',
    refs: ['drivers/vfio/vfio_main.c:vfio_group_ioctl_set_container (6.1)', 'drivers/vfio/group.c:vfio_group_ioctl_set_container (6.12)', 'include/linux/iommufd.h:iommufd_ctx_from_file'],
    setup: bare, steps: '- open: { path: /dev/vfio/5 }\n  as: g\n- VFIO_GROUP_SET_CONTAINER: { group: $g, container: $g }\n  as: set',
    v61: { g: '{ ge: 0 }', set: '-EINVAL' }, v612: { g: '{ ge: 0 }', set: '-EBADFD' }, iommufd: { g: '{ ge: 0 }', set: '-EBADFD' },
  });
  v('check-extension', 'Which IOMMU extensions does a type1v2 container report (TYPE1, TYPE1v2, UNMAP_ALL, UPDATE_VADDR, NOIOMMU)?',
    ['VFIO_TYPE1_IOMMU:t1', 'VFIO_TYPE1v2_IOMMU:t2', 'VFIO_UNMAP_ALL:ua', 'VFIO_UPDATE_VADDR:uv', 'VFIO_NOIOMMU_IOMMU:noio']
      .map((x) => `- VFIO_CHECK_EXTENSION: { container: $C, extension: ${x.split(':')[0]} }\n  as: ${x.split(':')[1]}`).join('\n'),
    { t1: 1, t2: 1, ua: 1, uv: 1, noio: 0 });
  v('check-extension-nesting', 'Does a type1v2 container still advertise VFIO_TYPE1_NESTING_IOMMU?',
    '- VFIO_CHECK_EXTENSION: { container: $C, extension: VFIO_TYPE1_NESTING_IOMMU }\n  as: nest', { nest: 1 });
  v('get-info', 'Does VFIO_IOMMU_GET_INFO succeed on a type1v2 container?', '- VFIO_IOMMU_GET_INFO: { container: $C }\n  as: info', { info: 0 });
}

// ---- 3. VFIO_IOMMU_UNMAP_DMA: v1 and v2 semantics -------------------------------------------------
// vfio_dma_do_unmap(): v2 refuses to bisect a mapping (-EINVAL); v1 removes a mapping that starts at
// iova whole and stops at one that starts before iova; UNMAP_ALL (5.12+) needs iova = size = 0;
// the unmapped size is copied back.
{
  const UN = 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_unmap';
  const v1 = procSetup(ANON).replace('VFIO_TYPE1v2_IOMMU', 'VFIO_TYPE1_IOMMU');
  const u = (name: string, q: string, setup: string, steps: string, d: Decl): void => add('vfio-unmap', name, q, setup, steps, d, undefined, [UN]);
  u('v2-unmap-exact', 'Does a v2 UNMAP_DMA of exactly one mapping report its size and un-charge locked_vm?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '4 pages')}\n${lvm()}`, { map: 0, un: 0, lvm: 0 });
  u('v2-unmap-bisect', 'Is a v2 UNMAP_DMA that would split a mapping refused?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x101000', '1 page')}\n${lvm()}`, { map: 0, un: '-EINVAL', lvm: 4 });
  u('v2-unmap-head-only', 'Is a v2 UNMAP_DMA of only the first page of a mapping refused?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '1 page')}\n${lvm()}`, { map: 0, un: '-EINVAL', lvm: 4 });
  u('v2-unmap-empty', 'Does a v2 UNMAP_DMA of a range with no mapping succeed with size 0?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x800000', '4 pages')}\n${lvm()}`, { map: 0, un: 0, lvm: 4 });
  u('v2-unmap-two', 'Does one v2 UNMAP_DMA covering two mappings remove both?', procSetup(ANON),
    `${map('0x100000', '2 pages', '', 'm1')}\n${map('0x200000', '2 pages', '', 'm2', '$buf + 2 pages')}\n${unmap('0x100000', '0x200000')}\n${lvm()}`,
    { m1: 0, m2: 0, un: 0, lvm: 0 });
  u('v2-unmap-overhang', 'Does a v2 UNMAP_DMA reaching past the end of the only mapping remove it?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '16 pages')}\n${lvm()}`, { map: 0, un: 0, lvm: 0 });
  u('v2-unmap-twice', 'Does a second UNMAP_DMA of the same range succeed with size 0?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '4 pages', '', 'u1')}\n${unmap('0x100000', '4 pages', '', 'u2')}`,
    { map: 0, u1: 0, u2: 0 });
  u('v2-unmap-all', 'Does UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_ALL remove every mapping?', procSetup(ANON),
    `${map('0x100000', '2 pages', '', 'm1')}\n${map('0x400000', '2 pages', '', 'm2', '$buf + 2 pages')}\n${unmap('0', '0', ', flags: VFIO_DMA_UNMAP_FLAG_ALL')}\n${lvm()}`,
    { m1: 0, m2: 0, un: 0, lvm: 0 });
  u('v2-unmap-all-nonzero', 'Is UNMAP_ALL with a non-zero iova refused?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '0', ', flags: VFIO_DMA_UNMAP_FLAG_ALL')}\n${lvm()}`, { map: 0, un: '-EINVAL', lvm: 4 });
  u('unmap-unaligned', 'Is an UNMAP_DMA whose iova is not page aligned refused?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100800', '1 page')}`, { map: 0, un: '-EINVAL' });
  u('unmap-size-zero', 'Is an UNMAP_DMA of size 0 (without ALL) refused?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '0')}`, { map: 0, un: '-EINVAL' });
  u('unmap-argsz-small', 'Is an UNMAP_DMA with a too small argsz refused?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '4 pages', ', argsz: 16')}`, { map: 0, un: '-EINVAL' });
  u('v1-unmap-head', 'Does a v1 UNMAP_DMA of the first page remove the whole mapping?', v1,
    `${map('0x100000', '4 pages')}\n${unmap('0x100000', '1 page')}\n${lvm()}`, { map: 0, un: 0, lvm: 0 });
  u('v1-unmap-middle', 'Does a v1 UNMAP_DMA starting inside a mapping succeed without removing anything?', v1,
    `${map('0x100000', '4 pages')}\n${unmap('0x101000', '1 page')}\n${lvm()}`, { map: 0, un: 0, lvm: 4 });
  u('v1-unmap-all', 'Does UNMAP_ALL work on a v1 (TYPE1) container?', v1,
    `${map('0x100000', '4 pages')}\n${unmap('0', '0', ', flags: VFIO_DMA_UNMAP_FLAG_ALL')}\n${lvm()}`, { map: 0, un: 0, lvm: 0 });
}

// ---- 3b. VFIO_DMA_MAP_FLAG_VADDR / VFIO_DMA_UNMAP_FLAG_VADDR (5.12+; 6.1.192 has the 6.3 fixes) -------------
// vfio_dma_do_unmap(VADDR) marks the mapping vaddr-invalid and keeps its pins and IOMMU mappings;
// vfio_dma_do_map(VADDR) needs an invalidated mapping with the same iova and size (-ENOENT / -EINVAL)
// and then only records the new vaddr.
{
  const R = ['drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map (VADDR)', 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_unmap (VADDR)'];
  const two: Backing = {
    ...ANON,
    mappings: `${m('MAP_PRIVATE|MAP_ANONYMOUS', '4 pages')}\n- { name: buf2, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }`,
  };
  const inval = `${map('0x100000', '4 pages')}\n${unmap('0x100000', '4 pages', ', flags: VFIO_DMA_UNMAP_FLAG_VADDR', 'inv')}`;
  const remap = (iova = '0x100000', size = '4 pages', as = 'upd'): string =>
    `- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf2, iova: ${iova}, size: ${size}, flags: VFIO_DMA_MAP_FLAG_VADDR }\n  as: ${as}`;
  const va = (name: string, q: string, steps: string, d: Decl): void => add('vfio-vaddr', name, q, procSetup(two), steps, d, undefined, R);
  va('vaddr-invalidate-keeps-pins', 'Does UNMAP_DMA with VFIO_DMA_UNMAP_FLAG_VADDR keep the pages pinned and charged?',
    `${inval}\n${lvm()}`, { map: 0, inv: 0, lvm: 4 });
  va('vaddr-update', 'After a VADDR invalidation, does MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR accept a new vaddr for the same range?',
    `${inval}\n${remap()}\n${lvm()}`, { map: 0, inv: 0, upd: 0, lvm: 4 });
  va('vaddr-update-not-invalidated', 'Is MAP_DMA with VADDR on a mapping whose vaddr was not invalidated refused?',
    `${map('0x100000', '4 pages')}\n${remap()}`, { map: 0, upd: '-EINVAL' });
  va('vaddr-update-no-mapping', 'Is MAP_DMA with VADDR at an iova with no mapping refused with -ENOENT?',
    `${map('0x100000', '4 pages')}\n${remap('0x800000')}`, { map: 0, upd: '-ENOENT' });
  va('vaddr-update-other-size', 'Is MAP_DMA with VADDR for a different size than the invalidated mapping refused?',
    `${inval}\n${remap('0x100000', '2 pages')}`, { map: 0, inv: 0, upd: '-EINVAL' });
  va('vaddr-with-prot', 'Is MAP_DMA with both VADDR and READ|WRITE refused?',
    `${map('0x100000', '4 pages')}\n- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf2, iova: 0x200000, size: 4 pages, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE|VFIO_DMA_MAP_FLAG_VADDR }\n  as: upd`,
    { map: 0, upd: '-EINVAL' });
  va('vaddr-update-device-sees-old-pages', 'After a VADDR update, does the device still reach the originally pinned pages (not the new vaddr\'s)?',
    `- store: { addr: $buf, content: A }\n- store: { addr: $buf2, content: B }\n${inval}\n${remap()}\n- device_dma_read: { device: edu0, iova: 0x100000 }\n  as: dr`,
    { map: 0, inv: 0, upd: 0, dr: 'A' });
  for (const c of cases) {
    if (c.area === 'vfio-vaddr' && (c.name === 'vaddr-update' || c.name === 'vaddr-update-device-sees-old-pages')) {
      c.more61 = VADDR_INCOHERENT;
      c.more612 = VADDR_INCOHERENT;
    }
  }
}

// ---- 3c. lifetime of VFIO pins ---------------------------------------------------------------------
// Pins belong to the container's type1 state: munmap does not release them; closing the container
// fd while a group still holds the container does not either.
{
  const R = ['drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_release', 'drivers/vfio/container.c:vfio_container_put'];
  add('vfio-lifetime', 'munmap-keeps-pins', 'Does munmap of a mapped buffer leave the pages pinned and locked_vm charged?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n- munmap: { addr: $buf, length: 4 pages }\n  as: mu\n${lvm()}`, { map: 0, mu: 0, lvm: 4 }, undefined, R);
  add('vfio-lifetime', 'close-container-fd-group-open', 'Does closing the container fd while its group fd is open keep the mappings (and locked_vm)?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n- close: { fd: $C }\n  as: cl\n${lvm()}`, { map: 0, cl: 0, lvm: 4 }, undefined, R);
  add('vfio-lifetime', 'unmap-after-munmap', 'May a mapping be unmapped (and un-charged) after its buffer was munmapped?', procSetup(ANON),
    `${map('0x100000', '4 pages')}\n- munmap: { addr: $buf, length: 4 pages }\n  as: mu\n${unmap('0x100000', '4 pages')}\n${lvm()}`, { map: 0, mu: 0, un: 0, lvm: 0 }, undefined, R);
}

// ---- 4. dma_entry_limit ------------------------------------------------------------------------
// vfio_iommu_type1 module parameter dma_entry_limit, sampled into iommu->dma_avail when the
// container's IOMMU is opened; MAP_DMA with dma_avail == 0 is -ENOSPC, UNMAP gives one back.
{
  const lim = procSetup(ANON).replace('vfio:\n', 'vfio:\n  dma_entry_limit: 2\n');
  const R = ['drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map (dma_avail)'];
  add('vfio-limit', 'dma-entry-limit-exceeded', 'With dma_entry_limit=2, is the third MAP_DMA refused with -ENOSPC?', lim,
    `${map('0x100000', '1 page', '', 'm1')}\n${map('0x200000', '1 page', '', 'm2', '$buf + 1 page')}\n${map('0x300000', '1 page', '', 'm3', '$buf + 2 pages')}\n${lvm()}`,
    { m1: 0, m2: 0, m3: '-ENOSPC', lvm: 2 }, undefined, R);
  add('vfio-limit', 'dma-entry-limit-unmap-returns', 'With dma_entry_limit=2, does an UNMAP_DMA give an entry back?', lim,
    `${map('0x100000', '1 page', '', 'm1')}\n${map('0x200000', '1 page', '', 'm2', '$buf + 1 page')}\n${unmap('0x100000', '1 page')}\n${map('0x300000', '1 page', '', 'm3', '$buf + 2 pages')}`,
    { m1: 0, m2: 0, un: 0, m3: 0 }, undefined, R);
  add('vfio-limit', 'dma-entry-limit-failed-map-free', 'With dma_entry_limit=1, does a failed MAP_DMA (hole) leave the entry available?',
    procSetup(ANON).replace('vfio:\n', 'vfio:\n  dma_entry_limit: 1\n'),
    `- munmap: { addr: $buf + 3 pages, length: 1 page }\n${map('0x100000', '4 pages', '', 'm1')}\n${map('0x200000', '1 page', '', 'm2')}`,
    { m1: '-EFAULT', m2: 0 }, undefined, R);
}

// ---- 5. RLIMIT_MEMLOCK, CAP_IPC_LOCK, and sharing locked_vm with mlock -------------------------
// vfio_pin_pages_remote() (!dma->lock_cap && locked_vm + n > RLIMIT_MEMLOCK: -ENOMEM),
// vfio_lock_acct() -> mm/util.c __account_locked_vm(); mm/mlock.c do_mlock() counts the same
// mm->locked_vm. io_uring/rsrc.c __io_account_mem() charges user->locked_vm (not the mm's).
{
  const R = ['drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote', 'mm/util.c:__account_locked_vm', 'mm/mlock.c:do_mlock'];
  const r = (name: string, q: string, opts: { rlimit: string; caps?: string }, steps: string, d: Decl, vfio = true): void =>
    add('rlimit', name, q, procSetup(ANON, { ...opts, vfio }), steps, d, undefined, R);
  r('vfio-over-limit-nocap', 'Without CAP_IPC_LOCK, is a MAP_DMA beyond RLIMIT_MEMLOCK refused with -ENOMEM?', { rlimit: '8K', caps: NOCAP },
    `${map('0x100000', '4 pages')}\n${lvm()}`, { map: '-ENOMEM', lvm: 0 });
  r('vfio-at-limit-nocap', 'Without CAP_IPC_LOCK, may a MAP_DMA use exactly RLIMIT_MEMLOCK?', { rlimit: '16K', caps: NOCAP },
    `${map('0x100000', '4 pages')}\n${lvm()}`, { map: 0, lvm: 4 });
  r('vfio-over-limit-cap', 'With CAP_IPC_LOCK, is RLIMIT_MEMLOCK ignored by MAP_DMA (but locked_vm still charged)?', { rlimit: '8K' },
    `${map('0x100000', '4 pages')}\n${lvm()}`, { map: 0, lvm: 4 });
  r('vfio-capset-drop', 'Does dropping CAP_IPC_LOCK with capset just before MAP_DMA make the limit apply?', { rlimit: '8K' },
    `- capset: { drop: [CAP_IPC_LOCK] }\n  as: cap\n${map('0x100000', '4 pages')}\n${lvm()}`, { cap: 0, map: '-ENOMEM', lvm: 0 });
  r('vfio-second-map-over', 'Without CAP_IPC_LOCK, does the limit count earlier mappings (second MAP_DMA refused)?', { rlimit: '24K', caps: NOCAP },
    `${map('0x100000', '4 pages', '', 'm1')}\n${map('0x200000', '4 pages', '', 'm2')}\n${lvm()}`, { m1: 0, m2: '-ENOMEM', lvm: 4 });
  r('mlock-then-vfio', 'Does mlock\'s locked_vm count against a later MAP_DMA of the same pages (no CAP_IPC_LOCK)?', { rlimit: '24K', caps: NOCAP },
    `- mlock: { addr: $buf, length: 4 pages }\n  as: ml\n${lvm('l1')}\n${map('0x100000', '4 pages')}\n${lvm('l2')}`, { ml: 0, l1: 4, map: '-ENOMEM', l2: 4 });
  r('vfio-then-mlock', 'Does a MAP_DMA\'s locked_vm count against a later mlock (no CAP_IPC_LOCK)?', { rlimit: '24K', caps: NOCAP },
    `${map('0x100000', '4 pages')}\n- mlock: { addr: $buf, length: 4 pages }\n  as: ml\n${lvm()}`, { map: 0, ml: '-ENOMEM', lvm: 4 });
  r('mlock-and-vfio-cap', 'With CAP_IPC_LOCK, do mlock and MAP_DMA of the same pages both charge locked_vm?', { rlimit: '8K' },
    `- mlock: { addr: $buf, length: 4 pages }\n  as: ml\n${map('0x100000', '4 pages')}\n${lvm()}`, { ml: 0, map: 0, lvm: 8 });
  const ring = '- io_uring_setup: {}\n  as: ring';
  const reg = (as = 'reg', len = '4 pages'): string => `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: ${len} }] }\n  as: ${as}`;
  const unreg = '- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: unreg';
  r('uring-over-limit-nocap', 'Without CAP_IPC_LOCK, is an io_uring registration beyond RLIMIT_MEMLOCK refused with -ENOMEM?', { rlimit: '8K', caps: NOCAP },
    `${ring}\n${reg()}\n${unreg}`, { reg: '-ENOMEM', unreg: '-ENXIO' }, false);
  r('uring-over-limit-cap', 'With CAP_IPC_LOCK, may io_uring register beyond RLIMIT_MEMLOCK?', { rlimit: '8K' },
    `${ring}\n${reg()}\n${unreg}`, { reg: 0, unreg: 0 }, false);
  r('uring-and-vfio-separate', 'Do io_uring (user->locked_vm) and VFIO (mm->locked_vm) each get the whole RLIMIT_MEMLOCK?', { rlimit: '16K', caps: NOCAP },
    `${map('0x100000', '4 pages')}\n${ring}\n${reg()}\n${lvm()}\n${unreg}`, { map: 0, reg: 0, lvm: 4, unreg: 0 });
  r('uring-and-mlock-separate', 'Does mlock\'s locked_vm leave io_uring\'s registration limit alone?', { rlimit: '16K', caps: NOCAP },
    `- mlock: { addr: $buf, length: 4 pages }\n  as: ml\n${ring}\n${reg()}\n${lvm()}\n${unreg}`, { ml: 0, reg: 0, lvm: 4, unreg: 0 }, false);
}

// ---- 6. io_uring buffer registration rules ------------------------------------------------------
// io_uring/rsrc.c io_sqe_buffers_register() (-EBUSY if already registered, nr_args limits),
// io_buffer_validate() (a NULL base with len 0 is a sparse slot, len 0 or > 1 GiB -EFAULT),
// io_sqe_buffer_unregister (-ENXIO when nothing is registered), io_pin_pages() (FOLL_WRITE pin).
{
  const R = ['io_uring/rsrc.c:io_sqe_buffers_register', 'io_uring/rsrc.c:io_buffer_validate'];
  const ring = '- io_uring_setup: {}\n  as: ring';
  const unreg = (as = 'unreg'): string => `- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: ${as}`;
  const ur = (name: string, q: string, steps: string, d: Decl, d612?: Decl, b: Backing = ANON): void =>
    add('uring', name, q, procSetup(b, { vfio: false }), `${ring}\n${steps}`, d, d612, R);
  ur('register-twice', 'Is a second IORING_REGISTER_BUFFERS while buffers are registered refused with -EBUSY?',
    `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 4 pages }] }\n  as: r1\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 4 pages }] }\n  as: r2\n${unreg()}`,
    { r1: 0, r2: '-EBUSY', unreg: 0 });
  ur('unregister-none', 'Is IORING_UNREGISTER_BUFFERS without registered buffers refused with -ENXIO?', unreg(), { unreg: '-ENXIO' });
  ur('unregister-twice', 'Is a second IORING_UNREGISTER_BUFFERS refused with -ENXIO?',
    `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 4 pages }] }\n  as: reg\n${unreg('u1')}\n${unreg('u2')}`, { reg: 0, u1: 0, u2: '-ENXIO' });
  ur('register-zero-len', 'Is a buffer with a non-NULL base and length 0 refused?',
    `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 0 }] }\n  as: reg\n${unreg()}`, { reg: '-EFAULT', unreg: '-ENXIO' });
  ur('register-sparse', 'Is a NULL base with length 0 accepted as a sparse (empty) slot?',
    `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: 0, len: 0 }] }\n  as: reg\n${unreg()}`, { reg: 0, unreg: 0 });
  ur('register-over-1g', 'Is a buffer longer than 1 GiB refused?',
    `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 0x40001000 }] }\n  as: reg\n${unreg()}`, { reg: '-EFAULT', unreg: '-ENXIO' });
  ur('register-unmapped', 'Is a buffer over unmapped memory refused with -EFAULT?',
    `- munmap: { addr: $buf, length: 4 pages }\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 4 pages }] }\n  as: reg\n${unreg()}`, { reg: '-EFAULT', unreg: '-ENXIO' });
  ur('register-two', 'May two buffers be registered in one call?',
    `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 2 pages }, { base: $buf + 2 pages, len: 2 pages }] }\n  as: reg\n${unreg()}`, { reg: 0, unreg: 0 });
  ur('register-readonly-vma', 'Is a read-only VMA refused (io_uring pins with FOLL_WRITE)?',
    `- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 4 pages }] }\n  as: reg\n${unreg()}`, { reg: '-EFAULT', unreg: '-ENXIO' }, undefined,
    { ...ANON, mappings: '- { name: buf, length: 4 pages, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }' });
  // io_buffer_account_pin(): a compound page is charged whole (page_size >> PAGE_SHIFT), once per ring
  const pvm = (as = 'pvm'): string => `- observe: { pinned_vm: P }\n  as: ${as}`;
  const thp = BACKINGS.find((b) => b.id === 'anon-thp') as Backing;
  const nothp = BACKINGS.find((b) => b.id === 'anon-nothp') as Backing;
  const hugetlb = BACKINGS.find((b) => b.id === 'hugetlb') as Backing;
  const acct = (name: string, q: string, b: Backing, iov: string, d: Decl, d612?: Decl): void =>
    add('uring', name, q, procSetup(b, { vfio: false }),
      `${b.pre}\n${ring}\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [${iov}] }\n  as: reg\n${pvm()}\n${unreg()}\n${pvm('after')}`, d, d612,
      ['io_uring/rsrc.c:io_buffer_account_pin', 'io_uring/rsrc.c:headpage_already_acct']);
  acct('account-thp-one-page', 'Does registering one 4 KiB page of a THP charge the whole 2 MiB compound page to pinned_vm?', thp,
    '{ base: $buf, len: 1 page }', { reg: 0, pvm: 512, unreg: 0, after: 0 });
  acct('account-thp-two-iovecs', 'Are two buffers inside the same THP charged once (512 pages, not 1024)?', thp,
    '{ base: $buf, len: 1 page }, { base: $buf + 1M, len: 1 page }', { reg: 0, pvm: 512, unreg: 0, after: 0 });
  acct('account-nothp-one-page', 'With MADV_NOHUGEPAGE, does registering one page charge one page?', nothp,
    '{ base: $buf, len: 1 page }', { reg: 0, pvm: 1, unreg: 0, after: 0 });
  acct('account-hugetlb-one-page', 'Does registering one 4 KiB piece of a hugetlb page charge the whole huge page?', hugetlb,
    '{ base: $buf, len: 1 page }', { reg: '-ENOMEM', pvm: 0, unreg: '-ENXIO', after: 0 }, { reg: 0, pvm: 512, unreg: 0, after: 0 });
  (cases[cases.length - 1] as Case).more61 = WARN_HUGETLB_LONGTERM_61;
  // A 2 MiB-aligned device-DAX namespace is built of order-9 compound pages from 14606001efb4
  // (v5.17): one registered 4 KiB page charges the whole folio on 6.12 (6.1 refuses the VMA).
  const devdax = BACKINGS.find((b) => b.id === 'devdax') as Backing;
  acct('account-devdax-one-page', 'Does registering one 4 KiB page of a 2 MiB-aligned device-DAX mapping charge the whole 2 MiB compound page to pinned_vm?', devdax,
    '{ base: $buf, len: 1 page }', { reg: '-EOPNOTSUPP', pvm: 0, unreg: '-ENXIO', after: 0 }, { reg: 0, pvm: 512, unreg: 0, after: 0 });
  ur('register-partial-hole', 'Is a buffer whose last page is unmapped refused and nothing left registered?',
    `- munmap: { addr: $buf + 3 pages, length: 1 page }\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 4 pages }] }\n  as: reg\n${unreg()}`, { reg: '-EFAULT', unreg: '-ENXIO' });
}

// ---- 7. fork after a long-term pin --------------------------------------------------------------
// mm/memory.c copy_present_pte()/page_needs_cow_for_dma(): a pinned anonymous page of the parent
// is copied for the child at fork, so the parent keeps the page the device sees (5.9+).
{
  const R = ['mm/memory.c:copy_present_pte', 'mm/memory.c:page_needs_cow_for_dma'];
  const setup = procSetup(ANON1);
  add('fork', 'fork-after-vfio-pin', 'After MAP_DMA and fork, does the parent keep the pinned page (a write by the parent reaches the device) while the child gets a copy?', setup,
    `- store: { addr: $buf, content: A }\n${map('0x100000', '1 page')}\n- observe: { frame: { process: P, addr: $buf } }\n  as: before\n- fork: { child: Q }\n  as: child\n- store: { addr: $buf, content: B }\n- observe: { frame: { process: P, addr: $buf } }\n  as: after\n- device_dma_read: { device: edu0, iova: 0x100000 }\n  as: dev`,
    { map: 0, dev: 'B', after: '$before', qframe: '{ ne: $before }', qdata: 'A' }, undefined, R,
    'qframe: { frame: { process: Q, addr: $buf } }\nqdata: { content: { process: Q, addr: $buf } }');
  add('fork', 'fork-without-pin', 'Without a pin, does fork share the page copy-on-write so the parent\'s write moves the parent to a new page?', procSetup(ANON1, { vfio: false }),
    `- store: { addr: $buf, content: A }\n- observe: { frame: { process: P, addr: $buf } }\n  as: before\n- fork: { child: Q }\n  as: child\n- store: { addr: $buf, content: B }\n- observe: { frame: { process: P, addr: $buf } }\n  as: after`,
    { after: '{ ne: $before }', qframe: '$before', qdata: 'A' }, undefined, R,
    'qframe: { frame: { process: Q, addr: $buf } }\nqdata: { content: { process: Q, addr: $buf } }');
  add('fork', 'fork-after-uring-pin', 'After an io_uring registration and fork, does the parent keep the registered page and the child get a copy?', procSetup(ANON1, { vfio: false }),
    `- store: { addr: $buf, content: A }\n- io_uring_setup: {}\n  as: ring\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 1 page }] }\n  as: reg\n- observe: { frame: { process: P, addr: $buf } }\n  as: before\n- fork: { child: Q }\n  as: child\n- store: { addr: $buf, content: B }\n- observe: { frame: { process: P, addr: $buf } }\n  as: after\n- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: unreg`,
    { reg: 0, after: '$before', unreg: 0, qframe: '{ ne: $before }', qdata: 'A' }, undefined, R,
    'qframe: { frame: { process: Q, addr: $buf } }\nqdata: { content: { process: Q, addr: $buf } }');
}

// ---- 8. device DMA through the IOMMU ------------------------------------------------------------
// The edu device reaches memory only through the container's IOMMU mappings (intel-iommu): a DMA to
// an unmapped iova, or a write to an iova mapped without VFIO_DMA_MAP_FLAG_WRITE, faults (DMAR fault).
{
  const R = ['drivers/vfio/vfio_iommu_type1.c:vfio_iommu_map (IOMMU_READ/IOMMU_WRITE prot)'];
  const d = (name: string, q: string, steps: string, v: Decl): void => add('dma', name, q, procSetup(ANON1), steps, v, undefined, R);
  d('dma-write-mapped', 'Does a device write to a mapped iova arrive in the process\'s memory?',
    `${map('0x100000', '1 page')}\n- device_dma_write: { device: edu0, iova: 0x100000, content: C }\n  as: dw\n- load: { addr: $buf }\n  as: seen`, { map: 0, dw: 0, seen: 'C' });
  d('dma-read-mapped', 'Does a device read of a mapped iova see what the process stored?',
    `- store: { addr: $buf, content: A }\n${map('0x100000', '1 page')}\n- device_dma_read: { device: edu0, iova: 0x100000 }\n  as: dr`, { map: 0, dr: 'A' });
  d('dma-read-after-store', 'Does a device read see a store made after MAP_DMA (same page, no copy)?',
    `- store: { addr: $buf, content: A }\n${map('0x100000', '1 page')}\n- store: { addr: $buf, content: B }\n- device_dma_read: { device: edu0, iova: 0x100000 }\n  as: dr`, { map: 0, dr: 'B' });
  d('dma-write-unmapped-iova', 'Is a device write to an iova that was never mapped blocked by the IOMMU?',
    `${map('0x100000', '1 page')}\n- device_dma_write: { device: edu0, iova: 0x800000, content: C }\n  as: dw`, { map: 0, dw: '-EFAULT' });
  d('dma-read-unmapped-iova', 'Is a device read of an iova that was never mapped blocked by the IOMMU?',
    `${map('0x100000', '1 page')}\n- device_dma_read: { device: edu0, iova: 0x800000 }\n  as: dr`, { map: 0, dr: '-EFAULT' });
  d('dma-write-readonly', 'Is a device write to an iova mapped read-only blocked, leaving memory unchanged?',
    `- store: { addr: $buf, content: A }\n- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ }\n  as: map\n- device_dma_write: { device: edu0, iova: 0x100000, content: C }\n  as: dw\n- load: { addr: $buf }\n  as: seen`,
    { map: 0, dw: '-EFAULT', seen: 'A' });
  d('dma-read-readonly', 'May the device read an iova mapped read-only?',
    `- store: { addr: $buf, content: A }\n- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ }\n  as: map\n- device_dma_read: { device: edu0, iova: 0x100000 }\n  as: dr`, { map: 0, dr: 'A' });
  d('dma-after-unmap-dma', 'Is device access blocked once the iova was unmapped with UNMAP_DMA?',
    `- store: { addr: $buf, content: A }\n${map('0x100000', '1 page')}\n${unmap('0x100000', '1 page')}\n- device_dma_read: { device: edu0, iova: 0x100000 }\n  as: dr`, { map: 0, un: 0, dr: '-EFAULT' });
  d('dma-after-munmap', 'After the process munmaps a mapped buffer, does a device write still land (in the still-pinned page) without a fault?',
    `${map('0x100000', '1 page')}\n- munmap: { addr: $buf, length: 1 page }\n  as: mu\n- device_dma_write: { device: edu0, iova: 0x100000, content: C }\n  as: dw\n- load: { addr: $buf }\n  as: seen`,
    { map: 0, mu: 0, dw: 0, seen: '-EFAULT' });
}

// ---- 9. migration out of ZONE_MOVABLE on a long-term pin --------------------------------------------
// mm/gup.c check_and_migrate_movable_pages() (6.1: collect_longterm_unpinnable_pages /
// migrate_longterm_unpinnable_pages; 6.12: the folio variants): ZONE_MOVABLE pages are migrated
// before a FOLL_LONGTERM pin is granted (d1e153fea2a8, 5.13).
{
  const R = ['mm/gup.c:check_and_migrate_movable_pages', 'd1e153fea2a8 "mm/gup: migrate pinned pages out of movable zone"'];
  const before = '- store: { addr: $buf, length: 4 pages, content: A }\n- observe: { zone: { process: P, addr: $buf } }\n  as: z0\n- observe: { frame: { process: P, addr: $buf } }\n  as: f0';
  const after = '- observe: { zone: { process: P, addr: $buf } }\n  as: z1\n- observe: { frame: { process: P, addr: $buf } }\n  as: f1\n- load: { addr: $buf }\n  as: data';
  add('migrate', 'migrate-vfio-anon', 'Does MAP_DMA move an anonymous page out of ZONE_MOVABLE before pinning it (new pfn, same data)?', procSetup(ANON),
    `${before}\n${map('0x100000', '4 pages')}\n${after}`, { z0: 'Movable', map: 0, z1: 'Normal', f1: '{ ne: $f0 }', data: 'A' }, undefined, R);
  add('migrate', 'migrate-vfio-ro', 'Does a read-only MAP_DMA also migrate out of ZONE_MOVABLE?', procSetup(ANON),
    `${before}\n- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 4 pages, flags: VFIO_DMA_MAP_FLAG_READ }\n  as: map\n${after}`,
    { z0: 'Movable', map: 0, z1: 'Normal', f1: '{ ne: $f0 }', data: 'A' }, undefined, R);
  add('migrate', 'migrate-uring-anon', 'Does IORING_REGISTER_BUFFERS move an anonymous page out of ZONE_MOVABLE?', procSetup(ANON, { vfio: false }),
    `${before}\n- io_uring_setup: {}\n  as: ring\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 4 pages }] }\n  as: reg\n${after}\n- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: unreg`,
    { z0: 'Movable', reg: 0, z1: 'Normal', f1: '{ ne: $f0 }', data: 'A', unreg: 0 }, undefined, R);
  add('migrate', 'migrate-vfio-memfd', 'Does MAP_DMA move a shmem (memfd) page out of ZONE_MOVABLE?', procSetup(BACKINGS.find((b) => b.id === 'memfd') as Backing),
    `${(BACKINGS.find((b) => b.id === 'memfd') as Backing).pre}\n- observe: { zone: { process: P, addr: $buf } }\n  as: z0\n${map('0x100000', '4 pages')}\n- observe: { zone: { process: P, addr: $buf } }\n  as: z1`,
    { z0: 'Movable', map: 0, z1: 'Normal' }, undefined, R);
  // A partially mapped THP (first page zapped) under a long-term pin of part of it: 6.1.192 moves
  // the THP whole (migrate_pages_batch has no partially-mapped test), so its untouched half moves
  // too; 6.12.117 splits it first (7262f208ca68 / 8422acdc97ed: PG_partially_mapped) and the split
  // maps the zero-filled pieces to the shared zero page (b1f202060afe), so an untouched page of the
  // unpinned half then is the frame a read of never-written anonymous memory maps.
  const thpPartial: Backing = {
    id: 'anon-thp-partial', extra: '', pre: '', len: '2M', pages: 512, what: 'a partially mapped anonymous THP',
    mappings: '- { name: buf, addr: 0x40000000, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE }\n' +
      '- { name: zp, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }',
  };
  add('migrate', 'migrate-uring-thp-partially-mapped', 'A THP whose first page was zapped is partly registered as an io_uring buffer: is it moved whole, or split with its zero-filled pages turned into the shared zero page?',
    procSetup(thpPartial, { vfio: false }),
    ['- madvise: { addr: $buf, length: 2M, advice: MADV_HUGEPAGE }\n  as: adv',
      '- store: { addr: $buf + 0x1000, length: 1 page, content: A }',
      '- madvise: { addr: $buf, length: 1 page, advice: MADV_DONTNEED }\n  as: zap',
      '- load: { addr: $zp }\n  as: zpdata',
      '- observe: { frame: { process: P, addr: $zp } }\n  as: fz',
      '- observe: { zone: { process: P, addr: $buf + 0x100000 } }\n  as: z0',
      '- observe: { frame: { process: P, addr: $buf + 0x100000 } }\n  as: f0',
      '- io_uring_setup: {}\n  as: ring',
      '- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf + 0x1000, len: 1020K }] }\n  as: reg',
      '- observe: { zone: { process: P, addr: $buf + 0x1000 } }\n  as: z1',
      '- load: { addr: $buf + 0x1000 }\n  as: data',
      '- observe: { frame: { process: P, addr: $buf + 0x100000 } }\n  as: f1',
      '- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: unreg'].join('\n'),
    { adv: 0, zap: 0, z0: 'Movable', reg: 0, z1: 'Normal', data: 'A', f1: '{ ne: $fz }', unreg: 0 },
    { adv: 0, zap: 0, z0: 'Movable', reg: 0, z1: 'Normal', data: 'A', f1: '$fz', unreg: 0 },
    ['mm/migrate.c:migrate_pages_batch', 'mm/huge_memory.c:__split_huge_page (6.12 remap_page with RMP_USE_SHARED_ZEROPAGE)',
      '7262f208ca68 "mm/migrate: split source folio if it is on deferred split list"',
      'b1f202060afe "mm: remap unused subpages to shared zeropage when splitting isolated thp"']);
  // The same without the zap: a fully mapped THP is moved whole on both (no split, so no zero page).
  add('migrate', 'migrate-uring-thp-fully-mapped', 'A fully mapped THP is partly registered as an io_uring buffer: is it moved whole on both releases (its untouched pages are not the zero page afterwards)?',
    procSetup(thpPartial, { vfio: false }),
    ['- madvise: { addr: $buf, length: 2M, advice: MADV_HUGEPAGE }\n  as: adv',
      '- store: { addr: $buf + 0x1000, length: 1 page, content: A }',
      '- load: { addr: $zp }\n  as: zpdata',
      '- observe: { frame: { process: P, addr: $zp } }\n  as: fz',
      '- observe: { zone: { process: P, addr: $buf + 0x100000 } }\n  as: z0',
      '- observe: { frame: { process: P, addr: $buf + 0x100000 } }\n  as: f0',
      '- io_uring_setup: {}\n  as: ring',
      '- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf + 0x1000, len: 1020K }] }\n  as: reg',
      '- observe: { zone: { process: P, addr: $buf + 0x100000 } }\n  as: z1',
      '- load: { addr: $buf + 0x1000 }\n  as: data',
      '- observe: { frame: { process: P, addr: $buf + 0x100000 } }\n  as: f1',
      '- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: unreg'].join('\n'),
    { adv: 0, z0: 'Movable', reg: 0, z1: 'Normal', data: 'A', f1: '{ ne: $fz }', unreg: 0 }, undefined,
    ['mm/migrate.c:migrate_pages_batch', 'mm/gup.c:migrate_longterm_unpinnable_pages (6.1) / _folios (6.12)']);
  add('migrate', 'no-migrate-after-unmap', 'Once unpinned by UNMAP_DMA, does the page stay where the migration put it?', procSetup(ANON),
    `${before}\n${map('0x100000', '4 pages')}\n${unmap('0x100000', '4 pages')}\n${after}`,
    { z0: 'Movable', map: 0, un: 0, z1: 'Normal', f1: '{ ne: $f0 }', data: 'A' }, undefined, R);
  // The huge zero page (the guest runs with transparent_hugepage=always and use_zero_page at its
  // default 1; init.sh prints both as set-up facts): a read fault on a never-written THP range
  // maps the one huge zero folio (the same frame for every range, not the 4 KiB zero page); a
  // write splits that PMD (3917c80280c9) so the untouched neighbours map the 4 KiB zero page.
  const hzp: Backing = {
    id: 'anon-thp-huge-zero', extra: '', pre: '', len: '2M', pages: 512, what: 'never-written anonymous THP ranges',
    mappings: '- { name: buf, addr: 0x40000000, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE }\n' +
      '- { name: buf2, addr: 0x40400000, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED_NOREPLACE }\n' +
      '- { name: zp, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }',
  };
  const hzpRefs = ['mm/huge_memory.c:do_huge_pmd_anonymous_page (use_zero_page)', 'mm/huge_memory.c:mm_get_huge_zero_page',
    'mm/huge_memory.c:do_huge_pmd_wp_page', '3917c80280c9 "thp: change CoW semantics for anon-THP"'];
  add('backing', 'huge-zero-page-read', 'Do read faults on two never-written MADV_HUGEPAGE ranges map the same frame (the huge zero page, not the 4 KiB zero page), and does a write to one page leave its neighbours on the 4 KiB zero page?',
    procSetup(hzp, { vfio: false }),
    ['- madvise: { addr: $buf, length: 2M, advice: MADV_HUGEPAGE }\n  as: adv',
      '- madvise: { addr: $buf2, length: 2M, advice: MADV_HUGEPAGE }\n  as: adv2',
      '- load: { addr: $buf }\n  as: d0',
      '- load: { addr: $buf2 + 0x3000 }\n  as: d1',
      '- load: { addr: $zp }\n  as: dz',
      '- observe: { frame: { process: P, addr: $buf + 0x3000 } }\n  as: fa',
      '- observe: { frame: { process: P, addr: $buf2 + 0x3000 } }\n  as: fb',
      '- observe: { frame: { process: P, addr: $zp } }\n  as: fz',
      '- store: { addr: $buf + 0x5000, length: 1 page, content: A }',
      '- observe: { frame: { process: P, addr: $buf + 0x6000 } }\n  as: fn',
      '- load: { addr: $buf + 0x5000 }\n  as: data'].join('\n'),
    { adv: 0, adv2: 0, d0: "''", d1: "''", dz: "''", fb: '$fa', fz: '{ ne: $fa }', fn: '$fz', data: 'A' }, undefined, hzpRefs);
  // A READ-only MAP_DMA of a never-written THP range: 6.1.192 pins the huge zero folio (gup_must_unshare
  // has no R/O long-term case for non-anon pages), so after the process writes the device still reads
  // zeroes; 6.12.117 unshares (84209e87c696) and the device sees the process's data.
  add('backing', 'huge-zero-page-vfio-ro', 'After a READ-only MAP_DMA of a never-written MADV_HUGEPAGE range, does the device see what the process then writes there?',
    procSetup(hzp),
    ['- madvise: { addr: $buf, length: 2M, advice: MADV_HUGEPAGE }\n  as: adv',
      '- VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x200000, size: 2M, flags: VFIO_DMA_MAP_FLAG_READ }\n  as: map',
      lvm(),
      '- store: { addr: $buf, length: 1 page, content: A }',
      '- device_dma_read: { device: edu0, iova: 0x200000 }\n  as: dev',
      unmap('0x200000', '2M')].join('\n'),
    { adv: 0, map: 0, lvm: 512, dev: "''", un: 0 },
    { adv: 0, map: 0, lvm: 512, dev: 'A', un: 0 },
    [...hzpRefs, '84209e87c696 "mm/gup: reliable R/O long-term pinning in COW mappings"', 'drivers/vfio/vfio_iommu_type1.c:vaddr_get_pfn']);
  cases[cases.length - 1].more61 = 'invariants: { dma-coherent-with-process: always }';
}

// ---- 9b. hugetlb pages and long-term pins (pool pages live in ZONE_MOVABLE in the guest) --------------
// Observed on the real kernels, every case starting from a fresh pool of 16 pages in ZONE_MOVABLE
// (the guest driver frees and re-reserves the pool before each case); the mechanisms are UNVERIFIED:
// - a populated hugetlb page: 6.1.192 fails the long-term pin with -ENOMEM and the page stays in
//   ZONE_MOVABLE; 6.12.117 migrates it to a kernel zone and pins it;
// - a never-faulted hugetlb range: both fail with -EFAULT (the fault inside the long-term pin
//   scope finds no pool page outside ZONE_MOVABLE).
// Without the pool reset the results depend on earlier cases (6.12 leaves migrated pool pages in
// DMA32, where a later pin finds them). See mm/gup.c migrate_longterm_unpinnable_pages() and
// mm/hugetlb.c alloc_huge_page_nodemask() / dequeue_huge_page_nodemask() (6.1) and the folio
// variants (6.12).
{
  const R = ['mm/gup.c:migrate_longterm_unpinnable_pages', 'mm/hugetlb.c:alloc_huge_page_nodemask (6.1) / alloc_hugetlb_folio_nodemask (6.12)'];
  const huge = BACKINGS.find((b) => b.id === 'hugetlb') as Backing;
  const cold: Backing = { ...huge, mappings: '- { name: buf, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB }' };
  add('hugetlb', 'hugetlb-populated-vfio-zone', 'Where is a populated hugetlb page before and after a MAP_DMA long-term pin?', procSetup(huge),
    `- observe: { zone: { process: P, addr: $buf } }\n  as: z0\n- observe: { frame: { process: P, addr: $buf } }\n  as: f0\n${map('0x200000', '2M')}\n- observe: { zone: { process: P, addr: $buf } }\n  as: z1\n- observe: { frame: { process: P, addr: $buf } }\n  as: f1`,
    { z0: 'Movable', map: '-ENOMEM', z1: 'Movable', f1: '$f0' }, { z0: 'Movable', map: 0, z1: 'Normal', f1: '{ ne: $f0 }' }, R);
  (cases[cases.length - 1] as Case).more61 = WARN_HUGETLB_LONGTERM_61;
  add('hugetlb', 'hugetlb-unpopulated-vfio', 'Can MAP_DMA fault in and long-term pin a never-touched hugetlb range?', procSetup(cold),
    `${map('0x200000', '2M')}\n- observe: { zone: { process: P, addr: $buf } }\n  as: z1\n${lvm()}`,
    { map: '-EFAULT', z1: null, lvm: 0 }, undefined, R);
  add('hugetlb', 'hugetlb-unpopulated-uring', 'Can io_uring fault in and register a never-touched hugetlb range?', procSetup(cold, { vfio: false }),
    `- io_uring_setup: {}\n  as: ring\n- IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 2M }] }\n  as: reg\n- observe: { pinned_vm: P }\n  as: pvm\n- IORING_UNREGISTER_BUFFERS: { ring: $ring }\n  as: unreg`,
    { reg: '-EFAULT', pvm: 0, unreg: '-ENXIO' }, undefined, R);
}

// ---- 9c. hugetlbfs fallocate and MADV_DONTNEED on hugetlb -----------------------------------------
// fs/hugetlbfs/inode.c hugetlbfs_fallocate / hugetlbfs_punch_hole (whole huge pages of the hole are
// unmapped and removed; 68d32527d340 zeroes the partial ones in place) and mm/madvise.c
// madvise_dontneed_free_valid_vma (90e7e7f5ef3f + 8ebe0a5eaaeb: aligned start, end rounded down),
// Debian 6.1.192 and 6.12.117. Content bytes, not frames, are compared: a punched folio goes back
// to the pool and the refault may take it again.
{
  const FALLOC = ['fs/hugetlbfs/inode.c:hugetlbfs_fallocate', 'fs/hugetlbfs/inode.c:hugetlbfs_punch_hole'];
  const MADV = ['mm/madvise.c:madvise_dontneed_free_valid_vma'];
  const PUNCH = 'FALLOC_FL_PUNCH_HOLE|FALLOC_FL_KEEP_SIZE';
  const memfd4M: Backing = {
    ...(BACKINGS.find((b) => b.id === 'memfd-hugetlb') as Backing),
    pre: '- memfd_create: { name: pinlab, flags: MFD_HUGETLB|MFD_HUGE_2MB }\n  as: mfd\n- ftruncate: { fd: $mfd, length: 4M }\n- mmap: { length: 4M, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, fd: $mfd }\n  as: buf\n- store: { addr: $buf, length: 4M, content: A }',
    len: '4M', pages: 1024,
  };
  const memfd2M = BACKINGS.find((b) => b.id === 'memfd-hugetlb') as Backing;
  const ld = (as: string, addr: string): string => `- load: { addr: ${addr} }\n  as: ${as}`;
  const fa = (as: string, mode: string, off: string, len: string): string => `- fallocate: { fd: $mfd, mode: ${mode}, offset: ${off}, len: ${len} }\n  as: ${as}`;
  add('hugetlb', 'hugetlb-punch-whole-page', 'Does punching a whole huge page out of a hugetlb memfd make the mapping read zeroes there, and leave the next huge page alone?',
    procSetup(memfd4M, { vfio: false }),
    `${memfd4M.pre}\n${fa('punch', PUNCH, '0', '2M')}\n${ld('hole', '$buf + 1 page')}\n${ld('next', '$buf + 2M')}`,
    { punch: 0, hole: "''", next: 'A' }, undefined, FALLOC);
  add('hugetlb', 'hugetlb-punch-partial-pages', 'What does a hole punch covering no whole huge page ([1 MiB, 3 MiB) of 4 MiB) do to a hugetlb memfd?',
    procSetup(memfd4M, { vfio: false }),
    `${memfd4M.pre}\n${fa('punch', PUNCH, '1M', '2M')}\n${ld('before', '$buf + 1M - 1 page')}\n${ld('first', '$buf + 1M')}\n${ld('last', '$buf + 3M - 1 page')}\n${ld('after', '$buf + 3M')}`,
    { punch: 0, before: 'A', first: "''", last: "''", after: 'A' }, undefined, [...FALLOC, '68d32527d340 hugetlbfs: zero partial pages during fallocate hole punch']);
  add('hugetlb', 'hugetlb-fallocate-modes', 'Which fallocate modes does a hugetlb memfd accept, and what does preallocation beyond the pool return?',
    procSetup({ ...memfd4M, pre: '- memfd_create: { name: pinlab, flags: MFD_HUGETLB|MFD_HUGE_2MB }\n  as: mfd' }, { vfio: false }),
    `- memfd_create: { name: pinlab, flags: MFD_HUGETLB|MFD_HUGE_2MB }\n  as: mfd\n${fa('nokeep', 'FALLOC_FL_PUNCH_HOLE', '0', '2M')}\n${fa('zero', 'FALLOC_FL_ZERO_RANGE', '0', '2M')}\n${fa('prealloc', '0', '1M', '3M')}\n${fa('keep', 'FALLOC_FL_KEEP_SIZE', '0', '8M')}\n${fa('toobig', '0', '0', '64M')}`,
    { nokeep: '-EOPNOTSUPP', zero: '-EOPNOTSUPP', prealloc: 0, keep: 0, toobig: '-ENOSPC' }, undefined, FALLOC);
  // The pin: MAP_DMA of the populated page (6.1.192 refuses it with -ENOMEM, see 9b; 6.12.117
  // migrates it out of ZONE_MOVABLE and pins it). The device keeps the punched folio.
  add('hugetlb', 'hugetlb-punch-pinned-vfio', 'After a hole punch of a hugetlb memfd page that VFIO has pinned, does the device still read the old data while the process reads zeroes?',
    procSetup(memfd2M),
    `${memfd2M.pre}\n${map('0x200000', '2M')}\n${fa('punch', PUNCH, '0', '2M')}\n${ld('process', '$buf')}\n- device_dma_read: { device: edu0, iova: 0x200000 }\n  as: device`,
    { map: '-ENOMEM', punch: 0, process: "''", device: '-EFAULT' }, { map: 0, punch: 0, process: "''", device: 'A' }, FALLOC);
  const last = cases[cases.length - 1];
  last.more61 = 'warnings: [mm/hugetlb.c:follow_hugetlb_page]';
  last.more612 = 'invariants: { dma-coherent-with-process: always, dma-target-is-live: never }';
  const priv4M: Backing = { ...(BACKINGS.find((b) => b.id === 'hugetlb') as Backing), mappings: m('MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB|MAP_HUGE_2MB', '4M'), len: '4M', pages: 1024 };
  const madv = (as: string, addr: string, len: string): string => `- madvise: { addr: ${addr}, length: ${len}, advice: MADV_DONTNEED }\n  as: ${as}`;
  add('hugetlb', 'hugetlb-madv-dontneed-private', 'Does MADV_DONTNEED drop a private hugetlb page, and what of an unaligned start or a length below a huge page?',
    procSetup(priv4M, { vfio: false }),
    `- store: { addr: $buf, length: 4M, content: A }\n${madv('unaligned', '$buf + 1 page', '1 page')}\n${madv('short', '$buf', '1 page')}\n${ld('after_short', '$buf')}\n${madv('whole', '$buf', '2M')}\n${ld('after_whole', '$buf')}\n${ld('next', '$buf + 2M')}`,
    { unaligned: '-EINVAL', short: 0, after_short: 'A', whole: 0, after_whole: "''", next: 'A' }, undefined, MADV);
  add('hugetlb', 'hugetlb-madv-dontneed-shared', 'Does MADV_DONTNEED on a shared hugetlb memfd mapping lose the data (no: the page stays in the file)?',
    procSetup(memfd2M, { vfio: false }),
    `${memfd2M.pre}\n${madv('whole', '$buf', '2M')}\n${ld('after', '$buf + 1 page')}`,
    { whole: 0, after: 'A' }, undefined, MADV);
}

cases.push(...iommufdCases());
cases.push(...peerCases());
cases.push(...addrspaceCases());
cases.push(...remoteCases().map((r) => ({ area: r.area, name: r.name, question: '', setup: '', steps: '', v61: {}, v612: {}, text: r.text })));
cases.push(...hotplugCases());
cases.push(...ioCases());

// ---- writing ----------------------------------------------------------------------------------

/** Every case file this script writes: path relative to conformance/cases/ -> text. */
export function renderAll(): Map<string, string> {
  return new Map(cases.map((c) => [`${c.area}/${c.name}.yaml`, render(c)]));
}

export function writeAll(): number {
  for (const e of readdirSync(HERE, { withFileTypes: true })) {
    if (e.isDirectory()) rmSync(join(HERE, e.name), { recursive: true, force: true });
  }
  for (const c of cases) {
    const dir = join(HERE, c.area);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `${c.name}.yaml`), render(c));
  }
  return cases.length;
}

export { cases };

if (process.argv[1] !== undefined && /generate\.[jt]s$/.test(process.argv[1])) {
  process.stdout.write(`${writeAll()} cases written\n`);
}
