/**
 * Scenario parsing (entry: src/scenario/parse.ts) — `setup`: memory, processes, files, mappings, devices and containers.
 */
import type { Node as YNode } from 'yaml';
import { isMap, isScalar } from 'yaml';
import * as mman from '../../linux/include/uapi/asm-generic/mman.js';
import type { ArgValue, ContainerSetup, DeviceDriver, DeviceSetup, FileSetup, FilesystemSetup, MappingSetup, MemorySetup, PmemRegion, ProcessSetup, Setup, ZoneName } from '../ast.js';
import { PAGE_SIZE } from '../ast.js';
import { CAP_NAMES, MAP_NAMES, PROT_NAMES, RLIMIT_NAMES } from '../ops.js';
import type { Walker} from './walker.js';
import { mean } from './walker.js';

const MB = 1024n * 1024n;

export function parseSetup(w: Walker, node: YNode | null, present: boolean): Setup {
  const setup: { memory: MemorySetup; filesystems: FilesystemSetup[]; files: FileSetup[]; processes: ProcessSetup[]; devices: DeviceSetup[]; vfio: { dmaEntryLimit: number; containers: ContainerSetup[] } } = {
    memory: { zones: { DMA32: 16n * MB, Normal: 64n * MB, Movable: 0n }, cma: 0n, hugepages: 0, hugepages1g: 0, pmem: [] },
    filesystems: [],
    files: [],
    processes: [],
    devices: [],
    vfio: { dmaEntryLimit: 65535, containers: [] },
  };
  if (!present) return setup;
  const m = w.map(node, 'setup', ['memory', 'filesystems', 'files', 'processes', 'devices', 'vfio']);
  if (m === null) return setup;

  const mem = m.get('memory');
  if (mem !== undefined) setup.memory = parseMemory(w, mem.value, setup.memory);

  for (const it of w.optSeq(m.get('filesystems'), 'setup.filesystems')) {
    const f = w.map(it, 'a file system', ['mount', 'type', 'dax', 'device'], ['mount', 'type']);
    if (f === null) continue;
    const mount = w.str(f.get('mount')?.value ?? null, 'mount');
    const type = enumOf(w, f.get('type')?.value ?? null, 'type', ['ext4', 'tmpfs', 'hugetlbfs'] as const);
    const dax = f.get('dax') === undefined ? false : w.bool(f.get('dax')?.value ?? null, 'dax') ?? false;
    let device: string | null = null;
    if (f.get('device') !== undefined) {
      device = w.ident(f.get('device')?.value ?? null, 'device');
      if (device !== null && !setup.memory.pmem.some((p) => p.name === device)) {
        w.err(w.pos(f.get('device')?.value ?? null), `device: '${device}' is not a pmem region of setup.memory.pmem${mean(device, setup.memory.pmem.map((p) => p.name))}`);
      } else if (device !== null && setup.memory.pmem.find((p) => p.name === device)?.mode !== 'fsdax') {
        w.err(w.pos(f.get('device')?.value ?? null), `device: pmem region '${device}' is in devdax mode; a DAX file system needs an fsdax region`);
      }
    }
    if (dax && device === null && f.get('device') === undefined) w.err(w.pos(it), 'a DAX file system needs `device:` naming an fsdax pmem region');
    if (dax && type !== null && type !== 'ext4') w.err(w.pos(f.get('dax')?.value ?? null), `dax: only ext4 is modelled with -o dax (found ${type})`);
    if (mount !== null && !mount.startsWith('/')) w.err(w.pos(f.get('mount')?.value ?? null), `mount: '${mount}' must be an absolute path`);
    if (mount !== null && setup.filesystems.some((x) => x.mount === mount)) w.err(w.pos(f.get('mount')?.value ?? null), `mount: '${mount}' is mounted twice`);
    if (mount !== null && type !== null) setup.filesystems.push({ mount, type, dax, device, at: w.pos(it) });
  }

  for (const it of w.optSeq(m.get('files'), 'setup.files')) {
    const f = w.map(it, 'a file', ['path', 'size', 'name', 'cached'], ['path', 'size']);
    if (f === null) continue;
    const pnode = f.get('path')?.value ?? null;
    const path = w.str(pnode, 'path');
    const size = w.plainInt(f.get('size')?.value ?? null, 'size', 0n, 1n << 50n);
    let name: string | null = null;
    if (f.get('name') !== undefined) {
      name = w.ident(f.get('name')?.value ?? null, 'name');
      if (name !== null) w.define(name, 'file', w.pos(f.get('name')?.value ?? null));
    }
    let cached: number[] | null = null;
    if (f.get('cached') !== undefined) {
      cached = [];
      for (const c of w.optSeq(f.get('cached'), 'cached')) {
        const v = w.smallInt(c, 'cached[]', 0, 1 << 30);
        if (v !== null) cached.push(v);
      }
    }
    if (path !== null) {
      const fs = setup.filesystems.filter((x) => path.startsWith(x.mount.endsWith('/') ? x.mount : x.mount + '/'));
      if (fs.length === 0) w.err(w.pos(pnode), `path: '${path}' is not under any mount of setup.filesystems (${setup.filesystems.map((x) => x.mount).join(', ') || 'none declared'})`);
      if (setup.files.some((x) => x.path === path)) w.err(w.pos(pnode), `path: file '${path}' is declared twice`);
    }
    if (path !== null && !w.defs.has(path)) w.defs.set(path, { kind: 'file', at: w.pos(pnode), fields: [] });
    if (path !== null && size !== null) setup.files.push({ path, name, size, cached, at: w.pos(it) });
    // Files on a DAX mount are fully allocated at set-up (fs/libfs.ts create_file): they must fit in the pmem region.
    if (path !== null && size !== null) {
      const mountOf = (fp: string): (typeof setup.filesystems)[number] | undefined =>
        setup.filesystems.filter((x) => fp.startsWith(x.mount.endsWith('/') ? x.mount : x.mount + '/')).sort((a, b) => b.mount.length - a.mount.length)[0];
      const mnt = mountOf(path);
      const region = mnt?.dax === true && mnt.device !== null ? setup.memory.pmem.find((p) => p.name === mnt.device) : undefined;
      if (mnt !== undefined && region !== undefined) {
        const pages = (x: bigint): bigint => (x + 4095n) / 4096n;
        const used = setup.files.filter((x) => { const g = mountOf(x.path); return g !== undefined && g.dax && g.device === region.name; }).reduce((n, x) => n + pages(x.size), 0n);
        const have = region.size / 4096n;
        if (used > have) w.err(w.pos(f.get('size')?.value ?? null), `size: the files on the fs-DAX mount ${mnt.mount} need ${used} pages of pmem region '${region.name}', which has ${have} (files on a DAX mount are fully allocated at set-up)`);
      }
    }
  }

  for (const it of w.optSeq(m.get('devices'), 'setup.devices')) {
    const d = w.map(it, 'a device', ['name', 'kind', 'iommu_group', 'driver', 'bar'], ['name', 'kind']);
    if (d === null) continue;
    const name = w.ident(d.get('name')?.value ?? null, 'name');
    const kind = enumOf(w, d.get('kind')?.value ?? null, 'kind', ['edu', 'mdev'] as const);
    const grp = d.get('iommu_group') === undefined ? setup.devices.length + 1 : w.smallInt(d.get('iommu_group')?.value ?? null, 'iommu_group', 0, 1 << 20);
    const dnode = d.get('driver')?.value ?? null;
    let driver: DeviceDriver | null = kind === 'mdev' ? 'vfio-mdev' : 'vfio-pci';
    if (dnode !== null) {
      driver = enumOf(w, dnode, 'driver', ['vfio-pci', 'pci-stub', 'kernel'] as const);
      if (kind === 'mdev') w.err(w.pos(dnode), `driver: an mdev is always bound to its vendor driver (give 'driver' only to an edu)`);
    }
    const bnode = d.get('bar')?.value ?? null;
    let bar: bigint | null = null;
    if (bnode !== null) {
      bar = w.plainInt(bnode, 'bar', 1n, 1n << 40n);
      if (bar !== null && bar % BigInt(PAGE_SIZE) !== 0n) {
        w.err(w.pos(bnode), `bar: ${bar} bytes is not a multiple of 4K`);
        bar = null;
      } else if (kind !== 'edu' || driver !== 'vfio-pci') {
        w.err(w.pos(bnode), `bar: only an edu bound to vfio-pci has a BAR the scenario can map`);
      }
    }
    if (name !== null) w.define(name, 'device', w.pos(d.get('name')?.value ?? null));
    if (name !== null && kind !== null && grp !== null && driver !== null) setup.devices.push({ name, kind, iommuGroup: grp, driver, bar, at: w.pos(it) });
  }

  for (const it of w.optSeq(m.get('processes'), 'setup.processes')) {
    const p = parseProcess(w, it, setup.files);
    if (p !== null) setup.processes.push(p);
  }

  const vfio = m.get('vfio');
  if (vfio !== undefined) {
    const v = w.map(vfio.value, 'setup.vfio', ['dma_entry_limit', 'containers']);
    if (v !== null) {
      if (v.get('dma_entry_limit') !== undefined) setup.vfio.dmaEntryLimit = w.smallInt(v.get('dma_entry_limit')?.value ?? null, 'dma_entry_limit', 0, 0xffffffff) ?? 65535;
      for (const it of w.optSeq(v.get('containers'), 'setup.vfio.containers')) {
        const c = w.map(it, 'a container', ['name', 'process', 'iommu', 'groups'], ['name', 'process']);
        if (c === null) continue;
        const name = w.ident(c.get('name')?.value ?? null, 'name');
        const pnode = c.get('process')?.value ?? null;
        const process = w.ident(pnode, 'process');
        if (process !== null) w.ref(process, null, w.pos(pnode), ['process'], 'process');
        const iommu = c.get('iommu') === undefined ? 'VFIO_TYPE1v2_IOMMU' : enumOf(w, c.get('iommu')?.value ?? null, 'iommu', ['VFIO_TYPE1_IOMMU', 'VFIO_TYPE1v2_IOMMU'] as const);
        const groups: string[] = [];
        for (const g of w.optSeq(c.get('groups'), 'groups')) {
          const gname = w.ident(g, 'groups[]');
          if (gname !== null) {
            w.ref(gname, null, w.pos(g), ['device'], 'device');
            const dev = setup.devices.find((x) => x.name === gname);
            if (dev !== undefined && dev.driver !== 'vfio-pci' && dev.driver !== 'vfio-mdev') {
              w.err(w.pos(g), `groups: device '${gname}' is bound to ${dev.driver}, not vfio-pci: it is no VFIO device (open its group in a step to see what VFIO says)`);
            }
            groups.push(gname);
          }
        }
        if (name !== null) w.define(name, 'container', w.pos(c.get('name')?.value ?? null));
        if (name !== null && process !== null && iommu !== null) setup.vfio.containers.push({ name, process, iommu, groups, at: w.pos(it) });
      }
    }
  }
  return setup;
}

