/**
 * A VMM-like scenario: one process maps `mib` MiB of populated anonymous memory (4 KiB
 * pages) and maps it for DMA with VFIO_IOMMU_MAP_DMA (the "16 GiB guest" of issue 17's
 * responsiveness goal). Used by tests/unit/serve (small sizes) and bench/serve.ts (16 GiB).
 */
export interface GuestOptions {
  /** The question line (default: the serve test's). */
  question?: string;
  /** ZONE_NORMAL's size in MiB (default: the guest plus 64 MiB). */
  normalMib?: number;
  /** More steps of the thread after the MAP_DMA step, as scenario text (each item indented as a step). */
  moreSteps?: string;
  /** The declared values of v6.12 (default: `map: 0`). */
  values?: string;
}

export function largeGuestScenario(mib: number, o: GuestOptions = {}): string {
  return `question: ${o.question ?? `is the state of a ${mib} MiB guest mapping served page by page?`}
setup:
  memory:
    zones: { DMA32: 16M, Normal: ${o.normalMib ?? mib + 64}M }
  processes:
    - name: qemu
      caps: [CAP_IPC_LOCK]
      mappings:
        - { name: ram, length: ${mib}M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }
  devices:
    - { name: edu0, kind: edu, iommu_group: 5 }
  vfio:
    containers:
      - { name: C, process: qemu, groups: [edu0] }
threads:
  - process: qemu
    steps:
      - VFIO_IOMMU_MAP_DMA: { container: $C, vaddr: $ram, iova: 0x100000000, size: ${mib}M }
        as: map
${o.moreSteps ?? ''}expect:
  v6.12:
    values: { ${o.values ?? 'map: 0'} }
`;
}
