/** Why an errno (issue 16, "say why"): the kernel check that returned it, in run output, --trace and --json. */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { runScenario } from '../../../src/scenario/run.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import { renderOutcome } from '../../../src/report/render-text.js';
import { runJson } from '../../../src/report/trace-json.js';
import type { Scenario } from '../../../src/scenario/ast.js';

function load(text: string): Scenario {
  const r = parseScenario(text, 't.yaml');
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col}: ${e.message}`).join('\n'));
  return r.scenario;
}

/** An edu device in a type1v2 container C of process P, then P's thread's steps. */
const CONTAINER = `  devices:
    - { name: edu0, kind: edu, iommu_group: 5 }
  vfio:
    containers:
      - { name: C, process: P, iommu: VFIO_TYPE1v2_IOMMU, groups: [edu0] }
threads:
  - process: P
    steps:
`;

const MSI = `question: where does MAP_DMA refuse an IOVA?
setup:
  processes:
    - name: P
      rlimits: { RLIMIT_MEMLOCK: 1M }
      mappings:
        - { name: buf, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
${CONTAINER}      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0xfee00000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: msi
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x1000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: ok
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf + 1 page, iova: 0x1000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: again
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf + 1, iova: 0x2000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ }
        as: unaligned
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0xfffffffffffff000, size: 2 pages, flags: VFIO_DMA_MAP_FLAG_READ }
        as: wrap
expect:
  v6.1: { values: { msi: -EINVAL } }
`;

describe('errno reasons', () => {
  it('MAP_DMA over the MSI window names the function, the reserved region and the usable ranges', () => {
    const o = runScenario(load(MSI), profileOrThrow('v6.1'), { trace: true });
    expect(o.values.get('msi')).toBe(-22);
    const why = o.reasons.get('msi');
    expect(why?.fn).toBe('drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid');
    expect(why?.why).toContain('touches the reserved region [0xfee00000, 0xfeefffff] (MSI window)');
    expect(why?.why).toContain('usable ranges: [0x0, 0xfedfffff], [0xfef00000,');
    expect(o.values.get('ok')).toBe(0);
    expect(o.reasons.has('ok')).toBe(false);
    expect(o.reasons.get('again')?.why).toContain('overlaps the existing mapping [0x1000, 0x1fff]');
    expect(o.reasons.get('unaligned')?.why).toContain('not aligned to the smallest IOMMU page size');
    expect(o.reasons.get('wrap')?.why).toContain('wraps past 2^64');
    // Rendered in one place: run output, --json, and a trace note.
    expect(renderOutcome(o)).toContain('why: -EINVAL from drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid (v6.1): iova [0xfee00000, 0xfee00fff]');
    const j = runJson(o) as { reasons: Record<string, { errno: number; fn: string; why: string }> };
    expect(j.reasons.msi.errno).toBe(-22);
    expect(j.reasons.msi.fn).toBe('drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid');
    expect(JSON.stringify(o.trace)).toContain('-EINVAL from drivers/vfio/vfio_iommu_type1.c:vfio_iommu_iova_dma_valid');
  });

  it('GUP, mmap and RLIMIT_MEMLOCK refusals say which check', () => {
    const o = runScenario(load(`question: q?
setup:
  processes:
    - name: P
      uid: 1000
      rlimits: { RLIMIT_MEMLOCK: 4K }
      mappings:
        - { name: ro, length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        - { name: buf, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
${CONTAINER}      - pin_user_pages: { start: $ro, nr_pages: 1, gup_flags: FOLL_WRITE }
        as: w
      - pin_user_pages: { start: 0x1000, nr_pages: 1, gup_flags: FOLL_WRITE }
        as: none
      - mmap: { addr: "0x800000000000", length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
        as: high
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0, size: 2 pages, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: memlock
expect:
  v6.1: { values: {} }
`), profileOrThrow('v6.1'));
    expect(o.reasons.get('w')).toMatchObject({ errno: -14, fn: 'mm/gup.c:check_vma_flags' });
    expect(o.reasons.get('w')?.why).toContain('FOLL_WRITE on a mapping without PROT_WRITE');
    expect(o.reasons.get('none')?.why).toBe('no VMA maps 0x1000');
    expect(o.reasons.get('high')).toMatchObject({ errno: -12, fn: 'mm/mmap.c:get_unmapped_area' });
    expect(o.reasons.get('memlock')).toMatchObject({ errno: -12, fn: 'drivers/vfio/vfio_iommu_type1.c:vfio_pin_pages_remote' });
    expect(o.reasons.get('memlock')?.why).toContain('RLIMIT_MEMLOCK (1 pages');
  });

  it('GET_INFO shows the usable IOVA ranges (the aperture minus the MSI window)', () => {
    const o = runScenario(load(MSI.replace('    steps:\n', '    steps:\n      - VFIO_IOMMU_GET_INFO: { container: $C, argsz: 1024 }\n        as: info\n')), profileOrThrow('v6.1'));
    expect(o.values.get('info')).toBe(0);
    expect(o.outputs.get('info')?.iova_ranges).toEqual(['0x0-0xfedfffff', '0xfef00000-0xffffffffffff']);
    expect(renderOutcome(o)).toContain('iova_ranges=["0x0-0xfedfffff","0xfef00000-0xffffffffffff"]');
  });
  it('UNMAP_DMA refusals say which check: alignment, size, a TYPE1v2 bisection, flags, UNMAP_ALL with a range', () => {
    const steps = `      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x10000, size: 2 pages, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }
        as: map
      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x10001, size: 1 page }
        as: unaligned
      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x10000, size: 0 }
        as: zero
      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x11000, size: 1 page }
        as: bisect
      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x10000, size: 1 page, flags: 0x40 }
        as: flags
      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x10000, size: 1 page, flags: VFIO_DMA_UNMAP_FLAG_ALL }
        as: all
      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x10000, size: 2 pages }
        as: ok
