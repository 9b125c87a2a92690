// Translation of a conformance-capable scenario (docs/scenario-format.md) into the guest
// driver's op language (conformance/guest/pinlab-guest.c; docs/conformance.md), plus
// the plan that says how each guest output line becomes a comparable value.
//
// A scenario is written once: its set-up becomes guest set-up lines (a failure there is
// a set-up failure, never a result), each step of its single thread becomes one driver
// operation in order, and its `observe` probes are read at the end. Flag names become
// their x86-64 uapi values (the same in both kernels).
import type { ArgValue, Probe, Scenario, Step } from '../scenario/ast.js';
import { conformanceObstacle } from '../scenario/ast.js';

// ---- uapi constants (x86-64; identical in Linux 6.1 and 6.12) ------------------------------

export const UAPI: Readonly<Record<string, number>> = {
  PROT_NONE: 0, PROT_READ: 1, PROT_WRITE: 2, PROT_EXEC: 4,
  MAP_SHARED: 0x1, MAP_PRIVATE: 0x2, MAP_SHARED_VALIDATE: 0x3, MAP_FIXED: 0x10, MAP_ANONYMOUS: 0x20,
  MAP_LOCKED: 0x2000, MAP_NORESERVE: 0x4000, MAP_POPULATE: 0x8000, MAP_HUGETLB: 0x40000, MAP_SYNC: 0x80000,
  MAP_FIXED_NOREPLACE: 0x100000, MAP_HUGE_2MB: 21 << 26, MAP_HUGE_1GB: 30 << 26,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_TRUNC: 0o1000, O_DIRECT: 0o40000, O_CLOEXEC: 0o2000000, O_SYNC: 0o4010000,
  O_NONBLOCK: 0o4000, SPLICE_F_MOVE: 1, SPLICE_F_NONBLOCK: 2, SPLICE_F_MORE: 4, SPLICE_F_GIFT: 8,
  MFD_CLOEXEC: 1, MFD_ALLOW_SEALING: 2, MFD_HUGETLB: 4, MFD_HUGE_2MB: 21 << 26, MFD_HUGE_1GB: 30 << 26,
  FALLOC_FL_KEEP_SIZE: 1, FALLOC_FL_PUNCH_HOLE: 2, FALLOC_FL_COLLAPSE_RANGE: 8, FALLOC_FL_ZERO_RANGE: 0x10, FALLOC_FL_INSERT_RANGE: 0x20,
  MADV_NORMAL: 0, MADV_WILLNEED: 3, MADV_DONTNEED: 4, MADV_REMOVE: 9, MADV_DONTFORK: 10, MADV_DOFORK: 11,
  MADV_HUGEPAGE: 14, MADV_NOHUGEPAGE: 15,
  VFIO_DMA_MAP_FLAG_READ: 1, VFIO_DMA_MAP_FLAG_WRITE: 2, VFIO_DMA_MAP_FLAG_VADDR: 4,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP: 1, VFIO_DMA_UNMAP_FLAG_ALL: 2, VFIO_DMA_UNMAP_FLAG_VADDR: 4,
  VFIO_TYPE1_IOMMU: 1, VFIO_SPAPR_TCE_IOMMU: 2, VFIO_TYPE1v2_IOMMU: 3, VFIO_DMA_CC_IOMMU: 4, VFIO_EEH: 5,
  VFIO_TYPE1_NESTING_IOMMU: 6, VFIO_NOIOMMU_IOMMU: 8, VFIO_UNMAP_ALL: 9, VFIO_UPDATE_VADDR: 10,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START: 1, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP: 2, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP: 4,
  RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9,
  IOMMU_IOAS_MAP_FIXED_IOVA: 1, IOMMU_IOAS_MAP_WRITEABLE: 2, IOMMU_IOAS_MAP_READABLE: 4,
  IOMMU_OPTION_RLIMIT_MODE: 0, IOMMU_OPTION_HUGE_PAGES: 1, IOMMU_OPTION_OP_SET: 0, IOMMU_OPTION_OP_GET: 1,
  CAP_DAC_OVERRIDE: 1, CAP_IPC_LOCK: 14, CAP_SYS_RAWIO: 17, CAP_SYS_ADMIN: 21, CAP_SYS_RESOURCE: 24,
};

/** errno names by number (x86-64), for rendering and for reading the model's values. */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: 'EPERM', 2: 'ENOENT', 3: 'ESRCH', 4: 'EINTR', 5: 'EIO', 6: 'ENXIO', 7: 'E2BIG', 9: 'EBADF', 11: 'EAGAIN',
  12: 'ENOMEM', 13: 'EACCES', 14: 'EFAULT', 16: 'EBUSY', 17: 'EEXIST', 19: 'ENODEV', 22: 'EINVAL', 24: 'EMFILE',
  25: 'ENOTTY', 27: 'EFBIG', 28: 'ENOSPC', 75: 'EOVERFLOW', 77: 'EBADFD', 90: 'EMSGSIZE', 95: 'EOPNOTSUPP', 98: 'EADDRINUSE',
  110: 'ETIMEDOUT',
};

