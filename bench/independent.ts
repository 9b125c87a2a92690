/**
 * The independent-threads scenario of issue 11 item 4: N threads, each in its own
 * process, each VFIO_IOMMU_MAP_DMAs its own page into its own container (its own
 * edu device and IOMMU group). No step of one thread conflicts with a step of another
 * except through the page allocator and object-id counters, so a partial-order
 * reduction should explore it in polynomial time.
 */
export function independentScenario(n: number): string {
  const procs: string[] = [];
  const devs: string[] = [];
  const cons: string[] = [];
  const threads: string[] = [];
  for (let i = 0; i < n; i++) {
    procs.push(`    - name: P${i}\n      mappings:\n        - { name: buf${i}, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS }`);
    devs.push(`    - { name: edu${i}, kind: edu, iommu_group: ${i + 5} }`);
    cons.push(`      - { name: C${i}, process: P${i}, groups: [edu${i}] }`);
    threads.push(`  - name: t${i}\n    process: P${i}\n    steps:\n      - VFIO_IOMMU_MAP_DMA: { container: $C${i}, vaddr: $buf${i}, iova: 0x100000, size: 1 page }\n        as: map${i}`);
  }
  return [
    `question: Do ${n} threads that each MAP_DMA their own page into their own container explore in polynomial time?`,
    'refs: [issue 11 item 4]',
    'tags: [bench]',
    'setup:',
    '  processes:',
    ...procs,
    '  devices:',
    ...devs,
    '  vfio:',
    '    containers:',
    ...cons,
    'threads:',
    ...threads,
    'expect:',
    `  v6.1: { values: { ${Array.from({ length: n }, (_, i) => `map${i}: 0`).join(', ')} } }`,
    '',
  ].join('\n');
}
