/**
 * include/uapi/linux/vfio.h: the container/group/type1 part of the VFIO UAPI.
 *
 * Read in 5.4.1 (lightcheen/linux-5.4.0 @ 144e8e60c6b5), 5.6.4 (shmily1012/linux-5.6.4
 * @ 93830a5cf2aa), Debian 6.1.192 and Debian 6.12.117. Ioctl numbers are `_IO(';', 100 + n)`
 * in every release read; the model keeps the full encoded number so a caller can pass
 * what a C program would.
 *
 * Argument structs carry their u64 fields as `bigint`: the kernel's overflow and wrap
 * checks (`iova + size - 1 < iova` on u64) are evaluated exactly, never on a rounded
 * JS number. u32 fields are plain numbers.
 */

/** VFIO_API_VERSION: the value VFIO_GET_API_VERSION returns. */
export const VFIO_API_VERSION = 0;

/** IOMMU types / extensions (the CHECK_EXTENSION and SET_IOMMU argument). */
export const VFIO_TYPE1_IOMMU = 1;
export const VFIO_SPAPR_TCE_IOMMU = 2;
export const VFIO_TYPE1v2_IOMMU = 3;
export const VFIO_DMA_CC_IOMMU = 4;
export const VFIO_EEH = 5;
export const VFIO_TYPE1_NESTING_IOMMU = 6;
export const VFIO_SPAPR_TCE_v2_IOMMU = 7;
export const VFIO_NOIOMMU_IOMMU = 8;
/** Since 5.12 (c19650995374 series). */
export const VFIO_UNMAP_ALL = 9;
/** Since 5.12 (c3cbab24db38 series). */
export const VFIO_UPDATE_VADDR = 10;

/** `_IO(type, nr)` on x86-64: direction 0, size 0, so just (type << 8) | nr. */
function _IO(type: number, nr: number): number {
  return (type << 8) | nr;
}
export const VFIO_TYPE = ';'.charCodeAt(0);
export const VFIO_BASE = 100;

export const VFIO_GET_API_VERSION = _IO(VFIO_TYPE, VFIO_BASE + 0);
export const VFIO_CHECK_EXTENSION = _IO(VFIO_TYPE, VFIO_BASE + 1);
export const VFIO_SET_IOMMU = _IO(VFIO_TYPE, VFIO_BASE + 2);
export const VFIO_GROUP_GET_STATUS = _IO(VFIO_TYPE, VFIO_BASE + 3);
export const VFIO_GROUP_SET_CONTAINER = _IO(VFIO_TYPE, VFIO_BASE + 4);
export const VFIO_GROUP_UNSET_CONTAINER = _IO(VFIO_TYPE, VFIO_BASE + 5);
export const VFIO_GROUP_GET_DEVICE_FD = _IO(VFIO_TYPE, VFIO_BASE + 6);
export const VFIO_IOMMU_GET_INFO = _IO(VFIO_TYPE, VFIO_BASE + 12);
export const VFIO_IOMMU_MAP_DMA = _IO(VFIO_TYPE, VFIO_BASE + 13);
export const VFIO_IOMMU_UNMAP_DMA = _IO(VFIO_TYPE, VFIO_BASE + 14);
/** Since 5.8 (d6a4c185660c). */
export const VFIO_IOMMU_DIRTY_PAGES = _IO(VFIO_TYPE, VFIO_BASE + 17);

/** struct vfio_group_status { u32 argsz; u32 flags; } */
export interface vfio_group_status {
  argsz: number;
  flags: number;
}
export const VFIO_GROUP_STATUS_MINSZ = 8;
export const VFIO_GROUP_FLAGS_VIABLE = 1 << 0;
export const VFIO_GROUP_FLAGS_CONTAINER_SET = 1 << 1;

/** struct vfio_iommu_type1_info { u32 argsz; u32 flags; u64 iova_pgsizes; u32 cap_offset; u32 pad; } */
export interface vfio_iommu_type1_info {
  argsz: number;
  flags: number;
  iova_pgsizes: bigint;
  cap_offset: number;
  /** MODEL: the capability chain the kernel copies after the struct, decoded. */
  caps: vfio_info_cap[];
}
/** offsetofend(struct vfio_iommu_type1_info, iova_pgsizes) */
export const VFIO_IOMMU_INFO_MINSZ = 16;
/** offsetofend(struct vfio_iommu_type1_info, cap_offset) */
export const VFIO_IOMMU_INFO_CAPSZ = 20;
/** sizeof(struct vfio_iommu_type1_info) */
export const VFIO_IOMMU_INFO_SIZEOF = 24;
export const VFIO_IOMMU_INFO_PGSIZES = 1 << 0;
export const VFIO_IOMMU_INFO_CAPS = 1 << 1;

