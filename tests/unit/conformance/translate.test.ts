import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { caseFileText, caseNameOf, translateScenario, UAPI } from '../../../src/conformance/translate.js';

function scenario(yaml: string, file = 'conformance/cases/x/t.yaml'): Scenario {
  const r = parseScenario(yaml, file);
  if (!r.ok) throw new Error(r.errors.map((e) => `${e.at.line}:${e.at.col} ${e.message}`).join('\n'));
  return r.scenario;
}

const VFIO_ANON = `
format: 1
question: q
setup:
  memory:
    zones: { DMA32: 16M, Normal: 64M, Movable: 64M }
  processes:
    - name: P
      rlimits: { RLIMIT_MEMLOCK: 8K }
      caps: [CAP_SYS_ADMIN, CAP_SYS_RAWIO, CAP_SYS_RESOURCE, CAP_DAC_OVERRIDE]
      mappings:
        - { name: buf, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }
  devices:
    - { name: edu0, kind: edu, iommu_group: 5 }
  vfio:
    dma_entry_limit: 2
    containers:
      - { name: C, process: P, iommu: VFIO_TYPE1v2_IOMMU, groups: [edu0] }
threads:
  - process: P
    steps:
      - store: { addr: $buf + 1 page, length: 16, content: Z }
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 4 pages }
        as: map
      - device_dma_read: { device: edu0, iova: 0x100000 }
        as: dr
      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: 0x100000, size: 4 pages }
        as: un
observe:
  lvm: { locked_vm: P }
  z: { zone: { process: P, addr: $buf } }
expect:
  v6.1:
    values: { map: -ENOMEM }
`;

describe('translateScenario', () => {
  it('expands set-up and steps into driver lines in order', () => {
    const r = translateScenario(scenario(VFIO_ANON));
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const L = r.t.lines;
    const idx = (prefix: string): number => L.findIndex((l) => l.startsWith(prefix));
    // rlimit and capabilities come before the mappings and the container
    expect(idx('setrlimit')).toBeGreaterThanOrEqual(0);
    expect(L[idx('setrlimit')]).toBe(`setrlimit _rl_RLIMIT_MEMLOCK ${UAPI.RLIMIT_MEMLOCK} 8192 8192`);
    expect(idx('capdrop')).toBeLessThan(idx('mmap buf'));
    expect(L[idx('capdrop')]).toBe('capdrop _cap 0x4000');
    expect(L[idx('mmap buf')]).toBe('mmap buf 0 16384 3 34 -1 0');
    expect(L).toContain('touch - $buf 16384 1');
    expect(idx('dma-entry-limit - 2')).toBeLessThan(idx('open C /dev/vfio/vfio'));
    expect(L).toContain('open C.g0 @edu-group 2');
    expect(L).toContain('vfio-ioctl0 _si_C $C set-iommu 3');
    // the container holding the edu device is attached because the thread does device DMA
    expect(idx('edu-attach - $C.g0 $C')).toBeGreaterThan(idx('vfio-ioctl0 _si_C'));
    // steps: tags become bytes A.., sums keep the reference
    expect(L).toContain('store _r1 $buf+4096 16 65');
    expect(r.t.tags.get('Z')).toBe(0x41);
    expect(L).toContain('vfio-map map $C $buf 1048576 16384 3 32');
    expect(L).toContain('dma-read dr 1048576');
    expect(L).toContain('vfio-unmap un $C 1048576 16384 0 24');
    expect(L.slice(-2)).toEqual(['locked-vm lvm 0', 'frame z 0 $buf']);
  });

  it('plans one comparable value per named result and observation', () => {
    const r = translateScenario(scenario(VFIO_ANON));
    if (!r.ok) throw new Error(r.reason);
    expect(r.t.plan.map((p) => `${p.name}:${p.kind}`)).toEqual(['map:int', 'dr:tag', 'un:int', 'un.size:unmapsize', 'lvm:pages', 'z:zone']);
    for (const p of r.t.plan) expect(r.t.lines[p.step]).toBeDefined();
  });

  it('maps file systems, files and device nodes to the guest', () => {
    const s = scenario(`
question: q
setup:
  memory:
    pmem:
      - { name: pmem0, size: 16M, mode: fsdax }
  filesystems:
    - { mount: /mnt/pm, type: ext4, dax: true, device: pmem0 }
    - { mount: /srv, type: ext4 }
  files:
    - { path: /mnt/pm/f, size: 2 pages }
    - { path: /srv/g, size: 1 page }
  processes:
    - name: P
      mappings:
        - { name: a, length: 2 pages, prot: PROT_READ, flags: MAP_SHARED, file: /mnt/pm/f }
threads:
  - process: P
    steps:
      - open: { path: /srv/g }
        as: fd
expect:
  v6.12:
    values: { fd: 3 }
`);
    const r = translateScenario(s);
    if (!r.ok) throw new Error(r.reason);
    expect(r.t.lines.slice(0, 4)).toEqual(['fscheck - /mnt/dax fsdax', 'fscheck - /mnt/ext4 ext4', 'mkfile - /mnt/dax/f 8192', 'mkfile - /mnt/ext4/g 4096']);
    expect(r.t.lines).toContain('open _fd_a /mnt/dax/f 0');
    expect(r.t.lines).toContain('open fd /mnt/ext4/g 2');
    expect(r.t.plan).toEqual([{ name: 'fd', step: r.t.lines.indexOf('open fd /mnt/ext4/g 2'), kind: 'okerr' }]);
  });

  it('says why a scenario cannot run on a real kernel', () => {
    const two = scenario(`
question: q
setup:
  processes:
    - name: P
threads:
  - process: P
    steps:
      - io_uring_setup: {}
  - process: P
    steps:
      - io_uring_setup: {}
expect:
  v6.1:
    values: {}
`);
    const r = translateScenario(two);
    expect(r).toEqual({ ok: false, reason: expect.stringContaining('2 threads') });
    const cma = scenario(`
question: q
setup:
  memory:
    zones: { Normal: 8M }
    cma: 8M
  processes:
    - name: P
threads:
  - process: P
    steps:
      - io_uring_setup: {}
expect:
  v6.1:
    values: {}
`);
    expect(translateScenario(cma)).toEqual({ ok: false, reason: expect.stringContaining('CMA') });
    const kernel = scenario(`
question: q
setup:
  processes:
    - name: P
      mappings:
        - { name: b, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }
threads:
  - process: P
    steps:
      - pin_user_pages: { start: $b, nr_pages: 1, gup_flags: FOLL_LONGTERM }
expect:
  v6.1:
    values: {}
`);
    expect(translateScenario(kernel)).toEqual({ ok: false, reason: expect.stringContaining('kernel entry point') });
  });

  it('refuses an IOVA that overlaps the driver scratch page', () => {
    const s = scenario(VFIO_ANON.replace('iova: 0x100000, size: 4 pages }\n        as: map', 'iova: 0xffef000, size: 4 pages }\n        as: map'));
    expect(translateScenario(s)).toEqual({ ok: false, reason: expect.stringContaining('scratch') });
  });

  it('writes a case file the driver reads', () => {
    const r = translateScenario(scenario(VFIO_ANON, 'conformance/cases/vfio/a b.yaml'));
    if (!r.ok) throw new Error(r.reason);
    expect(r.t.caseName).toBe('a_b');
    const text = caseFileText([r.t]);
    expect(text.startsWith('case a_b\n')).toBe(true);
    expect(text.endsWith('\nend\n')).toBe(true);
    expect(caseNameOf('x/y/v2-unmap.yml')).toBe('v2-unmap');
  });
});
