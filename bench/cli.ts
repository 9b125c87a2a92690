/**
 * Benchmarks of the path users take (issue 15 item 3): a scenario file written to a
 * temporary folder and run by the CLI, `node bin/pinlab.js run --timings --json <file>`
 * (needs `npm run build`; `npm ci` builds). Each figure is the median of several runs,
 * printed with its spread (min / max); PINLAB_BENCH_RUNS sets how many (default 3).
 *
 * - scenario_map_dma_16g_4k_seconds: the whole `pinlab run` (process start to exit) of a
 *   scenario that populates 16 GiB of 4 KiB anonymous memory at set-up, then
 *   VFIO_IOMMU_MAP_DMA + VFIO_IOMMU_UNMAP_DMA of it on v6.12 (goal < 3 s);
 *   scenario_map_dma_16g_4k_map_unmap_seconds: those two steps alone, as `--timings`
 *   reports them (goal <= 0.56 s; the real kernel maps it in about 0.28 s).
 *   PINLAB_SCENARIO_BENCH_GIB=<n> runs n GiB instead and scales the figures to 16 GiB
 *   linearly (the table says so).
 * - scenario_map_dma_1t_1g_seconds / scenario_map_dma_24t_1g_seconds: MAP_DMA of a guest
 *   of 1 TiB / 24 TiB on 1 GiB hugetlb pages (a `hugepages: { 1G: n }` pool), the whole
 *   run (goals < 0.5 s / < 5 s), with `_map_seconds` for the MAP_DMA step alone.
 * - scenario_map_dma_1t_1g_2t_seconds: the 1 TiB one while a second thread of the process maps a
 *   2 MiB ROM into the same container and waits for iommu->lock, which the guest's MAP_DMA holds
 *   (goal < 1 s; `_map_seconds`: both MAP_DMA steps).
 *
 * Each also has `_cpu_seconds`: the process's CPU time (user + system), as `--timings` prints
 * it, which load on a shared machine inflates less than wall time (informational).
 *
 * The library-level figures (bench/vfio.ts `vfio_map_*`) stay beside these, named apart.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Benchmark, Figure } from './types.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const IOVA = '0x100000000';

/**
 * A guest of `gib` GiB: RAM populated at set-up, MAP_DMA (+ UNMAP_DMA) of all of it. `second`: a
 * second thread of the process maps a 2 MiB ROM into the same container at the same time; the
 * scenario's schedule runs it until its MAP_DMA waits for the container's iommu->lock, which the
 * guest's MAP_DMA holds (T0*3: to the first batch's mmap_lock; T1*2: into its mutex_lock wait).
 */
export function guestScenario(gib: number, huge: boolean, unmap: boolean, second = false): string {
  const size = `${gib}G`;
  const flags = `MAP_PRIVATE|MAP_ANONYMOUS${huge ? '|MAP_HUGETLB|MAP_HUGE_1GB' : ''}`;
  return [
    `question: MAP_DMA of a ${size} guest on ${huge ? '1 GiB hugetlb' : '4 KiB anonymous'} pages${second ? ' while a second thread\'s MAP_DMA waits for the container lock' : ''} (benchmark)`,
    ...(second ? ["schedule: 'T0*3 T1*2 ...'"] : []),
    'setup:',
    '  memory:',
    `    zones: { DMA32: 64M, Normal: ${gib + 1}G }`,
    ...(huge ? [`    hugepages: { 1G: ${gib} }`] : []),
    '  processes:',
    '    - name: qemu',
    '      mappings:',
    `        - { name: ram, length: ${size}, prot: PROT_READ|PROT_WRITE, flags: ${flags}, populate: true }`,
    ...(second ? ['        - { name: rom, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }'] : []),
    '  devices:',
    '    - { name: nic0, kind: edu, iommu_group: 5 }',
    '  vfio:',
    '    containers:',
    '      - { name: C, process: qemu, iommu: VFIO_TYPE1v2_IOMMU, groups: [nic0] }',
    'threads:',
    '  - process: qemu',
    '    steps:',
    `      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $ram, iova: ${IOVA}, size: ${size}, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }`,
    '        as: map',
    ...(unmap ? [`      - VFIO_IOMMU_UNMAP_DMA: { container: $C, iova: ${IOVA}, size: ${size} }`, '        as: unmap'] : []),
    ...(second ? [
      '  - process: qemu',
      '    steps:',
      '      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $rom, iova: 0x20000000000, size: 2M, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE }',
      '        as: rom_map',
    ] : []),
    'expect:',
    `  v6.12: { values: { map: 0${unmap ? ', unmap: 0' : ''}${second ? ', rom_map: 0' : ''} } }`,
    '',
  ].join('\n');
}