`;
    const text = MSI.replace(/ {6}- VFIO_IOMMU_MAP_DMA[^]*?(?=expect:)/, steps).replace('{ values: { msi: -EINVAL } }', '{ values: { map: 0 } }');
    for (const p of ['v5.4', 'v6.1', 'v6.12']) {
      const o = runScenario(load(text), profileOrThrow(p));
      expect(o.values.get('map'), p).toBe(0);
      expect(o.reasons.get('unaligned'), p).toMatchObject({ errno: -22, fn: 'drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_unmap' });
      expect(o.reasons.get('unaligned')?.why, p).toContain('iova 0x10001 is not aligned');
      expect(o.reasons.get('zero')?.why, p).toBe('size 0');
      expect(o.reasons.get('bisect')?.why, p).toContain("the range's start 0x11000 falls inside the mapping [0x10000, 0x11fff]");
      // The checks sit in the ioctl dispatcher up to 5.8 and in vfio_iommu_type1_unmap_dma() from 5.9 (ccd59dce1a21).
      expect(o.reasons.get('flags'), p).toMatchObject({ errno: -22, fn: `drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_${p === 'v5.4' ? 'ioctl' : 'unmap_dma'}` });
      expect(o.reasons.get('flags')?.why, p).toContain('flags 0x40 has bits outside');
      // VFIO_DMA_UNMAP_FLAG_ALL: unknown to 5.4 (a flags refusal), refused with a range from c19650995374 on.
      expect(o.reasons.get('all')?.why, p).toContain(p === 'v5.4' ? 'has bits outside' : 'VFIO_DMA_UNMAP_FLAG_ALL needs iova and size 0');
      expect(o.values.get('ok'), p).toBe(0);
      expect(o.reasons.has('ok'), p).toBe(false);
    }
  });
  it('group and container ioctls say which check: a second open, no container yet, no IOMMU driver, a device of another group', () => {
    const text = `question: q?
setup:
  processes:
    - name: P
  devices:
    - { name: edu0, kind: edu, iommu_group: 5 }
    - { name: edu9, kind: edu, iommu_group: 6 }
threads:
  - process: P
    steps:
      - open: { path: /dev/vfio/vfio }
        as: c
      - VFIO_SET_IOMMU: { container: $c, type: VFIO_TYPE1v2_IOMMU }
        as: nogroups
      - open: { path: /dev/vfio/5 }
        as: g
      - open: { path: /dev/vfio/5 }
        as: again
      - VFIO_GROUP_GET_DEVICE_FD: { group: $g, device: edu0 }
        as: early
      - VFIO_GROUP_SET_CONTAINER: { group: $g, container: $c }
        as: set
      - VFIO_IOMMU_GET_INFO: { container: $c, argsz: 1024 }
        as: noiommu
      - VFIO_SET_IOMMU: { container: $c, type: VFIO_TYPE1v2_IOMMU }
        as: iommu
      - VFIO_SET_IOMMU: { container: $c, type: VFIO_TYPE1v2_IOMMU }
        as: twice
      - VFIO_GROUP_GET_DEVICE_FD: { group: $g, device: edu9 }
        as: nodev
expect:
  v6.1: { values: { set: 0, iommu: 0 } }