function parseMemory(w: Walker, node: YNode | null, dflt: MemorySetup): MemorySetup {
  const m = w.map(node, 'setup.memory', ['zones', 'cma', 'hugepages', 'pmem']);
  if (m === null) return dflt;
  const zones: Record<ZoneName, bigint> = { ...dflt.zones };
  const z = m.get('zones');
  if (z !== undefined) {
    const zm = w.map(z.value, 'setup.memory.zones', ['DMA32', 'Normal', 'Movable']);
    for (const [k, e] of zm ?? []) {
      const v = w.plainInt(e.value, `zones.${k}`, 0n, 1n << 46n);
      if (v !== null && v % (2n * MB) !== 0n) w.err(w.pos(e.value), `zones.${k}: ${v} bytes is not a multiple of 2M (the model lays memory out in 2 MiB blocks)`);
      else if (v !== null) zones[k as ZoneName] = v;
    }
  }
  let cma = 0n;
  if (m.get('cma') !== undefined) cma = w.plainInt(m.get('cma')?.value ?? null, 'cma', 0n, 1n << 44n) ?? 0n;
  if (cma % (2n * MB) !== 0n) w.err(w.pos(m.get('cma')?.value ?? null), `cma: ${cma} bytes is not a multiple of 2M`);
  if (cma > zones.Normal) w.err(w.pos(m.get('cma')?.value ?? null), `cma: ${cma} bytes of CMA do not fit in ZONE_NORMAL (${zones.Normal} bytes)`);
  memoryLayoutProblems(w, m.get('zones')?.value ?? node, m.get('cma')?.value ?? null, zones, cma);
  // hugepages: N (the 2 MiB pool, /proc/sys/vm/nr_hugepages) or one pool per size, as
  // /sys/kernel/mm/hugepages/hugepages-{2048,1048576}kB/nr_hugepages has them: { 2M: N, 1G: M }.
  let hugepages = 0;
  let hugepages1g = 0;
  const hp = m.get('hugepages')?.value ?? null;
  if (hp !== null && isMap(hp)) {
    for (const [k, e] of w.map(hp, 'setup.memory.hugepages', ['2M', '1G']) ?? []) {
      const n = Number(w.plainInt(e.value, `hugepages.${k}`, 0n, 1n << 20n) ?? 0n);
      if (k === '2M') hugepages = n;
      else hugepages1g = n;
    }
  } else if (m.get('hugepages') !== undefined) hugepages = Number(w.plainInt(hp, 'hugepages', 0n, 1n << 20n) ?? 0n);
  const pmem: PmemRegion[] = [];
  for (const it of w.optSeq(m.get('pmem'), 'setup.memory.pmem')) {
    const p = w.map(it, 'a pmem region', ['name', 'size', 'mode'], ['name', 'size', 'mode']);
    if (p === null) continue;
    const name = w.ident(p.get('name')?.value ?? null, 'name');
    const size = w.plainInt(p.get('size')?.value ?? null, 'size', 1n, 1n << 44n);
    if (size !== null && size % (2n * MB) !== 0n) w.err(w.pos(p.get('size')?.value ?? null), `size: ${size} bytes is not a multiple of 2M`);
    const mode = enumOf(w, p.get('mode')?.value ?? null, 'mode', ['fsdax', 'devdax'] as const);
    if (name !== null) w.define(name, 'device', w.pos(p.get('name')?.value ?? null));
    if (name !== null && size !== null && mode !== null) pmem.push({ name, size, mode, at: w.pos(it) });
  }
  return { zones, cma, hugepages, hugepages1g, pmem };
}