/** Guest directories and device nodes (conformance/guest/init.sh sets them up). */
export const GUEST_MOUNTS = {
  fsdax: '/mnt/dax',
  ext4: '/mnt/ext4',
  tmpfs: '/tmp/pinlab',
  hugetlbfs: '/mnt/huge',
} as const;
export const GUEST_DEVDAX = '/dev/pinlab-devdax';
/** The IOVA page the driver uses for its own transfers (pinlab-guest.c SCRATCH_IOVA). */
export const SCRATCH_IOVA = 0xfff0000n;
/** The edu device only addresses 28 bits. */
export const EDU_DMA_LIMIT = 1n << 28n;
/** Huge pages (2 MiB) the guest keeps in its hugetlb pool for each case. */
export const GUEST_HUGEPAGES = 16;

// ---- the plan: how guest lines become values --------------------------------------------------

/** How a raw guest `ret=` is turned into a comparable value. */
export type ValueKind =
  /** an integer result compared exactly (0 / -errno / counts) */
  | 'int'
  /** a resource (fd, address, pid): compared as "ok" or -errno */
  | 'okerr'
  /** a content byte → tag (or -errno) */
  | 'tag'
  /** byte runs `runs=<off>+<len>:<byte>,...` → the model's rendering (page_data.ts render_runs), or -errno */
  | 'runs'
  /** a pfn (or -1 = nothing mapped): compared by identity pattern */
  | 'frame'
  /** the zone of a pfn */
  | 'zone'
  /** a page count (locked_vm) */
  | 'pages'
  /** VFIO_IOMMU_UNMAP_DMA's rewritten size */
  | 'unmapsize'
  /** an integer `key=value` of the observation (`field`), null when absent */
  | 'kvint'
  /** a comma list of integers in `field` (`-` = empty), compared as a JSON array */
  | 'kvlist'
  /** a comma list of names in `field` (`-` = empty), compared as a JSON array */
  | 'kvnames';

export interface PlanItem {
  /** the result or observation name in the scenario */
  readonly name: string;
  /** guest step index (line number within the case) that produces it */
  readonly step: number;
  readonly kind: ValueKind;
  /** the `key=value` key a kv* kind reads */
  readonly field?: string;
  /** a constant value known without the guest (a probe of an exited process: null) */
  readonly constant?: null;
}

export interface Translation {
  readonly caseName: string;
  /** driver lines (without `case` / `end`) */
  readonly lines: readonly string[];
  readonly plan: readonly PlanItem[];
  /** content tag → byte written by the driver */
  readonly tags: ReadonlyMap<string, number>;
}

export type TranslateResult = { readonly ok: true; readonly t: Translation } | { readonly ok: false; readonly reason: string };

class Untranslatable extends Error {
  override name = 'Untranslatable';
}

function fail(reason: string): never {
  throw new Untranslatable(reason);
}

/** A case name usable on one guest line (no spaces). */
export function caseNameOf(file: string): string {
  const base = file.split('/').pop() ?? file;
  return base.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9_.+-]/g, '_');
}

interface Ctx {
  readonly s: Scenario;
  readonly lines: string[];
  readonly plan: PlanItem[];
  readonly tags: Map<string, number>;
  /** scenario mount → guest dir */
  readonly mounts: Map<string, string>;
  /** scenario iommu group number → guest path */
  readonly groups: Map<number, string>;
  /** process name → pid argument for probes ('0' = the driver itself) */
  readonly pids: Map<string, string>;
  readonly exited: Set<string>;
  /** the result name of the thread's step i (`as` or a generated one) */
  seq: number;
}

function emit(c: Ctx, line: string): number {
  c.lines.push(line);
  return c.lines.length - 1;
}

function tagByte(c: Ctx, tag: string): number {
  let b = c.tags.get(tag);
  if (b === undefined) {
    if (c.tags.size >= 26) fail('more than 26 content tags');
    b = 0x41 + c.tags.size;
    c.tags.set(tag, b);
  }
  return b;
}

function flagValue(names: readonly string[]): number {
  let v = 0;
  for (const n of names) {
    const x = UAPI[n];
    if (x === undefined) fail(`flag ${n} has no uapi value in the translator`);
    v |= x;
  }
  return v;
}

