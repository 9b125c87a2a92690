/**
 * The VFIO_IOMMU_DIRTY_PAGES operation and the capability outputs of VFIO_IOMMU_GET_INFO:
 * how they parse (and how malformed uses are reported), what they return per release,
 * and that the conformance translator refuses what the guest driver cannot do.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { runScenario } from '../../../src/scenario/run.js';
import { renderError } from '../../../src/scenario/ast.js';
import type { Scenario } from '../../../src/scenario/ast.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import { translateScenario } from '../../../src/conformance/translate.js';
import { caseValues, parseGuestLog } from '../../../src/conformance/guestlog.js';
import { outcomeValues } from '../../../src/conformance/model.js';
import { compareValues } from '../../../src/conformance/compare.js';

const GOOD = `question: dirty tracking and GET_INFO caps
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, length: 4 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }
  devices:
    - { name: edu0, kind: edu, iommu_group: 5 }
  vfio:
    dma_entry_limit: 5
    containers:
      - { name: C, process: P, groups: [edu0] }
threads:
  - process: P
    steps:
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $buf, iova: 0x100000, size: 4 pages }
        as: map
      - VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START }
        as: start
      - VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, iova: 0x100000, size: 4 pages }
        as: get
      - VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, iova: 0x100000, size: 4 pages, pgsize: 8K }
        as: get_pgsize
      - VFIO_IOMMU_DIRTY_PAGES: { container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP, iova: 0x100000, size: 4 pages, argsz: 8 }
        as: get_short
      - VFIO_IOMMU_GET_INFO: { container: $C }
        as: small
      - VFIO_IOMMU_GET_INFO: { container: $C, argsz: 4096 }
        as: info
expect:
  v6.1: { values: { map: 0, start: 0, get: 0, get.dirty: [0, 1, 2, 3] } }
`;

function parse(text: string): Scenario {
  const r = parseScenario(text, 'x.yaml');
  if (!r.ok) throw new Error(r.errors.map(renderError).join('\n'));
  return r.scenario;
}

function errorsOf(text: string): string[] {
  const r = parseScenario(text, 'x.yaml');
  return r.ok ? [] : r.errors.map(renderError);
}

function mutate(from: string, to: string): string {
  if (!GOOD.includes(from)) throw new Error(`test bug: '${from}' not in GOOD`);
  return GOOD.replace(from, to);
}

describe('VFIO_IOMMU_DIRTY_PAGES and GET_INFO: parsing', () => {
  it('parses, with argsz and pgsize defaults filled in', () => {
    const s = parse(GOOD);
    const st = s.threads[0].steps;
    expect(st[1].op).toBe('VFIO_IOMMU_DIRTY_PAGES');
    expect(st[1].args.flags).toMatchObject({ kind: 'flags', names: ['VFIO_IOMMU_DIRTY_PAGES_FLAG_START'] });
    expect(st[1].args.pgsize).toMatchObject({ kind: 'int', value: 4096n });
    expect(st[1].args.argsz).toMatchObject({ kind: 'null' });
    expect(st[3].args.pgsize).toMatchObject({ kind: 'int', value: 8192n });
    expect(st[5].args.argsz).toMatchObject({ kind: 'int', value: 16n });
    expect(st[6].args.argsz).toMatchObject({ kind: 'int', value: 4096n });
  });

  const MALFORMED: readonly { kind: string; text: string; error: string }[] = [
    {
      kind: 'unknown DIRTY_PAGES flag',
      text: mutate('flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START }', 'flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_BEGIN }'),
      error: "x.yaml:18:57: VFIO_IOMMU_DIRTY_PAGES.flags: unknown flag 'VFIO_IOMMU_DIRTY_PAGES_FLAG_BEGIN' (expected VFIO_IOMMU_DIRTY_PAGES_FLAG_* names); did you mean 'VFIO_IOMMU_DIRTY_PAGES_FLAG_START'?",
    },
    {
      kind: 'DIRTY_PAGES without flags',
      text: mutate('{ container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START }', '{ container: $C }'),
      error: "x.yaml:18:33: VFIO_IOMMU_DIRTY_PAGES arguments: missing required key 'flags'",
    },
    {
      kind: 'DIRTY_PAGES without a container',
      text: mutate('{ container: $C, flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START }', '{ flags: VFIO_IOMMU_DIRTY_PAGES_FLAG_START }'),
      error: "x.yaml:18:33: VFIO_IOMMU_DIRTY_PAGES arguments: missing required key 'container'",
    },
    {
      kind: 'pgsize that is not an integer',
      text: mutate('pgsize: 8K', 'pgsize: huge'),
      error: "x.yaml:22:136: VFIO_IOMMU_DIRTY_PAGES.pgsize: cannot read 'huge' as an integer expression",
    },
    {
      kind: 'unknown DIRTY_PAGES argument',
      text: mutate('pgsize: 8K', 'bitmap: 8K'),
      error: "x.yaml:22:128: unknown key 'bitmap' in VFIO_IOMMU_DIRTY_PAGES arguments",
    },
    {
      kind: 'GET_INFO argsz that is not an integer',
      text: mutate('argsz: 4096', 'argsz: all'),
      error: "x.yaml:28:54: VFIO_IOMMU_GET_INFO.argsz: cannot read 'all' as an integer expression",
    },
    {
      kind: 'expectation about an output DIRTY_PAGES does not have',
      text: mutate('get.dirty: [0, 1, 2, 3]', 'get.bitmap: [0, 1, 2, 3]'),
      error: "x.yaml:31:47: expect.v6.1.values: 'get' has no field 'bitmap' (fields: dirty)",
    },
    {
      kind: 'expectation about a GET_INFO output that does not exist',
      text: mutate('get.dirty: [0, 1, 2, 3]', 'info.capabilities: []'),
      error: "x.yaml:31:47: expect.v6.1.values: 'info' has no field 'capabilities' (fields: flags, iova_pgsizes, argsz, caps, dma_avail, iova_ranges)",
    },
  ];
  for (const m of MALFORMED) {
    it(`malformed: ${m.kind}`, () => {
      const errs = errorsOf(m.text);
      expect(errs.some((e) => e.startsWith(m.error)), `got:\n${errs.join('\n')}`).toBe(true);
      for (const e of errs) expect(e).toMatch(/^x\.yaml:\d+:\d+: \S/);
    });
  }
});

describe('VFIO_IOMMU_DIRTY_PAGES and GET_INFO: runs', () => {
  const s = parse(GOOD);

  it('6.1: tracking reports every mapped page of a group without pinned-page scope; bad pgsize / argsz are -EINVAL', () => {
    const o = runScenario(s, profileOrThrow('v6.1'));
    expect(o.status).toBe('done');
    expect(o.values.get('start')).toBe(0);
    expect(o.values.get('get')).toBe(0);
    expect(o.outputs.get('get')?.dirty).toEqual([0, 1, 2, 3]);
    expect(o.values.get('get_pgsize')).toBe(-22);
    expect(o.outputs.get('get_pgsize')?.dirty).toEqual([]);
    expect(o.values.get('get_short')).toBe(-22);
  });

  it('6.1: GET_INFO copies the chain only when argsz has room, and reports the argsz it needs', () => {
    const o = runScenario(s, profileOrThrow('v6.1'));
    const small = o.outputs.get('small');
    const info = o.outputs.get('info');
    expect(small?.caps).toEqual([]);
    expect(small?.dma_avail).toBeNull();
    expect(typeof small?.argsz).toBe('number');
    expect(small?.argsz as number).toBeGreaterThan(24);
    expect(info?.caps).toEqual(['MIGRATION', 'DMA_AVAIL', 'IOVA_RANGE']);
    expect(info?.dma_avail).toBe(4);
    expect(info?.argsz).toBe(4096);
  });

  it('5.6: no DIRTY_PAGES ioctl (-ENOTTY) and only the IOVA range capability', () => {
    const o = runScenario(s, profileOrThrow('v5.6'));
    expect(o.values.get('start')).toBe(-25);
    expect(o.values.get('get')).toBe(-25);
    expect(o.outputs.get('get')?.dirty).toEqual([]);
    expect(o.outputs.get('info')?.caps).toEqual(['IOVA_RANGE']);
    expect(o.outputs.get('info')?.dma_avail).toBeNull();
  });

  it('the conformance translator gives DIRTY_PAGES and GET_INFO-with-argsz their guest ops and planned outputs', () => {
    const t = translateScenario(s);
    expect(t.ok).toBe(true);
    if (!t.ok) return;
    expect(t.t.lines).toContain('vfio-dirty start $C 1 0 0 4096 8');
    expect(t.t.lines).toContain('vfio-dirty get $C 4 1048576 16384 4096 48');
    expect(t.t.lines).toContain('vfio-dirty get_pgsize $C 4 1048576 16384 8192 48');
    expect(t.t.lines).toContain('vfio-dirty get_short $C 4 1048576 16384 4096 8');
    expect(t.t.lines).toContain('vfio-get-info small $C');
    expect(t.t.lines).toContain('vfio-get-info-caps info $C 4096');
    expect(t.t.plan.filter((p) => p.kind !== 'int' && p.kind !== 'okerr').map((p) => [p.name, p.kind, p.field])).toEqual([
      ['start.dirty', 'kvlist', 'dirty'], ['get.dirty', 'kvlist', 'dirty'], ['get_pgsize.dirty', 'kvlist', 'dirty'], ['get_short.dirty', 'kvlist', 'dirty'],
      ['info.argsz', 'kvint', 'argsz'], ['info.caps', 'kvnames', 'caps'], ['info.dma_avail', 'kvint', 'dma_avail'],
    ]);
  });

  it('guest kv lists read back as the JSON text the model side gives list outputs', () => {
    const t = translateScenario(s);
    if (!t.ok) throw new Error(t.reason);
    const o = runScenario(s, profileOrThrow('v6.1'));
    const model = outcomeValues(o);
    if (model.status !== 'ok') throw new Error(model.reason);
    const step = (name: string): number => (t.t.plan.find((p) => p.name === name) as { step: number }).step;
    const log = [
      '@@C x begin',
      ...t.t.lines.map((_l, i) => `@@R x ${i} op ret=0`),
    ];
    log[step('get') + 1] = `@@R x ${step('get')} vfio-dirty ret=0 dirty=0,1,2,3`;
    log[step('get_pgsize') + 1] = `@@R x ${step('get_pgsize')} vfio-dirty ret=-22 dirty=-`;
    log[step('get_short') + 1] = `@@R x ${step('get_short')} vfio-dirty ret=-22 dirty=-`;
    log[step('small') + 1] = `@@R x ${step('small')} vfio-get-info ret=0 flags=3 iova_pgsizes=0x40201000`;
    log[step('info') + 1] = `@@R x ${step('info')} vfio-get-info-caps ret=0 argsz=4096 caps=MIGRATION,DMA_AVAIL,IOVA_RANGE dma_avail=4`;
    log.push('@@C x end status=0');
    const g = parseGuestLog(log.join('\n'));
    const real = caseValues(t.t, g.cases.get('x'));
    if (real.status !== 'ok') throw new Error(real.reason);
    expect(real.values.get('get.dirty')).toBe('[0,1,2,3]');
    expect(real.values.get('info.caps')).toBe('["MIGRATION","DMA_AVAIL","IOVA_RANGE"]');
    const diffs = compareValues(t.t.plan.filter((p) => ['get', 'get.dirty', 'get_pgsize', 'get_pgsize.dirty', 'info', 'info.caps', 'info.dma_avail', 'info.argsz'].includes(p.name)), real.values, model.values);
    expect(diffs).toEqual([]);
  });
});

const GROUP = `question: a group with a kernel-bound device
setup:
  processes:
    - name: P
  devices:
    - { name: edu0, kind: edu, iommu_group: 7 }
    - { name: nic0, kind: edu, iommu_group: 7, driver: kernel }
    - { name: stub0, kind: edu, iommu_group: 8, driver: pci-stub }
    - { name: edu1, kind: edu, iommu_group: 8 }
threads:
  - process: P
    steps:
      - open: { path: /dev/vfio/vfio }
        as: C
      - open: { path: /dev/vfio/7 }
        as: G
      - VFIO_GROUP_SET_CONTAINER: { group: $G, container: $C }
        as: set
      - open: { path: /dev/vfio/8 }
        as: G8
      - VFIO_GROUP_SET_CONTAINER: { group: $G8, container: $C }
        as: set8
      - VFIO_SET_IOMMU: { container: $C, type: VFIO_TYPE1v2_IOMMU }
        as: iommu
      - VFIO_GROUP_GET_DEVICE_FD: { group: $G8, device: edu1 }
        as: dev8
      - VFIO_GROUP_GET_DEVICE_FD: { group: $G8, device: stub0 }
        as: stubdev
expect:
  v6.1: { values: { set: -EPERM } }
`;

function gmut(from: string, to: string): string {
  if (!GROUP.includes(from)) throw new Error(`test bug: '${from}' not in GROUP`);
  return GROUP.replace(from, to);
}

describe('setup.devices[].driver', () => {
  it('parses, defaulting to vfio-pci (edu) and vfio-mdev (mdev)', () => {
    const s = parse(GROUP);
    expect(s.setup.devices.map((d) => [d.name, d.driver])).toEqual([['edu0', 'vfio-pci'], ['nic0', 'kernel'], ['stub0', 'pci-stub'], ['edu1', 'vfio-pci']]);
  });

  const MALFORMED: readonly { kind: string; text: string; error: string }[] = [
    { kind: 'unknown driver', text: gmut('driver: kernel }', 'driver: e1000e }'), error: "x.yaml:7:56: driver: 'e1000e' is not one of vfio-pci, pci-stub, kernel" },
    { kind: 'driver on an mdev', text: gmut('- { name: stub0, kind: edu, iommu_group: 8, driver: pci-stub }', '- { name: m0, kind: mdev, driver: kernel }'), error: "x.yaml:8:39: driver: an mdev is always bound to its vendor driver" },
    {
      kind: 'a kernel-bound device in a container',
      text: gmut('  processes:\n    - name: P\n', '  processes:\n    - name: P\n  vfio:\n    containers:\n      - { name: C2, process: P, groups: [nic0] }\n'),
      error: "x.yaml:7:42: groups: device 'nic0' is bound to kernel, not vfio-pci",
    },
  ];
  for (const m of MALFORMED) {
    it(`malformed: ${m.kind}`, () => {
      const errs = errorsOf(m.text);
      expect(errs.some((e) => e.startsWith(m.error)), `got:\n${errs.join('\n')}`).toBe(true);
      for (const e of errs) expect(e).toMatch(/^x\.yaml:\d+:\d+: \S/);
    });
  }

  it('6.1: a kernel-bound sibling makes SET_CONTAINER -EPERM; a pci-stub sibling does not', () => {
    const o = runScenario(parse(GROUP), profileOrThrow('v6.1'));
    expect(o.status).toBe('done');
    expect(o.values.get('set')).toBe(-1);
    expect(o.values.get('set8')).toBe(0);
    expect(o.values.get('iommu')).toBe(0);
    expect(o.values.get('dev8') as number).toBeGreaterThanOrEqual(0);
    // stub0 is not a VFIO device: the group does not know it.
    expect(o.values.get('stubdev')).toBe(-19);
  });

  it('5.4: the kernel-bound group joins the container; only its device fds are refused', () => {
    const o = runScenario(parse(GROUP), profileOrThrow('v5.4'));
    expect(o.values.get('set')).toBe(0);
    expect(o.values.get('set8')).toBe(0);
  });

  it('a scenario with a non-vfio-pci device is not conformance-capable', () => {
    expect(translateScenario(parse(GROUP))).toMatchObject({ ok: false, reason: expect.stringMatching(/driver other than vfio-pci/) as unknown });
  });
});

const BAR = `question: a BAR
setup:
  processes:
    - name: P
  devices:
    - { name: edu0, kind: edu, iommu_group: 5, bar: 64K }
threads:
  - process: P
    steps:
      - open: { path: /dev/vfio/vfio }
        as: C
      - open: { path: /dev/vfio/5 }
        as: G
      - VFIO_GROUP_SET_CONTAINER: { group: $G, container: $C }
        as: set
      - VFIO_SET_IOMMU: { container: $C, type: VFIO_TYPE1v2_IOMMU }
        as: iommu
      - VFIO_GROUP_GET_DEVICE_FD: { group: $G, device: edu0 }
        as: D
      - mmap: { length: 16 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, fd: $D, offset: 0 }
        as: bar
      - mmap: { length: 17 pages, prot: PROT_READ, flags: MAP_SHARED, fd: $D, offset: 0 }
        as: toolong
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $bar + 3 pages, iova: 0x100000, size: 1 page }
        as: map
observe:
  io: { iommu: { container: $C, iova: 0x100000 } }
  frame: { frame: { process: P, addr: $bar + 3 pages } }
  lvm: { locked_vm: P }
expect:
  v6.1: { values: { map: 0 } }
`;

describe('setup.devices[].bar', () => {
  it('parses a BAR size', () => {
    expect(parse(BAR).setup.devices[0].bar).toBe(65536n);
    expect(parse(GOOD).setup.devices[0].bar).toBeNull();
  });

  const MALFORMED: readonly { kind: string; text: string; error: string }[] = [
    { kind: 'a BAR size that is not a multiple of 4K', text: BAR.replace('bar: 64K', 'bar: 6000'), error: 'x.yaml:6:53: bar: 6000 bytes is not a multiple of 4K' },
    { kind: 'a BAR size that is not an integer', text: BAR.replace('bar: 64K', 'bar: big'), error: "x.yaml:6:53: bar: cannot read 'big'" },
    { kind: 'a BAR on an mdev', text: BAR.replace('kind: edu, iommu_group: 5, bar: 64K', 'kind: mdev, bar: 64K'), error: 'x.yaml:6:38: bar: only an edu bound to vfio-pci has a BAR' },
    { kind: 'a BAR on a kernel-bound edu', text: BAR.replace('bar: 64K', 'driver: kernel, bar: 64K'), error: 'x.yaml:6:69: bar: only an edu bound to vfio-pci has a BAR' },
  ];
  for (const m of MALFORMED) {
    it(`malformed: ${m.kind}`, () => {
      const errs = errorsOf(m.text);
      expect(errs.some((e) => e.startsWith(m.error)), `got:\n${errs.join('\n')}`).toBe(true);
      for (const e of errs) expect(e).toMatch(/^x\.yaml:\d+:\d+: \S/);
    });
  }

  it('the device fd maps BAR 0 as PFNMAP; MAP_DMA of it maps the BAR pfn into the IOMMU, unpinned and uncharged', () => {
    for (const p of ['v5.4', 'v6.1', 'v6.12']) {
      const o = runScenario(parse(BAR), profileOrThrow(p));
      expect(o.status, p).toBe('done');
      expect(o.values.get('bar') as number, p).toBeGreaterThan(0);
      expect(o.values.get('toolong'), p).toBe(-22);
      expect(o.values.get('map'), p).toBe(0);
      expect(o.values.get('io'), p).toBe(o.values.get('frame'));
      expect(o.values.get('io') as number, p).toBe(2 ** 28 + 3);
      expect(o.values.get('lvm'), p).toBe(0);
    }
  });
});
