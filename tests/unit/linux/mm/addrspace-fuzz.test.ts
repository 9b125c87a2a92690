/**
 * fast-check fuzz of the address-space ops (issue 12 item 4): mremap and the madvise
 * advice added with it (FREE, COLD, PAGEOUT, WILLNEED, REMOVE, WIPEONFORK, KEEPONFORK),
 * mixed with mprotect, munmap, mmap, stores and loads, over buffers that VFIO and io_uring
 * hold pinned and a THP (pinned or not), with hostile arguments (unaligned, huge, negative, 2^64-1, unknown flag
 * bits). Every generated scenario goes through parse → run under a seeded random
 * schedule → replay, on every release profile. Properties: no JavaScript exception,
 * a run that ends (done, deadlock or unsupported, never the step bound), every kernel
 * result an integer (an address or -errno) or a content tag, a byte-identical replay, and
 * refcount-sane / dma-target-is-live never violated (the holders keep their frames
 * whatever the process does to its address space).
 */
import fc from 'fast-check';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../../src/scenario/parse.js';
import { renderError } from '../../../../src/scenario/ast.js';
import { runScenario } from '../../../../src/scenario/run.js';
import { RandomChooser } from '../../../../src/explore/choosers.js';
import { resolveProfile } from '../../../../src/profiles/index.js';
import { MADV_NAMES, MREMAP_NAMES } from '../../../../src/scenario/ops/flags.js';

const PROFILES = ['v5.4', 'v5.6', 'v6.1', 'v6.12'] as const;
const REFS = ['$buf', '$shm', '$thp', '$locked'];
const HOSTILE: readonly (number | string)[] = [
  0, 1, 4095, 4096, '2 pages', '4 pages', '2M', -1, -4096, 2 ** 47, 2 ** 53, '0xffffffffffffffff', '0x7ffffffff000', '0x40000000',
];

const int = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...REFS) },
  { weight: 3, arbitrary: fc.constantFrom(...HOSTILE) },
  { weight: 2, arbitrary: fc.constantFrom(...REFS).chain((r) => fc.constantFrom(`${r} + 4096`, `${r} + 1`, `${r} + 2 pages`)) },
);
const len = fc.oneof({ weight: 4, arbitrary: fc.constantFrom('1 page', '2 pages', '4 pages', '2M') }, { weight: 2, arbitrary: fc.constantFrom(...HOSTILE) });
const mremapFlags = fc.oneof(
  { weight: 6, arbitrary: fc.subarray([...MREMAP_NAMES], { minLength: 1, maxLength: 3 }).map((xs) => xs.join('|')) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 0xff }) },
);
const advice = fc.oneof({ weight: 9, arbitrary: fc.constantFrom(...MADV_NAMES) }, { weight: 1, arbitrary: fc.integer({ min: -1, max: 30 }) });

const stepArb = fc.oneof(
  { weight: 5, arbitrary: fc.record({ mremap: fc.record({ addr: int, old_len: len, new_len: len, flags: mremapFlags, new_addr: int }, { requiredKeys: ['addr', 'old_len', 'new_len'] }) }) },
  { weight: 5, arbitrary: fc.record({ madvise: fc.record({ addr: int, length: len, advice }) }) },
  { weight: 1, arbitrary: fc.record({ mprotect: fc.record({ addr: int, length: len, prot: fc.constantFrom('PROT_READ', 'PROT_READ|PROT_WRITE', 'PROT_NONE') }) }) },
  { weight: 1, arbitrary: fc.record({ munmap: fc.record({ addr: int, length: len }) }) },
  { weight: 1, arbitrary: fc.record({ mmap: fc.record({ addr: int, length: len, prot: fc.constant('PROT_READ|PROT_WRITE'), flags: fc.constantFrom('MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED', 'MAP_SHARED|MAP_ANONYMOUS|MAP_FIXED') }) }) },
  { weight: 2, arbitrary: fc.record({ store: fc.record({ addr: int, content: fc.constantFrom('A', 'B') }) }) },
  { weight: 2, arbitrary: fc.record({ load: fc.record({ addr: int }) }) },
  { weight: 1, arbitrary: fc.record({ device_dma_write: fc.record({ device: fc.constant('edu0'), iova: fc.constantFrom(0x100000, 0x101000), content: fc.constant('C') }) }) },
  { weight: 1, arbitrary: fc.record({ fork: fc.record({ child: fc.constantFrom('Q', 'R') }) }) },
);