/** An integer argument as a guest token: literal, `$slot`, `$slot+N`. */
function intTok(c: Ctx, v: ArgValue | undefined, what: string): string {
  if (v === undefined) fail(`missing argument ${what}`);
  switch (v.kind) {
    case 'int':
      return v.value.toString();
    case 'ref':
      return refTok(c, v.name, v.field);
    case 'flags':
      return String(flagValue(v.names));
    case 'null':
      return '0';
    case 'bool':
      return v.value ? '1' : '0';
    case 'sum': {
      let ref: string | null = null;
      let k = 0n;
      for (const { sign, term } of v.terms) {
        if (term.kind === 'int') k += sign === 1 ? term.value : -term.value;
        else if (term.kind === 'ref' && sign === 1 && ref === null) {
          const tok = refTok(c, term.name, term.field);
          const m = /^(\$[^+-]+)(?:([+-])(\d+))?$/.exec(tok);
          if (m === null) k += BigInt(tok);
          else {
            ref = m[1] as string;
            if (m[3] !== undefined) k += m[2] === '-' ? -BigInt(m[3]) : BigInt(m[3]);
          }
        } else fail(`${what}: an expression with more than one reference`);
      }
      if (ref === null) return k.toString();
      return k >= 0n ? `${ref}+${k}` : `${ref}-${-k}`;
    }
    default:
      return fail(`${what}: ${v.kind} is not an integer`);
  }
}

/** A reference as a guest token: results and mappings are slots; `$m.end`/`$m.length` are derived. */
function refTok(c: Ctx, name: string, field: string | null): string {
  if (field === null || field === 'pid') return `$${name}`;
  const m = c.s.setup.processes.flatMap((p) => p.mappings).find((x) => x.name === name);
  if (m !== undefined && field === 'length') return m.length.toString();
  if (m !== undefined && field === 'end') return `$${name}+${m.length}`;
  if (field === 'size') return `$${name}.size`;
  // iommufd outputs the guest keeps as slots `<name>.<field>` (pinlab-guest.c iommufd ops).
  if (IOMMUFD_OUT_FIELDS.includes(field)) return `$${name}.${field}`;
  // pipe2's two fds (ops-io.c keeps them as slots <name>.rfd / <name>.wfd).
  if (field === 'rfd' || field === 'wfd') return `$${name}.${field}`;
  return fail(`reference $${name}.${field} has no guest equivalent`);
}

/** Output fields of the iommufd ops the guest reports as `key=value` and keeps as slots. */
const IOMMUFD_OUT_FIELDS = ['ioas_id', 'iova', 'dst_iova', 'length', 'num_iovas', 'out_iova_alignment', 'val64', 'devid', 'pt_id'];

function guestPath(c: Ctx, path: string): string {
  if (path === '/dev/vfio/vfio' || path === '/dev/iommu' || /^\/dev\/vfio\/devices\/vfio\d+$/.test(path)) return path;
  const g = /^\/dev\/vfio\/(\d+)$/.exec(path);
  if (g) {
    const p = c.groups.get(Number(g[1]));
    if (p === undefined) fail(`${path}: no edu device has iommu_group ${g[1]}`);
    return p;
  }
  if (/^\/dev\/dax\d+\.\d+$/.test(path)) return GUEST_DEVDAX;
  let best: string | null = null;
  for (const m of c.mounts.keys()) {
    if ((path === m || path.startsWith(m.endsWith('/') ? m : `${m}/`)) && (best === null || m.length > best.length)) best = m;
  }
  if (best === null) fail(`path ${path} is on no set-up file system`);
  return (c.mounts.get(best) as string) + path.slice(best.length);
}

function argFlags(v: ArgValue | undefined): number {
  if (v === undefined) return 0;
  if (v.kind === 'flags') return flagValue(v.names);
  if (v.kind === 'int') return Number(v.value);
  return fail('flags must be constant');
}

// ---- set-up ---------------------------------------------------------------------------------