`;
    for (const p of ['v5.4', 'v6.1', 'v6.12']) {
      const o = runScenario(load(text), profileOrThrow(p));
      expect(o.values.get('iommu'), p).toBe(0);
      expect(o.reasons.get('nogroups')?.why, p).toContain('container with no group');
      expect(o.reasons.get('again')?.why, p).toContain('the group is already open');
      expect(o.reasons.get('early')?.why, p).toContain('the group is not in a container with an IOMMU driver');
      expect(o.reasons.get('noiommu')?.why, p).toContain('on a container without an IOMMU driver');
      expect(o.reasons.get('twice')?.why, p).toContain('IOMMU driver is already set');
      expect(o.reasons.get('nodev'), p).toMatchObject({ errno: -19 });
      expect(o.reasons.get('nodev')?.why, p).toContain("has no device named 'edu9' (devices: edu0)");
      // The file and function per release: vfio.c up to 5.15; 6.1 vfio_main.c (group) and container.c; 6.2+ group.c.
      const where = {
        'v5.4': ['drivers/vfio/vfio.c:vfio_group_get_device_fd', 'drivers/vfio/vfio.c:vfio_group_fops_open', 'drivers/vfio/vfio.c:vfio_ioctl_set_iommu'],
        'v6.1': ['drivers/vfio/vfio_main.c:vfio_group_ioctl_get_device_fd', 'drivers/vfio/vfio_main.c:vfio_group_fops_open', 'drivers/vfio/container.c:vfio_ioctl_set_iommu'],
        'v6.12': ['drivers/vfio/group.c:vfio_group_ioctl_get_device_fd', 'drivers/vfio/group.c:vfio_group_fops_open', 'drivers/vfio/container.c:vfio_ioctl_set_iommu'],
      }[p] as string[];
      expect([o.reasons.get('nodev')?.fn, o.reasons.get('again')?.fn, o.reasons.get('twice')?.fn], p).toEqual(where);
    }
  });
  it('mprotect and madvise refusals say which check', () => {
    const text = `question: q?
setup:
  filesystems:
    - { mount: /mnt/ext4, type: ext4 }
  files:
    - { path: /mnt/ext4/f, size: 2 pages }
  processes:
    - name: P
      mappings:
        - { name: a, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - open: { path: /mnt/ext4/f, flags: O_RDONLY }
        as: fd
      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_SHARED, fd: $fd }
        as: ro
      - mprotect: { addr: $a + 1, length: 1 page, prot: PROT_READ }
        as: unaligned
      - mprotect: { addr: $ro, length: 1 page, prot: PROT_READ|PROT_WRITE }
        as: maywrite
      - mprotect: { addr: 0x1000, length: 1 page, prot: PROT_READ }
        as: hole
      - madvise: { addr: $a, length: 2 pages, advice: MADV_WIPEONFORK }
        as: wipe
      - madvise: { addr: $ro, length: 1 page, advice: MADV_WIPEONFORK }
        as: wipefile
      - madvise: { addr: $a, length: 1 page, advice: MADV_REMOVE }
        as: remove
      - madvise: { addr: 0x1000, length: 1 page, advice: MADV_DONTNEED }
        as: unmapped
expect:
  v6.1: { values: { wipe: 0 } }
`;
    for (const p of ['v5.4', 'v6.1', 'v6.12']) {
      const o = runScenario(load(text), profileOrThrow(p));
      expect(o.values.get('wipe'), p).toBe(0);
      expect(o.reasons.get('unaligned'), p).toMatchObject({ errno: -22, fn: 'mm/mprotect.c:do_mprotect_pkey' });
      expect(o.reasons.get('maywrite'), p).toMatchObject({ errno: -13 });
      expect(o.reasons.get('maywrite')?.why, p).toContain('may not become writeable (its VM_MAYWRITE is clear');
      expect(o.reasons.get('hole')?.why, p).toBe('no VMA maps 0x1000');
      expect(o.reasons.get('wipefile')?.why, p).toContain('MADV_WIPEONFORK on a file mapping');
      // madvise_behavior() up to 5.15, madvise_vma_behavior() from 5.16 (ac1e9acc5acf).
      expect(o.reasons.get('wipefile')?.fn, p).toBe(p === 'v5.4' ? 'mm/madvise.c:madvise_behavior' : 'mm/madvise.c:madvise_vma_behavior');
      expect(o.reasons.get('remove')?.why, p).toContain('MADV_REMOVE on an anonymous mapping');
      expect(o.reasons.get('unmapped'), p).toMatchObject({ errno: -12, fn: 'mm/madvise.c:do_madvise' });
    }
  });
});

describe('gup-fast argument checks per release (unsigned long arithmetic, with reasons)', () => {
  const SCEN = `question: how does gup-fast judge its range?
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - get_user_pages_fast: { start: "0x800000000000", nr_pages: 0, gup_flags: FOLL_WRITE }
        as: zero_high
      - get_user_pages_fast: { start: "0x7ffffffff000", nr_pages: 2, gup_flags: FOLL_WRITE }
        as: past_task_size
      - get_user_pages_fast: { start: "0xfffffffffffff000", nr_pages: 2, gup_flags: FOLL_WRITE }
        as: wrap
      - get_user_pages_fast: { start: $buf, nr_pages: -1, gup_flags: FOLL_WRITE }
        as: negative
      - get_user_pages_fast: { start: 0, nr_pages: -1, gup_flags: FOLL_WRITE }
        as: negative_at_0
      - get_user_pages_fast: { start: $buf, nr_pages: 1, gup_flags: FOLL_WRITE|FOLL_NOWAIT }
        as: flags
