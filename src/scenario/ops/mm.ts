/**
 * Op group: files and memory — the syscalls a process makes on its address space and its
 * files (open/close, mmap family, memfd, truncate/fallocate) and the user-space
 * load/store. Each implementation calls the model's `sys_*` entry point (src/linux).
 */
import type { Kctx } from '../../linux/kctx.js';
import { unsupported } from '../../linux/include/linux/bug.js';
import { EINVAL, ENOENT } from '../../linux/include/uapi/linux/errno.js';
import { PAGE_SIZE } from '../../linux/include/linux/mm_types.js';
import * as syscalls from '../../linux/syscalls.js';
import * as mprotectMod from '../../linux/mm/mprotect.js';
import * as memfdMod from '../../linux/mm/memfd.js';
import { user_load, user_store } from '../../linux/mm/uaccess.js';
import { iommufd_init } from '../../linux/drivers/iommu/iommufd/main.js';
import { vfio_init } from '../../linux/drivers/vfio/container.js';
import { devmem_init } from '../../linux/drivers/char/mem.js';
import type { KThread } from '../../sched/index.js';
import type { StepResult } from '../state.js';
import type { OpImpl, StepCtx } from '../step.js';
import { evalFlags, evalNum, ret } from '../step.js';
import { FALLOC_NAMES, MADV_NAMES, MAP_NAMES, MFD_NAMES, O_NAMES, PROT_NAMES, a, en, fl, int } from './flags.js';
import type { OpGroup } from './types.js';

function* opOpen(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const path = a.path.kind === 'str' ? a.path.value : '';
  const flags = evalFlags(c, a.flags, 'flags');
  if (flags === null) return ret(-EINVAL);
  let real = path;
  // /proc/<process>/mem and /proc/<process>/cmdline: the scenario names the process; the kernel path has its pid.
  const pm = /^\/proc\/([A-Za-z_][A-Za-z0-9_-]*)\/(mem|cmdline)$/.exec(path);
  if (pm !== null && pm[1] !== 'self') {
    const t = c.rs.processes.get(pm[1]);
    if (t === undefined) return ret(-ENOENT);
    real = `/proc/${t.pid}/${pm[2]}`;
  }
  // /dev/mem exists from boot (chr_dev_init); the model creates it on the first open.
  if (path === '/dev/mem') devmem_init(c.k);
  // iommufd autoloads on the first open of /dev/iommu (CONFIG_IOMMUFD; no node without it).
  if (path === '/dev/iommu') iommufd_init(c.k);
  if (path.startsWith('/dev/vfio/')) {
    // The vfio module autoloads on the first open of its node (devname:vfio/vfio).
    vfio_init(c.k);
    const g = /^\/dev\/vfio\/(\d+)$/.exec(path);
    if (g !== null) {
      // Scenario group numbers are the devices' declared iommu_group; the model numbers its
      // groups itself, so the path is renamed to the model's node. A number no device
      // declares has no node: -ENOENT.
      const want = Number(g[1]);
      const dev = [...c.rs.devices.values()].find((d) => d.decl.iommuGroup === want);
      if (dev === undefined) return ret(-ENOENT);
      real = `/dev/vfio/${dev.group}`;
    }
  }
  return ret(yield* syscalls.sys_open(c.k, real, flags));
}

function* opClose(c: StepCtx): KThread<StepResult> {
  return ret(yield* syscalls.sys_close(c.k, evalNum(c, c.step.args.fd)));
}

function* opMmap(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const prot = evalFlags(c, a.prot, 'prot');
  const flags = evalFlags(c, a.flags, 'flags');
  if (prot === null || flags === null) return ret(-EINVAL);
  return ret(yield* syscalls.sys_mmap(c.k, evalNum(c, a.addr), evalNum(c, a.length), prot, flags, evalNum(c, a.fd), evalNum(c, a.offset)));
}

function* opMunmap(c: StepCtx): KThread<StepResult> {
  return ret(yield* syscalls.sys_munmap(c.k, evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length)));
}

/** Call a syscall of src/linux/syscalls.ts by name if the memory model has it; else `unsupported`. */
function viaSyscall(op: string, sysName: string, args: (c: StepCtx) => (number | string)[] | null): OpImpl {
  return function* (c) {
    const fn = (syscalls as Readonly<Record<string, unknown>>)[sysName] ?? (mprotectMod as Readonly<Record<string, unknown>>)[sysName] ?? (memfdMod as Readonly<Record<string, unknown>>)[sysName];
    if (typeof fn !== 'function') return ret(unsupported(c.k, `scenario:${op}`, `${sysName} is not in the model yet`));
    const xs = args(c);
    if (xs === null) return ret(-EINVAL);
    const gen = (fn as (k: Kctx, ...a: (number | string)[]) => KThread<number>)(c.k, ...xs);
    return ret(yield* gen);
  };
}

/** store: a user-space memset of [addr, addr+length) with a content tag (mm/uaccess.ts user_store). */
function* opStore(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const content = a.content.kind === 'str' ? a.content.value : '';
  const len = a.length === undefined ? PAGE_SIZE : evalNum(c, a.length);
  if (c.k.current.mm === null) return ret(unsupported(c.k, 'scenario:store', 'a store by a process without an mm'));
  return ret(yield* user_store(c.k, evalNum(c, a.addr), len, content));
}

