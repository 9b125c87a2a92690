// The guest driver's op language as the translation writes it (conformance/guest/pinlab-guest.c;
// docs/conformance.md): uapi values, guest paths, the plan of how guest lines become values,
// and the helpers each op's translation (src/conformance/ops/<area>.ts) emits lines with.
// translate.ts drives them: set-up, then one translation per step, then the probes.
import type { ArgValue, Probe, Scenario, Step } from '../scenario/ast.js';

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
  MADV_HUGEPAGE: 14, MADV_NOHUGEPAGE: 15, MADV_FREE: 8, MADV_WIPEONFORK: 18, MADV_KEEPONFORK: 19, MADV_COLD: 20, MADV_PAGEOUT: 21,
  MREMAP_MAYMOVE: 1, MREMAP_FIXED: 2, MREMAP_DONTUNMAP: 4,
  VFIO_DMA_MAP_FLAG_READ: 1, VFIO_DMA_MAP_FLAG_WRITE: 2, VFIO_DMA_MAP_FLAG_VADDR: 4,
  VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP: 1, VFIO_DMA_UNMAP_FLAG_ALL: 2, VFIO_DMA_UNMAP_FLAG_VADDR: 4,
  VFIO_TYPE1_IOMMU: 1, VFIO_SPAPR_TCE_IOMMU: 2, VFIO_TYPE1v2_IOMMU: 3, VFIO_DMA_CC_IOMMU: 4, VFIO_EEH: 5,
  VFIO_TYPE1_NESTING_IOMMU: 6, VFIO_NOIOMMU_IOMMU: 8, VFIO_UNMAP_ALL: 9, VFIO_UPDATE_VADDR: 10,
  VFIO_IOMMU_DIRTY_PAGES_FLAG_START: 1, VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP: 2, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP: 4,
  RLIMIT_NOFILE: 7, RLIMIT_MEMLOCK: 8, RLIMIT_AS: 9,
  IOMMU_IOAS_MAP_FIXED_IOVA: 1, IOMMU_IOAS_MAP_WRITEABLE: 2, IOMMU_IOAS_MAP_READABLE: 4,
  IOMMU_OPTION_RLIMIT_MODE: 0, IOMMU_OPTION_HUGE_PAGES: 1, IOMMU_OPTION_OP_SET: 0, IOMMU_OPTION_OP_GET: 1,
  IOMMU_VFIO_IOAS_GET: 0, IOMMU_VFIO_IOAS_SET: 1, IOMMU_VFIO_IOAS_CLEAR: 2,
  CAP_DAC_OVERRIDE: 1, CAP_IPC_LOCK: 14, CAP_SYS_RAWIO: 17, CAP_SYS_PTRACE: 19, CAP_SYS_ADMIN: 21, CAP_SYS_RESOURCE: 24,
  PTRACE_PEEKTEXT: 1, PTRACE_PEEKDATA: 2, PTRACE_POKETEXT: 4, PTRACE_POKEDATA: 5, PTRACE_ATTACH: 16, PTRACE_DETACH: 17,
  PTRACE_SEIZE: 0x4206, PTRACE_INTERRUPT: 0x4207,
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
  | 'kvnames'
  /** a content byte in `field` → tag (null when absent) */
  | 'kvtag'
  /** a memory block number (or -errno): compared by identity pattern, as frames are */
  | 'block'
  /** a string in `field` (`ret` < 0: the errno), e.g. a memory block's state */
  | 'kvstr'
  /** zone names in `field` (comma or space separated), each compared as the zone kind does */
  | 'kvzones';

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

export class Untranslatable extends Error {
  override name = 'Untranslatable';
}

export function fail(reason: string): never {
  throw new Untranslatable(reason);
}

/** A case name usable on one guest line (no spaces). */
export function caseNameOf(file: string): string {
  const base = file.split('/').pop() ?? file;
  return base.replace(/\.ya?ml$/, '').replace(/[^A-Za-z0-9_.+-]/g, '_');
}