function translateSetup(c: Ctx, needEdu: boolean): void {
  const s = c.s.setup;
  if (s.memory.cma > 0n) fail('CMA: the guest has no CMA area (cma_alloc cannot be arranged)');
  // The guest re-reserves a pool of GUEST_HUGEPAGES 2 MiB pages before every case (init.sh, pinlab-guest.c).
  if (s.memory.hugepages !== 0 && s.memory.hugepages !== GUEST_HUGEPAGES) fail(`hugepages: ${s.memory.hugepages}: the guest's hugetlb pool is always ${GUEST_HUGEPAGES} pages`);
  const kinds = new Set<string>();
  for (const fs of s.filesystems) {
    let kind: keyof typeof GUEST_MOUNTS;
    if (fs.type === 'ext4' && fs.dax) {
      const pm = s.memory.pmem.find((p) => p.name === fs.device);
      if (pm !== undefined && pm.mode !== 'fsdax') fail(`file system ${fs.mount} on a ${pm.mode} pmem region`);
      kind = 'fsdax';
    } else if (fs.type === 'ext4') kind = 'ext4';
    else if (fs.type === 'tmpfs') kind = 'tmpfs';
    else kind = 'hugetlbfs';
    if (kinds.has(kind)) fail(`two ${kind} file systems (the guest has one)`);
    kinds.add(kind);
    c.mounts.set(fs.mount, GUEST_MOUNTS[kind]);
    emit(c, `fscheck - ${GUEST_MOUNTS[kind]} ${kind}`);
  }
  for (const f of s.files) {
    if (f.cached !== null) {
      const pages = Number((f.size + 4095n) / 4096n);
      if (f.cached.length !== pages) fail(`file ${f.path}: a partly cached page cache cannot be arranged in the guest`);
    }
    emit(c, `mkfile - ${guestPath(c, f.path)} ${f.size}`);
  }
  const threadProc = c.s.threads[0]?.process;
  if (s.processes.length !== 1 || s.processes[0]?.name !== threadProc) fail('set-up with processes other than the thread\'s');
  const p = s.processes[0];
  if (p.uid !== 0) fail(`uid ${p.uid}: the guest driver runs as root (drop capabilities instead)`);
  c.pids.set(p.name, '0');
  // RLIMIT_* and capabilities first: they are the process's state when its steps begin
  for (const [res, lim] of Object.entries(p.rlimits)) {
    const r = UAPI[res];
    if (r === undefined) fail(`rlimit ${res}`);
    const cur = lim.cur === null ? '0xffffffffffffffff' : lim.cur.toString();
    const max = lim.max === null ? '0xffffffffffffffff' : lim.max.toString();
    const i = emit(c, `setrlimit _rl_${res} ${r} ${cur} ${max}`);
    emit(c, `expect-ok - $_rl_${res}`);
    void i;
  }
  const ALL_CAPS = ['CAP_DAC_OVERRIDE', 'CAP_IPC_LOCK', 'CAP_SYS_RAWIO', 'CAP_SYS_ADMIN', 'CAP_SYS_RESOURCE'];
  const dropped = ALL_CAPS.filter((x) => !p.caps.includes(x));
  // the driver needs CAP_SYS_ADMIN for /proc/self/pagemap pfns and CAP_SYS_RAWIO/DAC for devices
  for (const d of dropped) if (d !== 'CAP_IPC_LOCK') fail(`dropping ${d} (the driver needs it to observe)`);
  if (dropped.includes('CAP_IPC_LOCK')) {
    emit(c, `capdrop _cap 0x${(1 << (UAPI.CAP_IPC_LOCK as number)).toString(16)}`);
    emit(c, 'expect-ok - $_cap');
  }
  // mappings
  for (const m of p.mappings) {
    let fd = '-1';
    if (m.file !== null) {
      const slot = `_fd_${m.name}`;
      const writable = m.prot.includes('PROT_WRITE') && m.flags.includes('MAP_SHARED');
      emit(c, `open ${slot} ${guestPath(c, m.file)} ${writable ? UAPI.O_RDWR : (m.prot.includes('PROT_WRITE') ? UAPI.O_RDWR : UAPI.O_RDONLY)}`);
      emit(c, `expect-ok - $${slot}`);
      fd = `$${slot}`;
    }
    emit(c, `mmap ${m.name} ${m.addr} ${m.length} ${flagValue(m.prot)} ${flagValue(m.flags)} ${fd} ${m.offset}`);
    emit(c, `expect-ok - $${m.name}`);
    if (m.populate) emit(c, `touch - $${m.name} ${m.length} ${m.prot.includes('PROT_WRITE') ? 1 : 0}`);
  }
  // devices and VFIO
  for (const d of s.devices) {
    if (d.kind !== 'edu') fail(`device kind ${d.kind}`);
    if (c.groups.size > 0) fail('more than one edu device (the guest has one)');
    c.groups.set(d.iommuGroup, '@edu-group');
  }
  if (s.vfio.dmaEntryLimit !== 65535) emit(c, `dma-entry-limit - ${s.vfio.dmaEntryLimit}`);
  let attached = false;
  for (const ct of s.vfio.containers) {
    if (ct.process !== p.name) fail('a container in another process');
    emit(c, `open ${ct.name} /dev/vfio/vfio ${UAPI.O_RDWR}`);
    emit(c, `expect-ok - $${ct.name}`);
    ct.groups.forEach((g, i) => {
      const dev = s.devices.find((d) => d.name === g);
      if (dev === undefined) fail(`container group ${g}`);
      const gs = `${ct.name}.g${i}`;
      emit(c, `open ${gs} ${guestPath(c, `/dev/vfio/${dev.iommuGroup}`)} ${UAPI.O_RDWR}`);
      emit(c, `expect-ok - $${gs}`);
      emit(c, `vfio-set-container _sc_${gs} $${gs} $${ct.name}`);
      emit(c, `expect-ok - $_sc_${gs}`);
    });
    const type = UAPI[ct.iommu];
    if (type === undefined) fail(`iommu type ${ct.iommu}`);
    emit(c, `vfio-ioctl0 _si_${ct.name} $${ct.name} set-iommu ${type}`);
    emit(c, `expect-ok - $_si_${ct.name}`);
    if (needEdu && ct.groups.length > 0 && !attached) {
      emit(c, `edu-attach - $${ct.name}.g0 $${ct.name}`);
      attached = true;
    }
  }
  if (needEdu && !attached) fail('device DMA without a container holding the edu device');
}