expect:
  v6.1: { values: {} }
`;
  /** [profile, zero_high, past_task_size, wrap, negative, negative_at_0, function named] as read in each release. */
  const rows: [string, number, number, number, number, number, string][] = [
    // 5.4: end = start + len wraps; end <= start → 0; access_ok → -EFAULT.
    ['v5.4', 0, -14, 0, 0, -14, 'mm/gup.c:get_user_pages_fast'],
    // 5.10-6.2: check_add_overflow → 0; access_ok(start, 0) above TASK_SIZE_MAX → -EFAULT.
    ['v6.1', -14, -14, 0, 0, -14, 'mm/gup.c:internal_get_user_pages_fast'],
    // 6.5/6.6: overflow → -EOVERFLOW, end above TASK_SIZE_MAX → -EFAULT.
    ['v6.6', -14, -14, -75, -75, -14, 'mm/gup.c:internal_get_user_pages_fast'],
    // 6.12: nr_pages 0 → 0 first; a negative count shifted by PAGE_SHIFT overflows → -EOVERFLOW.
    ['v6.12', 0, -14, -75, -75, -75, 'mm/gup.c:gup_fast_fallback'],
    // 6.18.26: neither of those two; nr_pages 0 above TASK_SIZE_MAX is -EFAULT again, a negative count -EOVERFLOW or -EFAULT.
    ['v6.18', -14, -14, -75, -75, -14, 'mm/gup.c:gup_fast_fallback'],
  ];
  it.each(rows)('%s', (profile, zeroHigh, past, wrap, negative, negative0, fn) => {
    const o = runScenario(load(SCEN), profileOrThrow(profile));
    expect(o.values.get('zero_high')).toBe(zeroHigh);
    expect(o.values.get('past_task_size')).toBe(past);
    expect(o.values.get('wrap')).toBe(wrap);
    expect(o.values.get('negative')).toBe(negative);
    expect(o.values.get('negative_at_0')).toBe(negative0);
    expect(o.values.get('flags')).toBe(-22);
    expect(o.reasons.get('flags')).toMatchObject({ fn, why: 'gup_flags outside the mask this release accepts: FOLL_NOWAIT' });
    expect(o.reasons.get('past_task_size')?.fn).toBe(fn);
    if (wrap === -75) expect(o.reasons.get('wrap')?.why).toContain('wraps past the end of the address space');
    if (profile === 'v6.12') expect(o.reasons.get('negative')?.why).toBe('nr_pages -1 shifted by PAGE_SHIFT overflows unsigned long');
  });
});

describe('io_uring registration refusals name the release\'s file and function', () => {
  const SCEN = `question: where are registered buffers refused?
setup:
  filesystems:
    - { mount: /mnt, type: ext4 }
  files:
    - { path: /mnt/f, size: 2 pages }
  processes:
    - name: P
      uid: 1000
      rlimits: { RLIMIT_MEMLOCK: 64K }
      mappings:
        - { name: buf, length: 32 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        - { name: fm, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, file: /mnt/f }
threads:
  - process: P
    steps:
      - io_uring_setup: { entries: 8 }
        as: ring
      - IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 32 pages }] }
        as: memlock
      - IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $fm, len: 1 page }] }
        as: file
expect:
  v6.1: { values: {} }
`;
  const rows: [string, string, string][] = [
    ['v5.4', 'fs/io_uring.c:io_account_mem', 'fs/io_uring.c:io_sqe_buffer_register'],
    ['v5.15', 'fs/io_uring.c:__io_account_mem', 'fs/io_uring.c:io_sqe_buffer_register'],
    ['v6.1', 'io_uring/rsrc.c:__io_account_mem', 'io_uring/rsrc.c:io_pin_pages'],
    ['v6.12', 'io_uring/rsrc.c:__io_account_mem', ''],
  ];
  it.each(rows)('%s', (profile, acct, pin) => {
    const o = runScenario(load(SCEN), profileOrThrow(profile));
    expect(o.values.get('memlock')).toBe(-12);
    expect(o.reasons.get('memlock')?.fn).toBe(acct);
    // ext4 MAP_SHARED: refused by io_uring's own VMA check up to 6.4; 6.12 leaves it to GUP (check_vma_flags).
    if (pin !== '') expect(o.reasons.get('file')).toMatchObject({ errno: -95, fn: pin });
    else expect(o.reasons.get('file')?.fn).toBe('mm/gup.c:check_vma_flags');
  });
});