export const VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE = 1;
export const VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION = 2;
export const VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL = 3;

/** A decoded capability of the GET_INFO chain (header id + version + payload). */
export type vfio_info_cap =
  | { id: typeof VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE; version: 1; iova_ranges: { start: bigint; end: bigint }[] }
  | { id: typeof VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION; version: 1; flags: number; pgsize_bitmap: bigint; max_dirty_bitmap_size: bigint }
  | { id: typeof VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL; version: 1; avail: number };

/**
 * sizeof() of each capability struct (header 8 bytes + payload, with the struct's own
 * padding): iova_range 16 + 16 per range, migration 32 (u32 flags padded before the u64s),
 * dma_avail 12 (header + u32, 4-byte aligned). vfio_info_cap_add() may round it up (6.6+).
 */
export function vfio_info_cap_size(c: vfio_info_cap): number {
  switch (c.id) {
    case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
      return 8 + 4 + 4 + 16 * c.iova_ranges.length;
    case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
      return 8 + 4 + 4 + 8 + 8;
    case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
      return 8 + 4;
  }
}

/** struct vfio_iommu_type1_dma_map { u32 argsz; u32 flags; u64 vaddr; u64 iova; u64 size; } */
export interface vfio_iommu_type1_dma_map {
  argsz: number;
  flags: number;
  vaddr: bigint;
  iova: bigint;
  size: bigint;
}
/** offsetofend(struct vfio_iommu_type1_dma_map, size) = sizeof */
export const VFIO_DMA_MAP_MINSZ = 32;
export const VFIO_DMA_MAP_FLAG_READ = 1 << 0;
export const VFIO_DMA_MAP_FLAG_WRITE = 1 << 1;
/** Since 5.12 (c3cbab24db38 series). */
export const VFIO_DMA_MAP_FLAG_VADDR = 1 << 2;

/** struct vfio_bitmap { u64 pgsize; u64 size; u64 __user *data; } */
export interface vfio_bitmap {
  pgsize: bigint;
  size: bigint;
  /** MODEL: the user buffer, one bit per page; null stands for a bad user pointer. */
  data: Uint8Array | null;
}
export const VFIO_BITMAP_SIZEOF = 24;

/** struct vfio_iommu_type1_dma_unmap { u32 argsz; u32 flags; u64 iova; u64 size; u8 data[]; } */
export interface vfio_iommu_type1_dma_unmap {
  argsz: number;
  flags: number;
  iova: bigint;
  size: bigint;
  /** The vfio_bitmap in data[] (GET_DIRTY_BITMAP only). */
  bitmap?: vfio_bitmap;
}
export const VFIO_DMA_UNMAP_MINSZ = 24;
/** Since 5.8 (d6a4c185660c series). */
export const VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP = 1 << 0;
/** Since 5.12 (c19650995374). */
export const VFIO_DMA_UNMAP_FLAG_ALL = 1 << 1;
/** Since 5.12 (c3cbab24db38 series). */
export const VFIO_DMA_UNMAP_FLAG_VADDR = 1 << 2;

/** struct vfio_iommu_type1_dirty_bitmap { u32 argsz; u32 flags; u8 data[]; } (5.8+) */
export interface vfio_iommu_type1_dirty_bitmap {
  argsz: number;
  flags: number;
  /** struct vfio_iommu_type1_dirty_bitmap_get { u64 iova; u64 size; struct vfio_bitmap bitmap; } */
  get?: { iova: bigint; size: bigint; bitmap: vfio_bitmap };
}
export const VFIO_DIRTY_BITMAP_MINSZ = 8;
export const VFIO_DIRTY_BITMAP_GET_SIZEOF = 16 + VFIO_BITMAP_SIZEOF;
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_START = 1 << 0;
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP = 1 << 1;
export const VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP = 1 << 2;

/** include/linux/vfio.h (5.4–5.19): the notifier event of the type1 DMA_UNMAP chain. */
export const VFIO_IOMMU_NOTIFY_DMA_UNMAP = 1 << 0;

/** The u64 range: what fits a `__u64` field. */
export const U64_MAX = (1n << 64n) - 1n;