/**
 * Layouts no real kernel boots with, refused with the reason (the model's Machine needs some
 * DMA32 or Normal RAM outside CMA for the zero page and the kernel's own allocations):
 * - no DMA32 or Normal RAM at all: movablecore= never makes all memory ZONE_MOVABLE. The kernel
 *   sizes kernelcore as total - movablecore, and a kernelcore of 0 means no ZONE_MOVABLE at all
 *   (find_zone_movable_pfns_for_nodes: mm/page_alloc.c in 5.4 and 6.1, mm/mm_init.c in 6.12);
 * - all of ZONE_NORMAL CMA with no DMA32: CMA is reserved from memblock at boot
 *   (cma_declare_contiguous_nid, mm/cma.c), which cannot hand out all of memory; the reservation
 *   fails ("Failed to reserve") and the kernel boots without that area.
 * ZONE_DMA32 ends at 4 GiB (it starts at 16 MiB in the model's layout).
 */
function memoryLayoutProblems(w: Walker, zonesNode: YNode | null, cmaNode: YNode | null, zones: Readonly<Record<ZoneName, bigint>>, cma: bigint): void {
  const dma32Max = 4n * 1024n * MB - 16n * MB;
  if (zones.DMA32 > dma32Max) w.err(w.pos(zonesNode), `zones.DMA32: ${zones.DMA32} bytes do not fit below 4 GiB (ZONE_DMA32 is 16 MiB to 4 GiB here: at most ${dma32Max} bytes); put the rest in Normal`);
  if (zones.DMA32 > 0n || zones.Normal - cma > 0n || cma > zones.Normal) return;
  if (cma > 0n) {
    w.err(w.pos(cmaNode), `cma: all of ZONE_NORMAL is CMA and there is no DMA32, so nothing is left for the kernel's own allocations; a real kernel reserves CMA from memblock at boot (cma_declare_contiguous_nid, mm/cma.c), which cannot take all of memory: the reservation fails and the kernel boots without it. Leave some Normal or DMA32 memory outside CMA`);
  } else {
    w.err(w.pos(zonesNode), `setup.memory.zones: no DMA32 or Normal memory; a real kernel never puts all of memory in ZONE_MOVABLE: movablecore= leaves kernelcore = total - movablecore, and with none left there is no ZONE_MOVABLE at all (find_zone_movable_pfns_for_nodes: mm/page_alloc.c 5.4/6.1, mm/mm_init.c 6.12). Give DMA32 or Normal some memory`);
  }
}

