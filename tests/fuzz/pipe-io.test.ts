/**
 * A fast-check fuzz of the ops of page references that are not pins (pipe2, vmsplice,
 * read, write, pread, pwrite, IORING_OP_READ_FIXED / WRITE_FIXED, load with a length),
 * mixed with the address-space changes that matter to them (store, madvise, munmap, fork,
 * close): hostile fds, addresses, lengths, offsets, flags and buffer indexes. Each
 * generated scenario goes through the campaign's checkCase (tests/fuzz/campaign.ts): no
 * JavaScript exception, positioned messages for rejected files, no step-bound run, a
 * byte-identical replay, and every invariant holding on v6.12.
 */
import { describe, it } from 'vitest';
import { stringify } from 'yaml';
import { checkCase, fc, newStats } from './campaign.js';

const SEED = Number(process.env.PINLAB_FUZZ_SEED ?? 16);
const RUNS = Number(process.env.PINLAB_PIPE_IO_FUZZ_RUNS ?? 600);

const FDS = ['$p.rfd', '$p.wfd', '$fd', '$ring', 0, 1, 2, -1, 99, '0xffffffff'];
const ADDRS = ['$buf', '$buf + 100', '$buf + 4090', '$buf + 2 pages', '$shm', '$shm + 1 page', '$buf', '$buf + 1 page', 0, -1, 4095, '0x7ffffffff000', 2 ** 53];
const LENS = [0, 1, 8, 200, 4096, 4097, '2 pages', '17 pages', 8, 100, -1, '0x7ffff000', 2 ** 53];
const OFFS = [0, 1, 4088, 8192, 0, -1, -4096, 2 ** 53];
const FLAGS = [0, 'O_NONBLOCK', 'O_CLOEXEC|O_DIRECT', 0x100, 0xffff, -1];
const SPLICE = [0, 'SPLICE_F_NONBLOCK', 'SPLICE_F_GIFT|SPLICE_F_MORE', 0x10, -1];
const TAGS = ['A', 'B', ''];

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);
const iov = fc.array(fc.record({ base: pick(ADDRS), len: pick(LENS) }), { minLength: 0, maxLength: 3 });

const stepArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ pipe2: fc.record({ flags: pick(FLAGS) }, { requiredKeys: [] }), as: fc.constant('p') }),
  fc.record({ vmsplice: fc.record({ fd: pick(FDS), iovecs: iov, flags: pick(SPLICE) }, { requiredKeys: ['fd', 'iovecs'] }) }),
  fc.record({ read: fc.record({ fd: pick(FDS), buf: pick(ADDRS), length: pick(LENS) }) }),
  fc.record({ write: fc.record({ fd: pick(FDS), buf: pick(ADDRS), length: pick(LENS) }) }),
  fc.record({ pread: fc.record({ fd: pick(FDS), buf: pick(ADDRS), length: pick(LENS), offset: pick(OFFS) }) }),
  fc.record({ pwrite: fc.oneof(
    fc.record({ fd: pick(FDS), offset: pick(OFFS), length: pick(LENS), content: pick(TAGS) }),
    fc.record({ fd: pick(FDS), offset: pick(OFFS), length: pick(LENS), buf: pick(ADDRS) }),
  ) }),
  fc.record({ IORING_OP_READ_FIXED: fc.record({ ring: pick(FDS), fd: pick(FDS), addr: pick(ADDRS), len: pick(LENS), offset: pick(OFFS), buf_index: pick([0, 1, -1, 70000]) }, { requiredKeys: ['ring', 'fd', 'addr', 'len'] }) }),
  fc.record({ IORING_OP_WRITE_FIXED: fc.record({ ring: pick(FDS), fd: pick(FDS), addr: pick(ADDRS), len: pick(LENS), offset: pick(OFFS), buf_index: pick([0, 1, -1]) }, { requiredKeys: ['ring', 'fd', 'addr', 'len'] }) }),
  fc.record({ load: fc.record({ addr: pick(ADDRS), length: pick(LENS) }, { requiredKeys: ['addr'] }) }),
  fc.record({ store: fc.record({ addr: pick(ADDRS), length: pick(LENS), content: pick(TAGS) }) }),
  fc.record({ madvise: fc.record({ addr: pick(ADDRS), length: pick(LENS), advice: fc.constant('MADV_DONTNEED') }) }),
  fc.record({ munmap: fc.record({ addr: pick(ADDRS), length: pick(LENS) }) }),
  fc.record({ close: fc.record({ fd: pick(FDS) }) }),
  fc.record({ fork: fc.record({ child: fc.constant('Q') }) }),
);

/** Every thread starts with a pipe, a file and a ring with the buffer registered, so the refs resolve; then hostile steps. */
const PRELUDE = [
  { pipe2: { flags: 'O_NONBLOCK' }, as: 'p' },
  { open: { path: '/dev/shm/f', flags: 'O_RDWR' }, as: 'fd' },
  { io_uring_setup: { entries: 8 }, as: 'ring' },
  { IORING_REGISTER_BUFFERS: { ring: '$ring', iovecs: [{ base: '$buf', len: '2 pages' }] } },
];

const caseArb = fc.record({
  profile: pick(['v5.4', 'v6.1', 'v6.12']),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }),
}).map((c) => {
  // Only the first fork names Q; a later one would redefine it (a rejected file, also fine, but rarer is more useful).
  let forked = false;
  const steps = c.steps.filter((s) => {
    if (!('fork' in s)) return true;
    if (forked) return false;
    forked = true;
    return true;
  });
  const doc = {
    question: 'fuzz (pipe/io ops)',
    setup: {
      memory: { zones: { DMA32: '16M', Normal: '32M' } },
      filesystems: [{ mount: '/dev/shm', type: 'tmpfs' }],
      files: [{ path: '/dev/shm/f', size: '4 pages' }],
      processes: [{
        name: 'P',
        mappings: [
          { name: 'buf', length: '4 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS', populate: true },
          { name: 'shm', length: '2 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_SHARED|MAP_ANONYMOUS' },
        ],
      }],
    },
    threads: [{ process: 'P', steps: [...PRELUDE, ...steps] }],
    expect: { [c.profile]: { values: {} } },
  };
  return { yaml: stringify(doc), profile: c.profile, seed: c.seed };
});

describe(`fuzz: pipe / vmsplice / read-write / io_uring fixed ops (${RUNS} scenarios, seed ${SEED})`, () => {
  it('no JS exception, no step-bound run, byte-identical replay, invariants hold on v6.12', () => {
    const stats = newStats();
    fc.assert(fc.property(caseArb, (c) => checkCase(c, new Set(['v6.12']), stats)), { seed: SEED, numRuns: RUNS, verbose: 1 });
    console.log(`pipe/io fuzz: ${RUNS} scenarios: ${stats.rejected} rejected, ${stats.done} done, ${stats.deadlock} deadlock, ${stats.unsupported} unsupported, ${stats.setupFailed} set-up failures, ${stats.fixedChecked} checked on v6.12`);
  }, 600_000);
});
