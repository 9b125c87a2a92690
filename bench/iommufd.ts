/**
 * iommufd benchmark (issue 14):
 *
 * - scenario_iommufd_map_16g_4k_seconds: IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP of 16 GiB of
 *   prefaulted 4 KiB anonymous memory, with a device attached (so the map pins and maps every
 *   page), run as `pinlab run` runs a scenario (parse + runScenario on v6.12+iommufd, the
 *   checker included). The figure is the run minus the same scenario without the two ioctls
 *   (set-up, prefault, open/bind/attach); `scenario_iommufd_map_16g_4k_total_seconds` is the
 *   whole run. Same goal as the type1 figure of the guest-scale issue.
 *
 * PINLAB_IOMMUFD_BENCH_GIB=<n> scales it down (extrapolated linearly to 16 GiB).
 */
import { parseScenario } from '../src/scenario/parse.js';
import { runScenario } from '../src/scenario/run.js';
import { profileOrThrow } from '../src/profiles/index.js';
import type { Benchmark, Figure } from './types.js';
import { rssMiB, settle } from './types.js';

export function scenarioText(gib: number, withMap: boolean): string {
  const len = `${Math.round(gib * 1024)}M`;
  const steps = [
    '      - open: { path: /dev/iommu }',
    '        as: fd',
    '      - IOMMU_IOAS_ALLOC: { iommufd: $fd }',
    '        as: ioas',
    '      - open: { path: /dev/vfio/devices/vfio0 }',
    '        as: dev',
    '      - VFIO_DEVICE_BIND_IOMMUFD: { device_fd: $dev, iommufd: $fd }',
    '        as: bind',
    '      - VFIO_DEVICE_ATTACH_IOMMUFD_PT: { device_fd: $dev, pt_id: $ioas.ioas_id }',
    '        as: attach',
    ...(withMap ? [
      `      - IOMMU_IOAS_MAP: { iommufd: $fd, ioas_id: $ioas.ioas_id, user_va: $buf, length: ${len}, iova: 0x100000000, flags: IOMMU_IOAS_MAP_FIXED_IOVA|IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE }`,
      '        as: map',
      `      - IOMMU_IOAS_UNMAP: { iommufd: $fd, ioas_id: $ioas.ioas_id, iova: 0x100000000, length: ${len} }`,
      '        as: unmap',
    ] : []),
  ];
  return [
    'question: bench',
    'setup:',
    '  memory:',
    `    zones: { DMA32: 64M, Normal: ${Math.round(gib * 1024) + 1024}M }`,
    '  processes:',
    '    - name: P',
    '      mappings:',
    `        - { name: buf, addr: 0x10000000000, length: ${len}, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED, populate: true }`,
    '  devices:',
    '    - { name: edu0, kind: edu, iommu_group: 5 }',
    'threads:',
    '  - process: P',
    '    steps:',
    ...steps,
    'expect:',
    `  v6.12+iommufd: { values: { attach: 0${withMap ? ', map: 0, unmap: 0' : ''} } }`,
    '',
  ].join('\n');
}

function timeRun(gib: number, withMap: boolean): { seconds: number; status: string; values: string } {
  const p = parseScenario(scenarioText(gib, withMap), 'bench/iommufd.yaml');
  if (!p.ok) throw new Error(`bench bug: scenario does not parse: ${JSON.stringify(p.errors[0])}`);
  const t0 = process.hrtime.bigint();
  const o = runScenario(p.scenario, profileOrThrow('v6.12+iommufd'));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  return { seconds, status: o.status, values: JSON.stringify([...o.values].map(([k, v]) => [k, String(v)])) };
}

function run(): Figure[] {
  const gib = Number(process.env.PINLAB_IOMMUFD_BENCH_GIB ?? '16');
  const scale = 16 / gib;
  settle();
  const rss0 = rssMiB();
  const base = timeRun(gib, false);
  const full = timeRun(gib, true);
  const ok = base.status === 'done' && full.status === 'done' && full.values.includes('"map","0"') && full.values.includes('"unmap","0"');
  if (!ok) process.stderr.write(`iommufd bench: run ${full.status}: ${full.values}\n`);
  const rss = rssMiB() - rss0;
  return [
    { name: 'scenario_iommufd_map_16g_4k_seconds', value: ok ? (full.seconds - base.seconds) * scale : NaN, unit: 's', goal: '< 2 (the type1 figure\'s)' },
    { name: 'scenario_iommufd_map_16g_4k_total_seconds', value: ok ? full.seconds * scale : NaN, unit: 's' },
    { name: 'scenario_iommufd_map_16g_4k_rss_mib', value: ok ? rss * scale : NaN, unit: 'MiB' },
  ];
}

export const benchmarks: Benchmark[] = [{ name: 'scenario_iommufd_map_16g_4k', run }];