function enumOf<T extends string>(w: Walker, node: YNode | null, where: string, values: readonly T[]): T | null {
  const s = w.str(node, where);
  if (s === null) return null;
  if ((values as readonly string[]).includes(s)) return s as T;
  w.err(w.pos(node), `${where}: '${s}' is not one of ${values.join(', ')}${mean(s, values)}`);
  return null;
}

function parseProcess(w: Walker, node: YNode, files: readonly FileSetup[]): ProcessSetup | null {
  const p = w.map(node, 'a process', ['name', 'uid', 'caps', 'rlimits', 'comm', 'mappings'], ['name']);
  if (p === null) return null;
  const nameNode = p.get('name')?.value ?? null;
  const name = w.ident(nameNode, 'name');
  if (name !== null) w.define(name, 'process', w.pos(nameNode));
  const uid = p.get('uid') === undefined ? 0 : w.smallInt(p.get('uid')?.value ?? null, 'uid', 0, 0xfffffffe) ?? 0;
  let caps: string[] = uid === 0 ? [...CAP_NAMES] : [];
  const capsNode = p.get('caps');
  if (capsNode !== undefined) {
    if (isScalar(capsNode.value) && capsNode.value.value === 'all') caps = [...CAP_NAMES];
    else caps = capList(w, capsNode.value, 'caps') ?? [];
  }
  const rlimits: Record<string, { cur: bigint | null; max: bigint | null }> = {};
  const rl = p.get('rlimits');
  if (rl !== undefined) {
    for (const [k, e] of w.map(rl.value, 'rlimits', RLIMIT_NAMES) ?? []) {
      if (isMap(e.value)) {
        const lm = w.map(e.value, k, ['cur', 'max'], ['cur']);
        const cur = rlimitValue(w, lm?.get('cur')?.value ?? null, `${k}.cur`);
        const max = lm?.get('max') === undefined ? cur : rlimitValue(w, lm.get('max')?.value ?? null, `${k}.max`);
        if (cur !== undefined && max !== undefined) {
          if (cur !== null && (max === null ? false : cur > max)) w.err(e.at, `${k}: cur ${cur} exceeds max ${max}`);
          rlimits[k] = { cur, max };
        }
      } else {
        const v = rlimitValue(w, e.value, k);
        if (v !== undefined) rlimits[k] = { cur: v, max: v };
      }
    }
  }
  const comm = p.get('comm') === undefined ? name ?? '' : w.str(p.get('comm')?.value ?? null, 'comm') ?? '';
  const mappings: MappingSetup[] = [];
  for (const it of w.optSeq(p.get('mappings'), 'mappings')) {
    const mp = parseMapping(w, it, files);
    if (mp !== null) mappings.push(mp);
  }
  return name === null ? null : { name, uid, caps, rlimits, comm, mappings, at: w.pos(node) };
}

