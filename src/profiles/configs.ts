/**
 * Kernel CONFIG options the model reads. Code never branches on a config at a call
 * site: a config-dependent helper is a stub with the kernel's signature when the
 * option is off (IS_ENABLED(k, 'CONFIG_FS_DAX') inside check_dax_vmas), as the
 * kernel's `#else static inline` stubs are.
 */
const configs = {
  CONFIG_FS_DAX: 'Direct access to persistent memory from file systems mounted -o dax (fs-DAX).',
  CONFIG_DEV_DAX: 'Device-DAX character devices (/dev/daxX.Y).',
  CONFIG_ZONE_DEVICE: 'ZONE_DEVICE struct pages for persistent memory.',
  CONFIG_CMA: 'Contiguous memory allocator: MIGRATE_CMA pageblocks inside ordinary zones.',
  CONFIG_MIGRATION: 'Page migration (needed to move pages out of CMA / ZONE_MOVABLE).',
  CONFIG_MEMORY_HOTPLUG: 'ZONE_MOVABLE (movablecore=) for hot-removable memory.',
  CONFIG_MEMORY_HOTREMOVE: 'Offlining memory blocks (/sys/devices/system/memory/memoryN/state: offline); without it offline_pages() is -EINVAL.',
  CONFIG_TRANSPARENT_HUGEPAGE: 'Transparent huge pages (PMD-mapped anonymous and shmem folios).',
  CONFIG_HUGETLBFS: 'hugetlbfs and MAP_HUGETLB / MFD_HUGETLB.',
  CONFIG_SHMEM: 'tmpfs / shmem / memfd.',
  CONFIG_IO_URING: 'io_uring, including IORING_REGISTER_BUFFERS.',
  CONFIG_VFIO: 'The VFIO framework (container and group devices).',
  CONFIG_VFIO_IOMMU_TYPE1: 'The VFIO type1 IOMMU backend.',
  CONFIG_VFIO_MDEV: 'Mediated devices (external pinning through vfio_pin_pages()).',
  CONFIG_IOMMUFD: 'iommufd (/dev/iommu): IOAS objects, IOMMU_IOAS_MAP/UNMAP/COPY, access objects (6.2+; off in Debian 6.12).',
  CONFIG_IOMMUFD_VFIO_CONTAINER: 'iommufd serves /dev/vfio/vfio (the type1 ioctls) instead of VFIO_CONTAINER + type1.',
  CONFIG_VFIO_DEVICE_CDEV: 'VFIO device cdevs /dev/vfio/devices/vfioN bound to an iommufd (VFIO_DEVICE_BIND_IOMMUFD).',
  CONFIG_IOMMUFD_TEST: "iommufd's selftest hooks (IOMMU_TEST_CMD); built into the harness's judge kernel.",
} as const;

/** The options only the iommufd configurations have (Debian's kernels build none of them). */
export const IOMMUFD_CONFIGS: readonly ConfigId[] = ['CONFIG_IOMMUFD', 'CONFIG_IOMMUFD_VFIO_CONTAINER', 'CONFIG_VFIO_DEVICE_CDEV', 'CONFIG_IOMMUFD_TEST'];

export type ConfigId = keyof typeof configs;

export const CONFIGS: Readonly<Record<ConfigId, string>> = configs;

export const CONFIG_IDS: readonly ConfigId[] = Object.keys(configs) as ConfigId[];

export function isConfigId(s: string): s is ConfigId {
  return Object.prototype.hasOwnProperty.call(configs, s);
}
