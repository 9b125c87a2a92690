/** include/uapi/linux/mman.h: mremap() flags (MREMAP_DONTUNMAP from v5.7). */
export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
export const MREMAP_DONTUNMAP = 4;