function rlimitValue(w: Walker, node: YNode | null, where: string): bigint | null | undefined {
  if (isScalar(node) && (node.value === 'unlimited' || node.value === 'RLIM_INFINITY')) return null;
  const v = w.plainInt(node, where, 0n, (1n << 64n) - 1n);
  return v === null ? undefined : v;
}

export function capList(w: Walker, node: YNode | null, where: string): string[] | null {
  const items = w.seq(node, where);
  if (items === null) return null;
  const out: string[] = [];
  for (const it of items) {
    const s = w.str(it, `${where}[]`);
    if (s === null) continue;
    if (!(CAP_NAMES as readonly string[]).includes(s)) w.err(w.pos(it), `${where}: unknown capability '${s}' (modelled: ${CAP_NAMES.join(', ')})${mean(s, CAP_NAMES)}`);
    else out.push(s);
  }
  return out;
}

function parseMapping(w: Walker, node: YNode, files: readonly FileSetup[]): MappingSetup | null {
  const m = w.map(node, 'a mapping', ['name', 'addr', 'length', 'prot', 'flags', 'file', 'offset', 'populate'], ['name', 'length', 'prot', 'flags']);
  if (m === null) return null;
  const nameNode = m.get('name')?.value ?? null;
  const name = w.ident(nameNode, 'name');
  if (name !== null) w.define(name, 'mapping', w.pos(nameNode), ['end', 'length']);
  const addr = m.get('addr') === undefined ? 0n : w.plainInt(m.get('addr')?.value ?? null, 'addr', 0n, (1n << 64n) - 1n);
  const length = w.plainInt(m.get('length')?.value ?? null, 'length', 0n, 1n << 50n);
  const prot = flagNames(w, w.flags(m.get('prot')?.value ?? null, 'prot', PROT_NAMES, 'PROT_'), 'prot', PROT_NAMES);
  const flags = flagNames(w, w.flags(m.get('flags')?.value ?? null, 'flags', MAP_NAMES, 'MAP_'), 'flags', MAP_NAMES);
  let file: string | null = null;
  const fnode = m.get('file')?.value ?? null;
  if (m.get('file') !== undefined) {
    file = w.str(fnode, 'file');
    if (file !== null) {
      const fname = file.startsWith('$') ? file.slice(1) : null;
      const found = files.find((f) => f.path === file || (fname !== null && f.name === fname));
      if (found === undefined && !file.startsWith('/dev/')) w.err(w.pos(fnode), `file: '${file}' is not declared in setup.files${mean(file, files.map((f) => f.path))}`);
      else if (found !== undefined) file = found.path;
    }
  }
  const offset = m.get('offset') === undefined ? 0n : w.plainInt(m.get('offset')?.value ?? null, 'offset', 0n, 1n << 60n);
  const populate = m.get('populate') === undefined ? false : w.bool(m.get('populate')?.value ?? null, 'populate') ?? false;
  if (flags !== null && file === null && !flags.includes('MAP_ANONYMOUS')) w.err(w.pos(node), 'a mapping without `file:` must have MAP_ANONYMOUS in flags');
  if (name === null || addr === null || length === null || prot === null || flags === null || offset === null) return null;
  return { name, addr, length, prot, flags, file, offset, populate, at: w.pos(node) };
}

