/**
 * Fuzz of the remote-access operations (issue #12 item 2: /proc/PID/mem and /proc/PID/cmdline,
 * prctl(PR_SET_MM), ptrace PEEK/POKE, process_vm_readv/writev, /dev/mem mappings reached through
 * generic_access_phys): fast-check generates scenario files whose steps are
 * mostly those operations, with hostile arguments (offsets and lengths around page
 * boundaries, beyond 2^53 and 2^63, negative; unknown ptrace requests and option bits;
 * iovec lists with huge, negative or unaligned entries; fds that are not open or not
 * /proc files; a forked child that is traced, exited or never forked), mixed with
 * munmap/mprotect/fork/exit so the targets change under the accesses, in one or two
 * threads. Each case goes through checkCase (tests/fuzz/campaign.ts): no JavaScript
 * exception, positioned messages for a rejected file, no step-bound run, byte-identical
 * replay, invariants holding on v6.12. Deterministic (seed PINLAB_FUZZ_SEED, default 16);
 * PINLAB_FUZZ_REMOTE_RUNS sets the size (default 2,000).
 */
import { describe, it } from 'vitest';
import { stringify } from 'yaml';
import { PTRACE_NAMES } from '../../src/scenario/ops/flags.js';
import { PR_SET_MM_NAMES } from '../../src/scenario/ops/prctl.js';
import { checkCase, fc, newStats } from './campaign.js';
import type { FuzzCase } from './campaign.js';

const SEED = Number(process.env.PINLAB_FUZZ_SEED ?? 16);
const RUNS = Number(process.env.PINLAB_FUZZ_REMOTE_RUNS ?? 2_000);
const PROFILES = ['v5.4', 'v5.6', 'v6.1', 'v6.12'] as const;

const ADDRS = ['$buf', '$ro', '$text', '$none', '$huge', '$buf + 4090', '$buf + 1 page', '$ro + 8', '$dmap', '$dmap + 4000', '$dpriv', 0, 4096, -1, '0x7ffffffff000', 2 ** 53, '0x8000000000000000'];
const LENS = [0, 1, 8, 4096, 4097, '2 pages', '3 pages', '2M', -1, 2 ** 31, '0x7ffff000', 2 ** 53];
/** u64 values a double cannot hold exactly: the model says `unsupported` for them (src/scenario/build.ts evalNum), so they are rarer. */
const INEXACT = ['0xffffffffffffffff', '0x8000000000000001'];
const FDS = ['$fd', '$fd2', 0, 3, 99, -1];

const addr = fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...ADDRS) }, { weight: 1, arbitrary: fc.constantFrom(...INEXACT) });
const len = fc.oneof({ weight: 15, arbitrary: fc.constantFrom(...LENS) }, { weight: 1, arbitrary: fc.constantFrom(...INEXACT) });
const proc = fc.oneof({ weight: 30, arbitrary: fc.constantFrom('P', 'Q', 'Q') }, { weight: 1, arbitrary: fc.constant('Nobody') });
const iovecs = fc.array(fc.record({ base: addr, len }), { minLength: 0, maxLength: 3 });

function step(i: number): fc.Arbitrary<Record<string, unknown>> {
  const as = `s${i}`;
  return fc.oneof(
    fc.record({ open: fc.record({ path: fc.oneof({ weight: 8, arbitrary: fc.constantFrom('/proc/self/mem', '/proc/Q/mem', '/proc/P/mem', '/proc/self/cmdline', '/proc/Q/cmdline') }, { weight: 1, arbitrary: fc.constant('/proc/Q/maps') }), flags: fc.constantFrom('O_RDONLY', 'O_WRONLY', 'O_RDWR', 'O_RDWR|O_CLOEXEC') }) }),
    // prctl(PR_SET_MM): what /proc/<P>/cmdline then reads (kernel/sys_prctl.ts)
    fc.record({
      prctl: fc.record({
        option: fc.oneof({ weight: 8, arbitrary: fc.constant('PR_SET_MM') }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 80 }) }),
        arg2: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...PR_SET_MM_NAMES) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 20 }) }),
        arg3: addr,
        arg4: fc.constantFrom(0, 0, 0, 1, -1),
        arg5: fc.constantFrom(0, 0, 0, 1),
      }, { requiredKeys: ['option', 'arg2'] }),
    }),
    fc.record({ pread: fc.record({ fd: fc.constantFrom(...FDS), offset: addr, length: len }) }),
    fc.record({ pwrite: fc.record({ fd: fc.constantFrom(...FDS), offset: addr, length: len, content: fc.constantFrom('X', 'Y', '') }) }),
    fc.record({
      ptrace: fc.record({
        request: fc.oneof(fc.constantFrom(...PTRACE_NAMES), fc.integer({ min: -1, max: 0x4210 })),
        pid: proc,
        addr,
        data: fc.constantFrom(0, 1, 9, 0x40000000, -1, 65),
        content: fc.constantFrom('I', ''),
      }, { requiredKeys: ['request', 'pid'] }),
    }),
    fc.record({ process_vm_readv: fc.record({ pid: proc, local: iovecs, remote: iovecs, flags: fc.constantFrom(0, 0, 1) }, { requiredKeys: ['pid', 'local', 'remote'] }) }),
    fc.record({ process_vm_writev: fc.record({ pid: proc, local: iovecs, remote: iovecs, flags: fc.constantFrom(0, 0, 1) }, { requiredKeys: ['pid', 'local', 'remote'] }) }),
    fc.record({ munmap: fc.record({ addr: fc.constantFrom('$buf', '$ro', '$text'), length: fc.constantFrom(4096, '2 pages') }) }),
    fc.record({ mprotect: fc.record({ addr: fc.constantFrom('$buf', '$ro', '$none'), length: fc.constantFrom(4096), prot: fc.constantFrom('PROT_NONE', 'PROT_READ', 'PROT_READ|PROT_WRITE') }) }),
    fc.record({ store: fc.record({ addr: fc.constantFrom('$buf', '$ro', '$dpriv', '$dmap'), content: fc.constantFrom('A', 'B') }) }),
    // /dev/mem (drivers/char/mem.ts): mmap of physical ranges (BIOS RAM, ROM window, RAM, holes, wrapping), private or shared
    fc.record({
      mmap: fc.record({
        length: fc.constantFrom(4096, '2 pages', 0, -1), prot: fc.constantFrom('PROT_READ', 'PROT_READ|PROT_WRITE', 'PROT_NONE'),
        flags: fc.constantFrom('MAP_SHARED', 'MAP_PRIVATE'), fd: fc.constantFrom('$dm', '$dm', '$fd'),
        offset: fc.constantFrom(0, 0x10000, 0xf0000, 0x9f000, 0xff000, '16M', '4G', 2 ** 40, 2 ** 52, -4096),
      }),
    }),
  ).map((s) => ('as' in s ? s : { ...s, as }));
}