// ---- steps ----------------------------------------------------------------------------------

function resultName(c: Ctx, st: Step): string {
  if (st.as !== null) return st.as;
  c.seq += 1;
  return `_r${c.seq}`;
}

function probeLine(c: Ctx, p: Probe, as: string): { line: string; kind: ValueKind } | 'null' {
  switch (p.kind) {
    case 'frame':
    case 'zone':
    case 'content': {
      if (c.exited.has(p.process)) return 'null';
      const pid = c.pids.get(p.process);
      if (pid === undefined) fail(`probe of process ${p.process} (unknown to the guest)`);
      const addr = intTok(c, p.addr, `${p.kind}.addr`);
      if (p.kind === 'content') return { line: `load ${as} ${pid} ${addr}`, kind: 'tag' };
      return { line: `frame ${as} ${pid} ${addr}`, kind: p.kind === 'frame' ? 'frame' : 'zone' };
    }
    case 'locked_vm':
    case 'pinned_vm': {
      if (c.exited.has(p.process)) return 'null';
      const pid = c.pids.get(p.process);
      if (pid === undefined) fail(`probe of process ${p.process}`);
      return { line: `${p.kind === 'locked_vm' ? 'locked-vm' : 'pinned-vm'} ${as} ${pid}`, kind: 'pages' };
    }
    case 'file_size':
      return { line: `file-size ${as} ${guestPath(c, p.path)}`, kind: 'int' };
    default:
      return fail(`probe ${p.kind} cannot be read in the guest`);
  }
}