/**
 * A set-up mapping's prot/flags as names. An integer (documented as valid) is decomposed into the
 * family's names, wider fields first (MAP_SHARED_VALIDATE before MAP_SHARED, MAP_HUGE_1GB as a whole);
 * bits no modelled name covers are a positioned error, never dropped.
 */
function flagNames(w: Walker, v: ArgValue | null, where: string, names: readonly string[]): string[] | null {
  if (v === null) return null;
  if (v.kind === 'flags') return [...v.names];
  if (v.kind !== 'int') return null;
  if (v.value < 0n || v.value > 0xffffffffn) {
    w.err(v.at, `${where}: ${v.value} is not a 32-bit flags value`);
    return null;
  }
  const table = names
    .map((n) => ({ n, x: BigInt((mman as Readonly<Record<string, unknown>>)[n] as number) }))
    .filter((e) => e.x !== 0n)
    .sort((a, b) => popcount(b.x) - popcount(a.x));
  let left = v.value;
  const out: string[] = [];
  for (const e of table) {
    if ((left & e.x) === e.x) {
      out.push(e.n);
      left &= ~e.x;
    }
  }
  if (left !== 0n) {
    w.err(v.at, `${where}: 0x${v.value.toString(16)} has bits 0x${left.toString(16)} that no modelled name covers (${names.join(', ')}); write the flags as names`);
    return null;
  }
  return out;
}

function popcount(x: bigint): number {
  let n = 0;
  for (let y = x; y > 0n; y >>= 1n) n += Number(y & 1n);
  return n;
}