function caseArb(): fc.Arbitrary<FuzzCase> {
  return fc.record({
    fork: fc.constantFrom('first', 'first', 'never', 'exit'),
    uid: fc.constantFrom<number | null>(null, null, 1000),
    nthreads: fc.integer({ min: 1, max: 2 }),
    profile: fc.constantFrom(...PROFILES),
    seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    a: fc.array(fc.nat(8), { minLength: 1, maxLength: 7 }),
    b: fc.array(fc.nat(8), { minLength: 1, maxLength: 4 }),
  }).chain((c) => fc.tuple(
    fc.tuple(...c.a.map((_, i) => step(i))),
    fc.tuple(...c.b.map((_, i) => step(100 + i))),
  ).map(([sa, sb]): FuzzCase => {
    const pre: Record<string, unknown>[] = [];
    if (c.fork !== 'never') pre.push({ fork: { child: 'Q' }, as: 'child' });
    pre.push({ open: { path: '/proc/self/mem' }, as: 'fd' });
    pre.push({ open: { path: c.fork === 'never' ? '/proc/P/mem' : '/proc/Q/mem', flags: 'O_RDONLY' }, as: 'fd2' });
    pre.push({ open: { path: '/dev/mem', flags: 'O_RDWR' }, as: 'dm' });
    pre.push({ mmap: { length: '2 pages', prot: 'PROT_READ', flags: 'MAP_SHARED', fd: '$dm', offset: 0xf0000 }, as: 'dmap' });
    pre.push({ mmap: { length: '1 page', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE', fd: '$dm', offset: 0x10000 }, as: 'dpriv' });
    const main = [...pre, ...sa];
    const threads: Record<string, unknown>[] = [{ process: 'P', steps: main }];
    if (c.fork === 'exit') threads.push({ process: 'Q', steps: [{ exit: {} }], });
    if (c.nthreads === 2) threads.push({ process: 'P', steps: sb.map((s) => ({ ...s, as: `t1${String(s.as)}` })) });
    const doc = {
      question: 'fuzz remote',
      setup: {
        memory: { zones: { DMA32: '16M', Normal: '64M' }, hugepages: 2 },
        filesystems: [{ mount: '/mnt/ext4', type: 'ext4' }],
        files: [{ path: '/mnt/ext4/f', size: '2 pages' }],
        processes: [{
          name: 'P',
          ...(c.uid !== null ? { uid: c.uid, caps: [] } : {}),
          mappings: [
            { name: 'buf', length: '2 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS', populate: true },
            { name: 'ro', length: '1 page', prot: 'PROT_READ', flags: 'MAP_PRIVATE|MAP_ANONYMOUS' },
            { name: 'text', length: '2 pages', prot: 'PROT_READ', flags: 'MAP_PRIVATE', file: '/mnt/ext4/f' },
            { name: 'none', length: '1 page', prot: 'PROT_NONE', flags: 'MAP_SHARED', file: '/mnt/ext4/f' },
            { name: 'huge', length: '2M', prot: 'PROT_READ', flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_HUGETLB', populate: true },
          ],
        }],
      },
      threads,
      expect: { [c.profile]: { values: {} } },
    };
    return { yaml: stringify(doc), profile: c.profile, seed: c.seed };
  }));
}

describe(`fuzz of the remote-access ops: ${RUNS} generated scenarios (seed ${SEED})`, () => {
  it('no JS exception, positioned rejections, no step bound, byte-identical replay, invariants on v6.12', () => {
    const stats = newStats();
    fc.assert(fc.property(caseArb(), (c) => checkCase(c, new Set(['v6.12']), stats)), { seed: SEED, numRuns: RUNS, endOnFailure: true });
    console.log(`remote fuzz: ${RUNS} scenarios (seed ${SEED}): ${stats.rejected} rejected with positioned messages, ${stats.setupFailed} set-up failures, ` +
      `${stats.done} done, ${stats.deadlock} deadlock, ${stats.unsupported} unsupported, ${stats.fixedChecked} checked on v6.12`);
  }, 900_000);
});