interface CliRun {
  readonly seconds: number;
  /** Seconds of the steps whose name matches, from `--timings`. */
  readonly steps: number;
  /** CPU seconds of the whole process (user + system), from `--timings`. */
  readonly cpu: number;
}

/**
 * A process faults in `gib` GiB of 4 KiB anonymous memory in one step: mmap(MAP_POPULATE),
 * which populates through GUP (populate_vma_page_range → __get_user_pages → a write fault
 * per page), the checker watching the step as in any run.
 */
export function faultInScenario(gib: number): string {
  return [
    `question: fault in ${gib} GiB of 4 KiB anonymous memory with mmap(MAP_POPULATE) (benchmark)`,
    'setup:',
    '  memory:',
    `    zones: { DMA32: 64M, Normal: ${gib + 1}G }`,
    '  processes:',
    '    - name: p',
    'threads:',
    '  - process: p',
    '    steps:',
    `      - mmap: { length: ${gib}G, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_POPULATE }`,
    '        as: buf',
    'expect:',
    '  v6.12: { values: { buf: ok } }',
    '',
  ].join('\n');
}

/** Run `pinlab run --timings --json` on the scenario text; wall time of the whole process and of the matching steps. */
function runCli(text: string, stepPattern: RegExp): CliRun {
  const dir = mkdtempSync(join(tmpdir(), 'pinlab-bench-'));
  try {
    const file = join(dir, 'guest.yaml');
    writeFileSync(file, text);
    const t0 = process.hrtime.bigint();
    // Text output (--json includes the trace, and a traced run takes no merged steps).
    const r = spawnSync(process.execPath, [join(root, 'bin', 'pinlab.js'), 'run', '--timings', file], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    if (r.status !== 0) throw new Error(`pinlab run exited ${r.status ?? r.signal}: ${r.stderr.slice(0, 400)}${r.stdout.slice(0, 400)}`);
    let steps = 0;
    let cpu = NaN;
    for (const line of r.stdout.split('\n')) {
      const t = /^ {2}(.*\S)\s+(\d+\.\d+) s$/.exec(line);
      if (t !== null && stepPattern.test(t[1])) steps += Number(t[2]);
      const c = /^process CPU time \(user \+ system\): (\d+\.\d+) s$/.exec(line);
      if (c !== null) cpu = Number(c[1]);
    }
    return { seconds, steps, cpu };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The median of the values, with min and max, as a figure. */
export function spreadFigure(name: string, values: readonly number[], unit: string, goal?: string): Figure {
  const v = [...values].sort((a, b) => a - b);
  const median = v.length % 2 === 1 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
  return { name, value: median, unit, min: v[0], max: v[v.length - 1], runs: v.length, ...(goal === undefined ? {} : { goal }) };
}

function runs(): number {
  return Math.max(1, Number(process.env.PINLAB_BENCH_RUNS ?? '3'));
}

/** The median of runs() CLI runs of `text`: the whole run, the matching steps, the process CPU (each scaled by `scale`). */
export function measure(prefix: string, text: string, steps: RegExp, stepsName: string, scale: number, goals: { whole: string; steps: string }): Figure[] {
  const all: CliRun[] = [];
  for (let i = 0; i < runs(); i++) all.push(runCli(text, steps));
  return [
    spreadFigure(`${prefix}_seconds`, all.map((r) => r.seconds * scale), 's', goals.whole),
    spreadFigure(`${prefix}_${stepsName}_seconds`, all.map((r) => r.steps * scale), 's', goals.steps),
    // Informational: the process's CPU time, which load on a shared machine inflates less than wall time.
    spreadFigure(`${prefix}_cpu_seconds`, all.map((r) => r.cpu * scale), 's', 'informational'),
  ];
}

export const benchmarks: Benchmark[] = [
  {
    name: 'scenario_map_dma_16g_4k',
    run: () => {
      const gib = Number(process.env.PINLAB_SCENARIO_BENCH_GIB ?? '16');
      const scaled = gib === 16 ? '' : ` (measured at ${gib} GiB, scaled)`;
      return measure('scenario_map_dma_16g_4k', guestScenario(gib, false, true), /VFIO_IOMMU_(MAP|UNMAP)_DMA/, 'map_unmap', 16 / gib, { whole: `< 3 s${scaled}`, steps: `<= 0.56 s${scaled}` });
    },
  },
  {
    // The same guest mapped and kept until the process exits (no UNMAP_DMA): the end-of-run
    // checks then read every pinned page (pin-balance-at-exit, locked-vm-accounting).
    name: 'scenario_map_dma_16g_4k_held',
    run: () => {
      const gib = Number(process.env.PINLAB_SCENARIO_BENCH_GIB ?? '16');
      const scaled = gib === 16 ? '' : ` (measured at ${gib} GiB, scaled)`;
      return measure('scenario_map_dma_16g_4k_held', guestScenario(gib, false, false), /VFIO_IOMMU_MAP_DMA/, 'map', 16 / gib, { whole: `< 3 s${scaled}`, steps: `informational${scaled}` });
    },
  },
  {
    // The per-page figure of the path users take (the library's handle_mm_fault loop is
    // bench/mm.ts `fault_in_4k_library_ns_per_page`).
    name: 'scenario_fault_in_4k',
    run: () => {
      const gib = Number(process.env.PINLAB_FAULT_IN_BENCH_GIB ?? '4');
      const pages = (gib * 2 ** 30) / 4096;
      const all: CliRun[] = [];
      for (let i = 0; i < runs(); i++) all.push(runCli(faultInScenario(gib), /^T0 step 1 mmap$/));
      const tag = `(${gib} GiB, mmap MAP_POPULATE step)`;
      return [
        spreadFigure('fault_in_4k_ns_per_page', all.map((r) => (r.steps * 1e9) / pages), 'ns', `<= 300 ${tag}`),
        spreadFigure('scenario_fault_in_4k_seconds', all.map((r) => r.seconds), 's', `informational: the whole run ${tag}`),
        spreadFigure('scenario_fault_in_4k_cpu_seconds', all.map((r) => r.cpu), 's', `informational ${tag}`),
      ];
    },
  },
  {
    name: 'scenario_map_dma_1t_1g',
    run: () => measure('scenario_map_dma_1t_1g', guestScenario(1024, true, false), /VFIO_IOMMU_MAP_DMA/, 'map', 1, { whole: '< 0.5 s', steps: 'informational' }),
  },
  {
    // The 1 TiB guest while a second thread's MAP_DMA waits for the container lock (Sched.aloneHolding).
    name: 'scenario_map_dma_1t_1g_2t',
    run: () => measure('scenario_map_dma_1t_1g_2t', guestScenario(1024, true, false, true), /VFIO_IOMMU_MAP_DMA/, 'map', 1, { whole: '< 1 s', steps: 'informational: both MAP_DMA steps' }),
  },
  {
    name: 'scenario_map_dma_24t_1g',
    run: () => measure('scenario_map_dma_24t_1g', guestScenario(24 * 1024, true, false), /VFIO_IOMMU_MAP_DMA/, 'map', 1, { whole: '< 5 s', steps: 'informational' }),
  },
];