interface Case {
  readonly yaml: string;
  /** The results (`as` names) of madvise calls at an address in $thp, when $thp is a THP. */
  readonly thpAdvice: readonly string[];
  readonly profile: string;
  readonly seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  pinned: fc.constantFrom('vfio', 'uring', 'both', 'none'),
  // $thp as a THP (MADV_HUGEPAGE, then a write fault maps a PMD-sized folio), optionally with
  // one of its pages VFIO-mapped (a pin that makes a split or a lazy-free discard fail).
  thp: fc.constantFrom('none', 'thp', 'thp-pinned'),
  steps: fc.array(stepArb, { minLength: 1, maxLength: 8 }),
  profile: fc.constantFrom(...PROFILES),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
}).map((c) => {
  const head: Record<string, unknown>[] = [{ store: { addr: '$buf', length: '4 pages', content: 'A' }, as: 'h0' }];
  if (c.pinned === 'vfio' || c.pinned === 'both') {
    head.push({ VFIO_IOMMU_MAP_DMA: { container: '$C', vaddr: '$buf', iova: 0x100000, size: '2 pages', flags: 'VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE' }, as: 'h1' });
  }
  if (c.pinned === 'uring' || c.pinned === 'both') {
    head.push({ io_uring_setup: { entries: 4 }, as: 'ring' }, { IORING_REGISTER_BUFFERS: { ring: '$ring', iovecs: [{ base: '$buf', len: '2 pages' }, { base: '$shm', len: '1 page' }] }, as: 'h2' });
  }
  if (c.thp !== 'none') {
    head.push({ madvise: { addr: '$thp', length: '2M', advice: 'MADV_HUGEPAGE' }, as: 't0' }, { store: { addr: '$thp + 1 page', content: 'T' }, as: 't1' });
  }
  if (c.thp === 'thp-pinned') {
    head.push({ VFIO_IOMMU_MAP_DMA: { container: '$C', vaddr: '$thp + 2 pages', iova: 0x200000, size: '1 page', flags: 'VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE' }, as: 't2' });
  }
  const doc = {
    question: 'addrspace fuzz',
    setup: {
      memory: { zones: { DMA32: '16M', Normal: '32M' } },
      processes: [{
        name: 'P',
        mappings: [
          { name: 'buf', length: '4 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS', populate: true },
          { name: 'shm', length: '2 pages', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_SHARED|MAP_ANONYMOUS', populate: true },
          { name: 'thp', addr: 0x40000000, length: '2M', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED' },
          { name: 'locked', length: '1 page', prot: 'PROT_READ|PROT_WRITE', flags: 'MAP_PRIVATE|MAP_ANONYMOUS|MAP_LOCKED' },
        ],
      }],
      devices: [{ name: 'edu0', kind: 'edu', iommu_group: 5 }],
      vfio: { containers: [{ name: 'C', process: 'P', groups: ['edu0'] }] },
    },
    threads: [{ process: 'P', steps: [...head, ...c.steps.map((s, i) => ({ ...s, as: `s${i}` }))] }],
    expect: { [c.profile]: { values: {} } },
  };
  const thpAdvice = c.thp === 'none' ? [] : c.steps.flatMap((st, i) => {
    const a = (st as { madvise?: { addr: unknown } }).madvise?.addr;
    return typeof a === 'string' && a.startsWith('$thp') ? [`s${i}`] : [];
  });
  return { yaml: stringify(doc), thpAdvice, profile: c.profile, seed: c.seed };
});

const STATS = { rejected: 0, runs: 0, statuses: new Map<string, number>(), okMremap: 0, okMadvise: 0, okThpAdvice: 0 };

function check(c: Case): void {
  const fail = (what: string): never => {
    throw new Error(`${what}\n--- scenario (profile ${c.profile}, seed ${c.seed}) ---\n${c.yaml}`);
  };
  const p = parseScenario(c.yaml, 'fuzz.yaml');
  if (!p.ok) {
    STATS.rejected++;
    for (const e of p.errors) if (!/^fuzz\.yaml:\d+:\d+: /.test(renderError(e))) fail(`unpositioned error: ${renderError(e)}`);
    return;
  }
  const r = resolveProfile(c.profile);
  if (!r.ok) return fail(r.error.message);
  const o = runScenario(p.scenario, r.profile, { chooser: new RandomChooser(c.seed), trace: true, maxSteps: 20_000 });
  STATS.runs++;
  STATS.statuses.set(o.status, (STATS.statuses.get(o.status) ?? 0) + 1);
  p.scenario.threads[0].steps.forEach((st) => {
    const v = o.values.get(st.as ?? '');
    if (st.op === 'mremap' && typeof v === 'number' && v > 0) STATS.okMremap++;
    if (st.op === 'madvise' && v === 0) STATS.okMadvise++;
  });
  for (const n of c.thpAdvice) if (o.values.get(n) === 0) STATS.okThpAdvice++;
  if (!['done', 'deadlock', 'unsupported', 'setup-failed'].includes(o.status)) fail(`run ended ${o.status}: ${o.problem ?? ''}`);
  if (o.status === 'setup-failed') fail(`set-up failed: ${o.problem ?? ''}`);
  for (const [name, v] of o.values) {
    if (!name.startsWith('s')) continue;
    if (!(typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || v === null)) fail(`result ${name} is ${String(v)}`);
  }
  const again = runScenario(p.scenario, r.profile, { schedule: o.schedule, trace: true, maxSteps: 20_000 });
  if (again.divergence !== null) fail(`replay diverged: ${JSON.stringify(again.divergence)}`);
  if (JSON.stringify(again.trace) !== JSON.stringify(o.trace)) fail('replay gave a different trace');
  const bad = o.violated.filter((v) => v === 'refcount-sane' || v === 'dma-target-is-live');
  if (bad.length > 0) fail(`violated: ${bad.join(', ')}`);
}

describe('addrspace ops fuzz (mremap, madvise advice, under VFIO / io_uring pins)', () => {
  it('no JS exception, runs end, replays are identical, holders keep live frames', () => {
    fc.assert(fc.property(caseArb, (c) => check(c)), { seed: 12, numRuns: 400 });
    // The campaign must reach the ops, not only their argument checks (measured at seed 12:
    // 393 runs, 38 successful mremaps, 399 successful madvise calls counting the set-up's
    // MADV_HUGEPAGE, 26 generated ones on the THP).
    expect(STATS.runs).toBeGreaterThan(300);
    expect(STATS.okMremap).toBeGreaterThan(10);
    expect(STATS.okMadvise).toBeGreaterThan(50);
    expect(STATS.okThpAdvice).toBeGreaterThan(10);
  }, 600_000);

  it('the generator reaches the new ops with valid arguments (a sample run returns addresses and 0s)', () => {
    const sample = fc.sample(caseArb, { seed: 3, numRuns: 50 });
    expect(sample.some((c) => c.yaml.includes('mremap'))).toBe(true);
    expect(sample.some((c) => c.yaml.includes('MADV_PAGEOUT'))).toBe(true);
  });
});
