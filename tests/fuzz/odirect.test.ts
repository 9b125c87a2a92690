/**
 * A fast-check fuzz of O_DIRECT (fs/iomap/direct-io.ts, block/bio.ts, fs/ext4_dio.ts): an
 * ext4 file opened with and without O_DIRECT (and a tmpfs one with it), then hostile
 * pread/pwrite through both — aligned and misaligned offsets, lengths and buffers, holes
 * (ftruncate), EOF, fault-prone addresses (mprotect PROT_NONE / PROT_READ pages inside the buffer),
 * an fs-DAX file opened with O_DIRECT — mixed with the address-space changes that race
 * with a direct read (store, madvise, munmap, fork) and a second thread doing the same.
 * Each generated scenario goes through the campaign's checkCase (tests/fuzz/campaign.ts): no
 * JavaScript exception, positioned messages for rejected files, no step-bound run, a
 * byte-identical replay, and every invariant holding on v6.12.
 */
import { describe, it } from 'vitest';
import { stringify } from 'yaml';
import { checkCase, fc, newStats } from './campaign.js';

const SEED = Number(process.env.PINLAB_FUZZ_SEED ?? 17);
const RUNS = Number(process.env.PINLAB_ODIRECT_FUZZ_RUNS ?? 300);

const FDS = ['$d', '$b', '$t', '$x', 0, -1, 99];
const ADDRS = ['$buf', '$buf + 512', '$buf + 1', '$buf + 1 page', '$buf + 3 pages', '$buf + 4 pages - 512', 0, -1, '0x7ffffffff000', 2 ** 53];
const LENS = [0, 1, 100, 512, 4096, 8192, '3 pages', '17 pages', -1, 2 ** 53];
const OFFS = [0, 512, 100, 4096, '2 pages', '3 pages', '8 pages', -1, 2 ** 53];
const TAGS = ['A', 'B'];

const pick = <T>(xs: readonly T[]): fc.Arbitrary<T> => fc.constantFrom(...xs);

const stepArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.record({ pread: fc.record({ fd: pick(FDS), buf: pick(ADDRS), length: pick(LENS), offset: pick(OFFS) }) }),
  fc.record({ pwrite: fc.oneof(
    fc.record({ fd: pick(FDS), offset: pick(OFFS), length: pick(LENS), buf: pick(ADDRS) }),
    fc.record({ fd: pick(FDS), offset: pick(OFFS), length: pick(LENS), content: pick(TAGS) }),
  ) }),
  fc.record({ read: fc.record({ fd: pick(FDS), buf: pick(ADDRS), length: pick(LENS) }) }),
  fc.record({ write: fc.record({ fd: pick(FDS), buf: pick(ADDRS), length: pick(LENS) }) }),
  fc.record({ ftruncate: fc.record({ fd: pick(FDS), length: pick([0, 100, 4096, '4 pages', '9 pages']) }) }),
  fc.record({ store: fc.record({ addr: pick(ADDRS), length: pick(LENS), content: pick(TAGS) }) }),
  fc.record({ madvise: fc.record({ addr: pick(ADDRS), length: pick(LENS), advice: fc.constant('MADV_DONTNEED') }) }),
  fc.record({ munmap: fc.record({ addr: pick(ADDRS), length: pick(LENS) }) }),
  fc.record({ mprotect: fc.record({ addr: pick(ADDRS), length: pick(LENS), prot: pick(['PROT_NONE', 'PROT_READ', 'PROT_READ|PROT_WRITE']) }) }),
  fc.record({ fork: fc.record({ child: fc.constant('Q') }) }),
);

const PRELUDE = [
  { open: { path: '/mnt/f', flags: 'O_RDWR|O_DIRECT' }, as: 'd' },
  { open: { path: '/mnt/f', flags: 'O_RDWR' }, as: 'b' },
  { open: { path: '/dev/shm/t', flags: 'O_RDWR|O_DIRECT' }, as: 't' },
  { open: { path: '/mnt/dax/x', flags: 'O_RDWR|O_DIRECT' }, as: 'x' },
];

const caseArb = fc.record({
  profile: pick(['v5.4', 'v6.1', 'v6.12']),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 7 }),
  other: fc.array(stepArb, { minLength: 0, maxLength: 3 }),
}).map((c) => {
  // Only one fork may name Q (a second would redefine it).
  let forked = false;
  const once = (s: Record<string, unknown>): boolean => {
    if (!('fork' in s)) return true;
    if (forked) return false;
    forked = true;
    return true;
  };
  const steps = c.steps.filter(once);
  // The second thread uses the fds of the first: it waits for the opens.
  const other = c.other.filter(once).map((s, i) => (i === 0 ? { ...s, after: 'x' } : s));
  const doc = {
    question: 'fuzz (O_DIRECT)',
    setup: {
      memory: { zones: { DMA32: '16M', Normal: '32M' }, pmem: [{ name: 'pmem0', size: '2M', mode: 'fsdax' }] },
      filesystems: [{ mount: '/mnt', type: 'ext4' }, { mount: '/dev/shm', type: 'tmpfs' }, { mount: '/mnt/dax', type: 'ext4', dax: true, device: 'pmem0' }],
      files: [{ path: '/mnt/f', size: '3 pages' }, { path: '/dev/shm/t', size: '1 page' }, { path: '/mnt/dax/x', size: '2 pages' }],
      processes: [{
        name: 'P',
        mappings: [{ name: 'buf', length: '4 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS', populate: true }],
      }],
    },
    threads: [
      { process: 'P', steps: [...PRELUDE, ...steps] },
      ...(other.length > 0 ? [{ process: 'P', steps: other }] : []),
    ],
    expect: { [c.profile]: { values: {} } },
  };
  return { yaml: stringify(doc), profile: c.profile, seed: c.seed };
});

describe(`fuzz: O_DIRECT pread/pwrite/read/write on ext4, fs-DAX and tmpfs (${RUNS} scenarios, seed ${SEED})`, () => {
  it('no JS exception, no step-bound run, byte-identical replay, invariants hold on v6.12', () => {
    const stats = newStats();
    fc.assert(fc.property(caseArb, (c) => checkCase(c, new Set(['v6.12']), stats)), { seed: SEED, numRuns: RUNS, verbose: 1 });
    console.log(`odirect fuzz: ${RUNS} scenarios: ${stats.rejected} rejected, ${stats.done} done, ${stats.deadlock} deadlock, ${stats.unsupported} unsupported, ${stats.setupFailed} set-up failures, ${stats.fixedChecked} checked on v6.12`);
  }, 600_000);
});