export interface Ctx {
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

export function emit(c: Ctx, line: string): number {
  c.lines.push(line);
  return c.lines.length - 1;
}

export function tagByte(c: Ctx, tag: string): number {
  let b = c.tags.get(tag);
  if (b === undefined) {
    if (c.tags.size >= 26) fail('more than 26 content tags');
    b = 0x41 + c.tags.size;
    c.tags.set(tag, b);
  }
  return b;
}

export function flagValue(names: readonly string[]): number {
  let v = 0;
  for (const n of names) {
    const x = UAPI[n];
    if (x === undefined) fail(`flag ${n} has no uapi value in the translator`);
    v |= x;
  }
  return v;
}

/** An integer argument as a guest token: literal, `$slot`, `$slot+N`. */
export function intTok(c: Ctx, v: ArgValue | undefined, what: string): string {
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
export function refTok(c: Ctx, name: string, field: string | null): string {
  if (field === null || field === 'pid') return `$${name}`;
  const m = c.s.setup.processes.flatMap((p) => p.mappings).find((x) => x.name === name);
  if (m !== undefined && field === 'length') return m.length.toString();
  if (m !== undefined && field === 'end') return `$${name}+${m.length}`;
  if (field === 'size') return `$${name}.size`;
  // iommufd outputs the guest keeps as slots `<name>.<field>` (pinlab-guest.c iommufd ops).
  if (IOMMUFD_OUT_FIELDS.includes(field)) return `$${name}.${field}`;
  // pipe2's two fds (conformance/guest/ops-io.c keeps them as slots <name>.rfd / <name>.wfd).
  if (field === 'rfd' || field === 'wfd') return `$${name}.${field}`;
  return fail(`reference $${name}.${field} has no guest equivalent`);
}

/** Output fields of the iommufd ops the guest reports as `key=value` and keeps as slots. */
export const IOMMUFD_OUT_FIELDS = ['ioas_id', 'iova', 'dst_iova', 'length', 'num_iovas', 'out_iova_alignment', 'val64', 'devid', 'pt_id'];

export function guestPath(c: Ctx, path: string): string {
  if (path === '/dev/vfio/vfio' || path === '/dev/iommu' || path === '/dev/mem' || /^\/dev\/vfio\/devices\/vfio\d+$/.test(path)) return path;
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

export function argFlags(v: ArgValue | undefined): number {
  if (v === undefined) return 0;
  if (v.kind === 'flags') return flagValue(v.names);
  if (v.kind === 'int') return Number(v.value);
  return fail('flags must be constant');
}

export function probeLine(c: Ctx, p: Probe, as: string): { line: string; kind: ValueKind } | 'null' {
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

/** Record a step's value and its integer output fields (read back as `key=value`). */
export function kv(c: Ctx, st: Step, i: number, fields: readonly string[]): void {
  if (st.as === null) return;
  c.plan.push({ name: st.as, step: i, kind: 'int' });
  for (const f of fields) c.plan.push({ name: `${st.as}.${f}`, step: i, kind: 'kvint', field: f });
}

export function strArg(v: ArgValue | undefined, what: string): string {
  if (v?.kind === 'str') return v.value;
  if (v?.kind === 'flags' && v.names.length === 1) return v.names[0] as string;
  if (v?.kind === 'int') return v.value.toString();
  return fail(`${what} must be a string`);
}

/** Device-visible IOVAs must be below the edu's 28-bit limit and avoid the scratch page. */
export function checkIova(iova: ArgValue | undefined, size: ArgValue | undefined): void {
  if (iova?.kind !== 'int') return;
  const n = size?.kind === 'int' ? size.value : 0n;
  if (iova.value < SCRATCH_IOVA + 4096n && iova.value + n > SCRATCH_IOVA && n > 0n) {
    fail(`iova range [${iova.value}, +${n}) overlaps the driver's scratch IOVA 0x${SCRATCH_IOVA.toString(16)}`);
  }
}

/** What one step's translation gets: the context, the step, its arguments, its result slot. */
export interface StepTx {
  readonly c: Ctx;
  readonly st: Step;
  readonly a: Step['args'];
  /** The step's result slot (`as`, or a generated `_rN`). */
  readonly as: string;
  /** Record the step's value as produced by guest line `i`, compared as `kind` (only for a step with `as`). */
  readonly record: (i: number, kind: ValueKind) => void;
  /** An integer argument as a guest token (literal, `$slot`, `$slot+N`). */
  readonly fd: (k: string) => string;
}

export function stepTx(c: Ctx, st: Step, as: string): StepTx {
  return {
    c, st, a: st.args, as,
    record: (i, kind) => {
      if (st.as !== null) c.plan.push({ name: st.as, step: i, kind });
    },
    fd: (k) => intTok(c, st.args[k], k),
  };
}