/**
 * load: a user-space read of [addr, addr+length) (default one byte) — the content tag ('' =
 * zero-filled), runs `tag*len ...` when the bytes differ, or -EFAULT (mm/uaccess.ts user_load).
 */
function* opLoad(c: StepCtx): KThread<StepResult> {
  if (c.k.current.mm === null) return ret(unsupported(c.k, 'scenario:load', 'a load by a process without an mm'));
  const len = c.step.args.length === undefined ? 1 : evalNum(c, c.step.args.length);
  return ret(yield* user_load(c.k, evalNum(c, c.step.args.addr), len));
}

export const MM_OPS = {
  open: {
    cls: 'syscall', args: [a('path', { kind: 'path' }), a('flags', fl('O_', O_NAMES), 'O_RDWR')],
    doc: 'open(2): fd or -errno', result: 'fd or -errno', impl: opOpen,
  },
  close: { cls: 'syscall', args: [a('fd', int)], doc: 'close(2)', result: '0 or -errno', impl: opClose },
  mmap: {
    cls: 'syscall', args: [a('addr', int, 0), a('length', int), a('prot', fl('PROT_', PROT_NAMES)), a('flags', fl('MAP_', MAP_NAMES)), a('fd', int, -1), a('offset', int, 0)],
    doc: 'mmap(2): address or -errno', result: 'address or -errno', impl: opMmap,
  },
  munmap: { cls: 'syscall', args: [a('addr', int), a('length', int)], doc: 'munmap(2)', result: '0 or -errno', impl: opMunmap },
  mprotect: {
    cls: 'syscall', args: [a('addr', int), a('length', int), a('prot', fl('PROT_', PROT_NAMES))], doc: 'mprotect(2)', result: '0 or -errno',
    impl: viaSyscall('mprotect', 'sys_mprotect', (c) => { const p = evalFlags(c, c.step.args.prot, 'prot'); return p === null ? null : [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length), p]; }),
  },
  madvise: {
    cls: 'syscall', args: [a('addr', int), a('length', int), a('advice', en('MADV_', MADV_NAMES))], doc: 'madvise(2)', result: '0 or -errno',
    impl: viaSyscall('madvise', 'sys_madvise', (c) => { const p = evalFlags(c, c.step.args.advice, 'advice'); return p === null ? null : [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length), p]; }),
  },
  mlock: {
    cls: 'syscall', args: [a('addr', int), a('length', int)], doc: 'mlock(2)', result: '0 or -errno',
    impl: viaSyscall('mlock', 'sys_mlock', (c) => [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length)]),
  },
  munlock: {
    cls: 'syscall', args: [a('addr', int), a('length', int)], doc: 'munlock(2)', result: '0 or -errno',
    impl: viaSyscall('munlock', 'sys_munlock', (c) => [evalNum(c, c.step.args.addr), evalNum(c, c.step.args.length)]),
  },
  memfd_create: {
    cls: 'syscall', args: [a('name', { kind: 'string' }), a('flags', fl('MFD_', MFD_NAMES), 0)], doc: 'memfd_create(2): fd or -errno', result: 'fd or -errno',
    impl: viaSyscall('memfd_create', 'sys_memfd_create', (c) => { const f = evalFlags(c, c.step.args.flags, 'flags'); const n = c.step.args.name; return f === null || n.kind !== 'str' ? null : [n.value, f]; }),
  },
  ftruncate: {
    cls: 'syscall', args: [a('fd', int), a('length', int)], doc: 'ftruncate(2)', result: '0 or -errno',
    impl: viaSyscall('ftruncate', 'sys_ftruncate', (c) => [evalNum(c, c.step.args.fd), evalNum(c, c.step.args.length)]),
  },
  fallocate: {
    cls: 'syscall', args: [a('fd', int), a('mode', fl('FALLOC_FL_', FALLOC_NAMES), 0), a('offset', int), a('len', int)], doc: 'fallocate(2)', result: '0 or -errno',
    impl: viaSyscall('fallocate', 'sys_fallocate', (c) => { const md = evalFlags(c, c.step.args.mode, 'mode'); return md === null ? null : [evalNum(c, c.step.args.fd), md, evalNum(c, c.step.args.offset), evalNum(c, c.step.args.len)]; }),
  },
  store: {
    cls: 'syscall', args: [a('addr', int), a('length', int, 4096), a('content', { kind: 'content' })],
    doc: 'user-space memset of [addr, addr+length), byte-exact: 0 or -EFAULT (SIGSEGV)',
    result: '0, or -EFAULT (SIGSEGV/SIGBUS) — user-space memset, page by page: a CPU write that faults through do_user_addr_fault → handle_mm_fault (FAULT_FLAG_USER|WRITE); pages before a faulting one keep the data; a page covered in part keeps its other bytes',
    impl: opStore,
  },
  load: {
    cls: 'syscall', args: [a('addr', int), a('length', int, 1)],
    doc: "user-space read of [addr, addr+length) (one byte by default): the content tag, or -EFAULT (SIGSEGV); 'tag*len ...' runs when the bytes differ",
    result: "content tag of the bytes (`''` = zero-filled; the conformance report shows a one-byte load of it as `zero`), or `tag*len tag*len ...` when they differ (zero bytes as `zero`), or -EFAULT — a CPU read (FAULT_FLAG_USER)",
    impl: opLoad,
  },
} satisfies OpGroup;