function translateStep(c: Ctx, st: Step): void {
  const a = st.args;
  const as = resultName(c, st);
  const record = (i: number, kind: ValueKind): void => {
    if (st.as !== null) c.plan.push({ name: st.as, step: i, kind });
  };
  const fd = (k: string): string => intTok(c, a[k], k);
  switch (st.op) {
    case 'open':
      record(emit(c, `open ${as} ${guestPath(c, strArg(a.path, 'path'))} ${argFlags(a.flags)}`), 'okerr');
      return;
    case 'close':
      record(emit(c, `close ${as} ${fd('fd')}`), 'int');
      return;
    case 'mmap':
      record(emit(c, `mmap ${as} ${fd('addr')} ${fd('length')} ${argFlags(a.prot)} ${argFlags(a.flags)} ${fd('fd')} ${fd('offset')}`), 'okerr');
      return;
    case 'munmap':
    case 'mlock':
    case 'munlock':
      record(emit(c, `${st.op} ${as} ${fd('addr')} ${fd('length')}`), 'int');
      return;
    case 'mprotect':
      record(emit(c, `mprotect ${as} ${fd('addr')} ${fd('length')} ${argFlags(a.prot)}`), 'int');
      return;
    case 'madvise':
      record(emit(c, `madvise ${as} ${fd('addr')} ${fd('length')} ${argFlags(a.advice)}`), 'int');
      return;
    case 'memfd_create':
      record(emit(c, `memfd ${as} ${strArg(a.name, 'name').replace(/\s/g, '_') || 'x'} ${argFlags(a.flags)}`), 'okerr');
      return;
    case 'ftruncate':
      record(emit(c, `ftruncate ${as} ${fd('fd')} ${fd('length')}`), 'int');
      return;
    case 'fallocate':
      record(emit(c, `fallocate ${as} ${fd('fd')} ${argFlags(a.mode)} ${fd('offset')} ${fd('len')}`), 'int');
      return;
    case 'pwrite':
      if (a.buf !== undefined && a.buf.kind !== 'null') record(emit(c, `pwritebuf ${as} ${fd('fd')} ${fd('buf')} ${fd('length')} ${fd('offset')}`), 'int');
      else record(emit(c, `pwrite ${as} ${fd('fd')} ${fd('offset')} ${fd('length')} ${tagByte(c, strArg(a.content, 'content'))}`), 'int');
      return;
    // ---- page references that are not pins (conformance/guest/ops-io.c) ----
    case 'pipe2':
      record(emit(c, `pipe2 ${as} ${argFlags(a.flags)}`), 'int');
      return;
    case 'vmsplice': {
      const iov = a.iovecs;
      if (iov?.kind !== 'list') fail('iovecs must be a list');
      const parts = iov.items.map((it) => {
        if (it.kind !== 'map') fail('iovecs items are { base, len }');
        return `${intTok(c, it.entries.base, 'base')} ${intTok(c, it.entries.len, 'len')}`;
      });
      record(emit(c, `vmsplice ${as} ${fd('fd')} ${argFlags(a.flags)} ${parts.join(' ')}`), 'int');
      return;
    }
    case 'read':
    case 'write':
      record(emit(c, `${st.op} ${as} ${fd('fd')} ${fd('buf')} ${fd('length')}`), 'int');
      return;
    case 'pread':
      record(emit(c, `pread ${as} ${fd('fd')} ${fd('buf')} ${fd('length')} ${fd('offset')}`), 'int');
      return;
    case 'IORING_OP_READ_FIXED':
    case 'IORING_OP_WRITE_FIXED':
      record(emit(c, `uring-rw ${as} ${fd('ring')} ${st.op === 'IORING_OP_READ_FIXED' ? 4 : 5} ${fd('fd')} ${fd('addr')} ${fd('len')} ${fd('offset')} ${fd('buf_index')}`), 'int');
      return;
    case 'store':
      record(emit(c, `store ${as} ${fd('addr')} ${fd('length')} ${tagByte(c, strArg(a.content, 'content'))}`), 'int');
      return;
    case 'load':
      if (a.length !== undefined && !(a.length.kind === 'int' && a.length.value === 1n)) record(emit(c, `loadr ${as} ${fd('addr')} ${fd('length')}`), 'runs');
      else record(emit(c, `load ${as} 0 ${fd('addr')}`), 'tag');
      return;
    case 'fork': {
      const child = strArg(a.child, 'child');
      const i = emit(c, `fork ${as}`);
      emit(c, `expect-ok - $${as}`);
      c.pids.set(child, `$${as}`);
      record(i, 'okerr');
      return;
    }
    case 'exit': {
      emit(c, 'exit -');
      const proc = c.s.threads[0]?.process;
      if (proc) c.exited.add(proc);
      return;
    }
    case 'setrlimit': {
      const cur = fd('cur');
      const max = a.max === undefined || a.max.kind === 'null' ? cur : fd('max');
      record(emit(c, `setrlimit ${as} ${argFlags(a.resource)} ${cur} ${max}`), 'int');
      return;
    }
    case 'capset': {
      const list = a.drop;
      let mask = 0;
      const names = list?.kind === 'list' ? list.items.map((x) => (x.kind === 'str' ? x.value : x.kind === 'flags' ? x.names.join('|') : '')) : list?.kind === 'flags' ? list.names : [];
      for (const n of names) {
        if (n !== 'CAP_IPC_LOCK') fail(`capset drop ${n} (the driver needs it to observe)`);
        mask |= 1 << (UAPI.CAP_IPC_LOCK as number);
      }
      record(emit(c, `capdrop ${as} 0x${mask.toString(16)}`), 'int');
      return;
    }
    case 'VFIO_GET_API_VERSION':
      record(emit(c, `vfio-ioctl0 ${as} ${fd('container')} get-api`), 'int');
      return;
    case 'VFIO_CHECK_EXTENSION':
      record(emit(c, `vfio-ioctl0 ${as} ${fd('container')} check-ext ${argFlags(a.extension)}`), 'int');
      return;
    case 'VFIO_SET_IOMMU':
      record(emit(c, `vfio-ioctl0 ${as} ${fd('container')} set-iommu ${argFlags(a.type)}`), 'int');
      return;
    case 'VFIO_GROUP_SET_CONTAINER':
      record(emit(c, `vfio-set-container ${as} ${fd('group')} ${fd('container')}`), 'int');
      return;
    case 'VFIO_GROUP_GET_DEVICE_FD':
      record(emit(c, `vfio-get-device-fd ${as} ${fd('group')}`), 'okerr');
      return;
    case 'VFIO_IOMMU_GET_INFO': {
      // Without an argsz (the default 16) the guest passes the bare struct and reads no chain.
      if (a.argsz === undefined || (a.argsz.kind === 'int' && a.argsz.value === 16n)) {
        record(emit(c, `vfio-get-info ${as} ${fd('container')}`), 'int');
        return;
      }
      const i = emit(c, `vfio-get-info-caps ${as} ${fd('container')} ${fd('argsz')}`);
      record(i, 'int');
      if (st.as !== null) {
        c.plan.push({ name: `${st.as}.argsz`, step: i, kind: 'kvint', field: 'argsz' });
        c.plan.push({ name: `${st.as}.caps`, step: i, kind: 'kvnames', field: 'caps' });
        c.plan.push({ name: `${st.as}.dma_avail`, step: i, kind: 'kvint', field: 'dma_avail' });
      }
      return;
    }
    case 'VFIO_IOMMU_DIRTY_PAGES': {
      // argsz defaults as in the model's step: the struct the flags need (8, or 8 + 40 with GET_BITMAP).
      const flags = a.flags?.kind === 'flags' ? flagValue(a.flags.names) : Number(intTok(c, a.flags, 'flags'));
      if (Number.isNaN(flags)) fail('VFIO_IOMMU_DIRTY_PAGES flags must be a constant');
      const argsz = a.argsz === undefined || a.argsz.kind === 'null' ? String((flags & (UAPI.VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP as number)) !== 0 ? 48 : 8) : fd('argsz');
      const i = emit(c, `vfio-dirty ${as} ${fd('container')} ${flags} ${fd('iova')} ${fd('size')} ${fd('pgsize')} ${argsz}`);
      record(i, 'int');
      if (st.as !== null) c.plan.push({ name: `${st.as}.dirty`, step: i, kind: 'kvlist', field: 'dirty' });
      return;
    }
    case 'VFIO_IOMMU_MAP_DMA': {
      checkIova(a.iova, a.size);
      record(emit(c, `vfio-map ${as} ${fd('container')} ${fd('vaddr')} ${fd('iova')} ${fd('size')} ${argFlags(a.flags)} ${fd('argsz')}`), 'int');
      return;
    }
    case 'VFIO_IOMMU_UNMAP_DMA': {
      const i = emit(c, `vfio-unmap ${as} ${fd('container')} ${fd('iova')} ${fd('size')} ${argFlags(a.flags)} ${fd('argsz')}`);
      record(i, 'int');
      if (st.as !== null) c.plan.push({ name: `${st.as}.size`, step: i, kind: 'unmapsize' });
      return;
    }
    case 'IOMMU_IOAS_ALLOC':
      kv(c, st, emit(c, `iommu-ioas-alloc ${as} ${fd('iommufd')} ${fd('flags')} ${fd('size')}`), ['ioas_id']);
      return;
    case 'IOMMU_DESTROY':
      record(emit(c, `iommu-destroy ${as} ${fd('iommufd')} ${fd('id')} ${fd('size')}`), 'int');
      return;
    case 'IOMMU_IOAS_MAP':
      kv(c, st, emit(c, `iommu-ioas-map ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('user_va')} ${fd('length')} ${fd('iova')} ${argFlags(a.flags)} ${fd('reserved')} ${fd('size')}`), ['iova']);
      return;
    case 'IOMMU_IOAS_COPY':
      kv(c, st, emit(c, `iommu-ioas-copy ${as} ${fd('iommufd')} ${fd('dst_ioas_id')} ${fd('src_ioas_id')} ${fd('length')} ${fd('dst_iova')} ${fd('src_iova')} ${argFlags(a.flags)} ${fd('size')}`), ['dst_iova']);
      return;
    case 'IOMMU_IOAS_UNMAP':
      kv(c, st, emit(c, `iommu-ioas-unmap ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('iova')} ${fd('length')} ${fd('size')}`), ['length']);
      return;
    case 'IOMMU_IOAS_IOVA_RANGES': {
      const i = emit(c, `iommu-iova-ranges ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('num_iovas')} ${fd('reserved')} ${fd('size')}`);
      kv(c, st, i, ['num_iovas', 'out_iova_alignment']);
      if (st.as !== null) c.plan.push({ name: `${st.as}.ranges`, step: i, kind: 'kvnames', field: 'ranges' });
      return;
    }
    case 'IOMMU_IOAS_ALLOW_IOVAS': {
      const iov = a.iovas;
      if (iov?.kind !== 'list') fail('iovas must be a list');
      const parts = iov.items.map((it) => {
        if (it.kind !== 'map') fail('iovas items are { base, len }');
        return `${intTok(c, it.entries.base, 'base')} ${intTok(c, it.entries.len, 'len')}`;
      });
      record(emit(c, `iommu-allow-iovas ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('reserved')} ${fd('size')} ${parts.join(' ')}`.trimEnd()), 'int');
      return;
    }
    case 'IOMMU_OPTION':
      kv(c, st, emit(c, `iommu-option ${as} ${fd('iommufd')} ${argFlags(a.option_id)} ${argFlags(a.op)} ${fd('object_id')} ${fd('val64')} ${fd('reserved')} ${fd('size')}`), ['val64']);
      return;
    case 'IOMMU_IOAS_MAP_FILE':
      record(emit(c, `iommu-raw ${as} ${fd('iommufd')} 143 ${fd('size')}`), 'int');
      return;
    case 'IOMMU_IOAS_CHANGE_PROCESS':
      record(emit(c, `iommu-raw ${as} ${fd('iommufd')} 146 ${fd('size')}`), 'int');
      return;
    case 'VFIO_DEVICE_BIND_IOMMUFD':
      kv(c, st, emit(c, `vfio-bind-iommufd ${as} ${fd('device_fd')} ${fd('iommufd')} ${fd('flags')} ${fd('argsz')}`), ['devid']);
      return;
    case 'VFIO_DEVICE_ATTACH_IOMMUFD_PT':
      kv(c, st, emit(c, `vfio-attach-pt ${as} ${fd('device_fd')} ${fd('pt_id')} ${fd('flags')} ${fd('argsz')}`), ['pt_id']);
      return;
    case 'VFIO_DEVICE_DETACH_IOMMUFD_PT':
      record(emit(c, `vfio-detach-pt ${as} ${fd('device_fd')} ${fd('flags')} ${fd('argsz')}`), 'int');
      return;
    case 'io_uring_setup':
      record(emit(c, `uring-setup ${as} ${fd('entries')}`), 'okerr');
      return;
    case 'IORING_REGISTER_BUFFERS': {
      const iov = a.iovecs;
      if (iov?.kind !== 'list') fail('iovecs must be a list');
      const parts = iov.items.map((it) => {
        if (it.kind !== 'map') fail('iovecs items are { base, len }');
        return `${intTok(c, it.entries.base, 'base')} ${intTok(c, it.entries.len, 'len')}`;
      });
      record(emit(c, `uring-register ${as} ${fd('ring')} ${parts.join(' ')}`), 'int');
      return;
    }
    case 'IORING_UNREGISTER_BUFFERS':
      record(emit(c, `uring-unregister ${as} ${fd('ring')}`), 'int');
      return;
    case 'device_dma_write': {
      checkIova(a.iova, a.length);
      record(emit(c, `dma-write ${as} ${fd('iova')} ${fd('length')} ${tagByte(c, strArg(a.content, 'content'))}`), 'int');
      return;
    }
    case 'device_dma_read': {
      checkIova(a.iova, { kind: 'int', value: 64n, at: st.at });
      record(emit(c, `dma-read ${as} ${fd('iova')}`), 'tag');
      return;
    }
    case 'observe': {
      if (st.probe === null) fail('observe without a probe');
      const pl = probeLine(c, st.probe, as);
      if (pl === 'null') {
        if (st.as !== null) c.plan.push({ name: st.as, step: -1, kind: 'int', constant: null });
        return;
      }
      record(emit(c, pl.line), pl.kind);
      return;
    }
    default:
      fail(`operation ${st.op} has no guest equivalent`);
  }
}

