/**
 * iommufd benchmark (issue 14), through the CLI as the type1 one (bench/cli.ts): a scenario
 * file run by `node bin/pinlab.js run --timings` (needs `npm run build`), the median of
 * PINLAB_BENCH_RUNS runs (default 3) with its spread:
 *
 * - scenario_iommufd_map_16g_4k_seconds: the whole `pinlab run` (process start to exit) of a
 *   scenario that populates 16 GiB of 4 KiB anonymous memory at set-up, opens /dev/iommu and a
 *   device cdev, binds and attaches it (so the map pins and maps every page), then
 *   IOMMU_IOAS_MAP + IOMMU_IOAS_UNMAP of all of it on v6.12+iommufd (goal < 3 s, the type1
 *   figure's); `_map_unmap_seconds`: those two steps, as `--timings` reports them (goal
 *   <= 0.56 s); `_cpu_seconds`: the process's CPU time (informational).
 *
 * PINLAB_IOMMUFD_BENCH_GIB=<n> runs n GiB instead and scales the figures to 16 GiB linearly.
 */
import type { Benchmark, Figure } from './types.js';
import { measure } from './cli.js';

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

function run(): Figure[] {
  const gib = Number(process.env.PINLAB_IOMMUFD_BENCH_GIB ?? '16');
  const scaled = gib === 16 ? '' : ` (measured at ${gib} GiB, scaled)`;
  return measure('scenario_iommufd_map_16g_4k', scenarioText(gib, true), /IOMMU_IOAS_(MAP|UNMAP)$/, 'map_unmap', 16 / gib, { whole: `< 3 s (the type1 figure's)${scaled}`, steps: `<= 0.56 s${scaled}` });
}

export const benchmarks: Benchmark[] = [{ name: 'scenario_iommufd_map_16g_4k', run }];
