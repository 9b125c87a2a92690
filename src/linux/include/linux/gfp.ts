/**
 * include/linux/gfp.h (v5.4) / include/linux/gfp_types.h (v6.1, v6.12): allocation
 * flags with their x86-64 kernel values, the zone a mask may allocate from, and the
 * migratetype it asks for. The allocator itself is mm/page_alloc.ts.
 */
export type gfp_t = number;

export const ___GFP_DMA = 0x01;
export const ___GFP_HIGHMEM = 0x02;
export const ___GFP_DMA32 = 0x04;
export const ___GFP_MOVABLE = 0x08;
export const ___GFP_RECLAIMABLE = 0x10;
export const ___GFP_HIGH = 0x20;
export const ___GFP_IO = 0x40;
export const ___GFP_FS = 0x80;
export const ___GFP_ZERO = 0x100;
export const ___GFP_ATOMIC = 0x200;
export const ___GFP_DIRECT_RECLAIM = 0x400;
export const ___GFP_KSWAPD_RECLAIM = 0x800;
export const ___GFP_NOWARN = 0x2000;
export const ___GFP_RETRY_MAYFAIL = 0x4000;
export const ___GFP_NOFAIL = 0x8000;
export const ___GFP_NORETRY = 0x10000;
export const ___GFP_COMP = 0x40000;
export const ___GFP_NOMEMALLOC = 0x80000;
export const ___GFP_HARDWALL = 0x100000;
export const ___GFP_THISNODE = 0x200000;
export const ___GFP_ACCOUNT = 0x400000;

export const __GFP_DMA = ___GFP_DMA;
export const __GFP_HIGHMEM = ___GFP_HIGHMEM;
export const __GFP_DMA32 = ___GFP_DMA32;
export const __GFP_MOVABLE = ___GFP_MOVABLE;
export const __GFP_RECLAIMABLE = ___GFP_RECLAIMABLE;
export const __GFP_HIGH = ___GFP_HIGH;
export const __GFP_IO = ___GFP_IO;
export const __GFP_FS = ___GFP_FS;
export const __GFP_ZERO = ___GFP_ZERO;
export const __GFP_ATOMIC = ___GFP_ATOMIC;
export const __GFP_DIRECT_RECLAIM = ___GFP_DIRECT_RECLAIM;
export const __GFP_KSWAPD_RECLAIM = ___GFP_KSWAPD_RECLAIM;
export const __GFP_RECLAIM = ___GFP_DIRECT_RECLAIM | ___GFP_KSWAPD_RECLAIM;
export const __GFP_NOWARN = ___GFP_NOWARN;
export const __GFP_RETRY_MAYFAIL = ___GFP_RETRY_MAYFAIL;
export const __GFP_NOFAIL = ___GFP_NOFAIL;
export const __GFP_NORETRY = ___GFP_NORETRY;
export const __GFP_COMP = ___GFP_COMP;
export const __GFP_NOMEMALLOC = ___GFP_NOMEMALLOC;
export const __GFP_HARDWALL = ___GFP_HARDWALL;
export const __GFP_THISNODE = ___GFP_THISNODE;
export const __GFP_ACCOUNT = ___GFP_ACCOUNT;

export const GFP_ZONEMASK = __GFP_DMA | __GFP_HIGHMEM | __GFP_DMA32 | __GFP_MOVABLE;
export const GFP_ATOMIC = __GFP_HIGH | __GFP_ATOMIC | __GFP_KSWAPD_RECLAIM;
export const GFP_KERNEL = __GFP_RECLAIM | __GFP_IO | __GFP_FS;
export const GFP_KERNEL_ACCOUNT = GFP_KERNEL | __GFP_ACCOUNT;
export const GFP_NOWAIT = __GFP_KSWAPD_RECLAIM;
export const GFP_NOIO = __GFP_RECLAIM;
export const GFP_NOFS = __GFP_RECLAIM | __GFP_IO;
export const GFP_USER = __GFP_RECLAIM | __GFP_IO | __GFP_FS | __GFP_HARDWALL;
export const GFP_DMA32 = __GFP_DMA32;
export const GFP_HIGHUSER = GFP_USER | __GFP_HIGHMEM;
/** MODEL: the KASAN skip bits 6.1 adds to GFP_HIGHUSER_MOVABLE do not matter to the model and are left out. */
export const GFP_HIGHUSER_MOVABLE = GFP_HIGHUSER | __GFP_MOVABLE;
export const GFP_TRANSHUGE_LIGHT = (GFP_HIGHUSER_MOVABLE | __GFP_COMP | __GFP_NOMEMALLOC | __GFP_NOWARN) & ~__GFP_RECLAIM;
export const GFP_TRANSHUGE = GFP_TRANSHUGE_LIGHT | __GFP_DIRECT_RECLAIM;

/** enum zone_type (include/linux/mmzone.h; x86-64 with CONFIG_ZONE_DMA off in the model). */
export const ZONE_DMA32 = 0;
export const ZONE_NORMAL = 1;
export const ZONE_MOVABLE = 2;
export const ZONE_DEVICE = 3;
export type zone_type = typeof ZONE_DMA32 | typeof ZONE_NORMAL | typeof ZONE_MOVABLE | typeof ZONE_DEVICE;
export const ZONE_NAMES: readonly string[] = ['DMA32', 'Normal', 'Movable', 'Device'];

/**
 * gfp_zone(): the highest zone a mask may allocate from (include/linux/gfp.h; the
 * GFP_ZONE_TABLE lookup, reduced to the zones the model has). ZONE_MOVABLE needs both
 * __GFP_HIGHMEM and __GFP_MOVABLE (on x86-64 highmem means "above Normal"); __GFP_DMA
 * folds into DMA32 because the model has no ZONE_DMA.
 */
export function gfp_zone(flags: gfp_t): zone_type {
  if (flags & (__GFP_DMA | __GFP_DMA32)) return ZONE_DMA32;
  if ((flags & (__GFP_HIGHMEM | __GFP_MOVABLE)) === (__GFP_HIGHMEM | __GFP_MOVABLE)) return ZONE_MOVABLE;
  return ZONE_NORMAL;
}

/** enum migratetype (include/linux/mmzone.h), reduced to the types the model distinguishes. */
export const MIGRATE_UNMOVABLE = 0;
export const MIGRATE_MOVABLE = 1;
export const MIGRATE_RECLAIMABLE = 2;
export const MIGRATE_CMA = 4;
export const MIGRATE_ISOLATE = 5;

/** gfp_migratetype() (v5.4 gfpflags_to_migratetype): movable / reclaimable / unmovable. */
export function gfp_migratetype(flags: gfp_t): number {
  if (flags & __GFP_MOVABLE) return MIGRATE_MOVABLE;
  if (flags & __GFP_RECLAIMABLE) return MIGRATE_RECLAIMABLE;
  return MIGRATE_UNMOVABLE;
}