/** Record a step's value and its integer output fields (read back as `key=value`). */
function kv(c: Ctx, st: Step, i: number, fields: readonly string[]): void {
  if (st.as === null) return;
  c.plan.push({ name: st.as, step: i, kind: 'int' });
  for (const f of fields) c.plan.push({ name: `${st.as}.${f}`, step: i, kind: 'kvint', field: f });
}

function strArg(v: ArgValue | undefined, what: string): string {
  if (v?.kind === 'str') return v.value;
  if (v?.kind === 'flags' && v.names.length === 1) return v.names[0] as string;
  if (v?.kind === 'int') return v.value.toString();
  return fail(`${what} must be a string`);
}

/** Device-visible IOVAs must be below the edu's 28-bit limit and avoid the scratch page. */
function checkIova(iova: ArgValue | undefined, size: ArgValue | undefined): void {
  if (iova?.kind !== 'int') return;
  const n = size?.kind === 'int' ? size.value : 0n;
  if (iova.value < SCRATCH_IOVA + 4096n && iova.value + n > SCRATCH_IOVA && n > 0n) {
    fail(`iova range [${iova.value}, +${n}) overlaps the driver's scratch IOVA 0x${SCRATCH_IOVA.toString(16)}`);
  }
}

/** Translate a scenario; `{ ok: false, reason }` says why it cannot run on a real kernel. */
export function translateScenario(s: Scenario): TranslateResult {
  const obstacle = conformanceObstacle(s);
  if (obstacle !== null) return { ok: false, reason: obstacle };
  const c: Ctx = {
    s, lines: [], plan: [], tags: new Map(), mounts: new Map(), groups: new Map(), pids: new Map(), exited: new Set(), seq: 0,
  };
  try {
    const t = s.threads[0];
    if (t === undefined) fail('no thread');
    const needEdu = t.steps.some((st) => st.op === 'device_dma_write' || st.op === 'device_dma_read');
    translateSetup(c, needEdu);
    for (const st of t.steps) {
      if (st.after !== null) fail('`after:` waits (single-threaded driver)');
      translateStep(c, st);
    }
    for (const o of s.observe) {
      const pl = probeLine(c, o.probe, o.name);
      if (pl === 'null') c.plan.push({ name: o.name, step: -1, kind: 'int', constant: null });
      else c.plan.push({ name: o.name, step: emit(c, pl.line), kind: pl.kind });
    }
    // Content tags must be known before any line is read back; a case longer than the
    // driver's line limit cannot run.
    if (c.lines.length > 500) fail('more than 500 driver lines');
    return { ok: true, t: { caseName: caseNameOf(s.file), lines: c.lines, plan: c.plan, tags: c.tags } };
  } catch (e) {
    if (e instanceof Untranslatable) return { ok: false, reason: e.message };
    throw e;
  }
}

/** The case file text for a list of translations. */
export function caseFileText(ts: readonly Translation[]): string {
  return ts.map((t) => `case ${t.caseName}\n${t.lines.join('\n')}\nend\n`).join('');
}
