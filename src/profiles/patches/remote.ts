/**
 * Patches of remote access through GUP (issue 12 item 2: /proc/PID/mem, ptrace, the
 * access_remote_vm() walk of mm/memory.c). Kept in an area file of its own so it merges
 * beside the GUP area.
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const remotePatches = {
  'expand-stack-write-lock': {
    subject: 'mm: always expand the stack with the mmap write lock held',
    commit: '8d7071af8907',
    author: 'Linus Torvalds',
    release: 'v6.5',
    files: ['mm/memory.c', 'mm/mmap.c', 'mm/gup.c', 'fs/exec.c'],
    effect: 'neutral',
    summary:
      '__access_remote_vm() looks the VMA at addr up before the walk (vma_lookup) and, when there is none, calls ' +
      'expand_stack(), which drops mmap_lock for read, takes it for write and, failing, returns with it dropped ' +
      '(nothing mapped: 0 bytes, nothing copied). Upstream the same commit makes a page GUP refuses with no VMA ' +
      'at addr try expand_stack() and retry. Debian 6.1.192 carries the stable backport in its own shape (the ' +
      'up-front lookup only; read in linux-source-6.1 mm/memory.c). MODEL: no VM_GROWSDOWN VMA, so expand_stack ' +
      'never grows anything; what changes is the lock drop and re-take, and the scenarios give the same results.',
    scenarios: ['remote/proc-mem-prot-none'],
  },
  'gup-remote-vmas-removed': {
    subject: 'mm/gup: remove vmas parameter from get_user_pages_remote()',
    commit: 'ca5e863233e8',
    author: 'Lorenzo Stoakes',
    release: 'v6.5',
    files: ['mm/gup.c', 'mm/memory.c', 'include/linux/mm.h'],
    requires: ['expand-stack-write-lock'],
    effect: 'neutral',
    summary:
      '__access_remote_vm() takes each page with get_user_page_vma_remote() (get_user_pages_remote() of one page ' +
      'without a vmas array, then vma_lookup; FOLL_NOWAIT refused with a WARN), and a refused page with no VMA at ' +
      'addr goes to expand_stack() (from 8d7071af8907, which fixed this conversion: as first merged the ->access ' +
      'fallback was never reached). Requires expand-stack-write-lock: the model has the 6.5+ body of both only.',
    scenarios: ['remote/proc-mem-prot-none'],
  },
  'x86-reserve-low-1m': {
    subject: 'x86/setup: Always reserve the first 1M of RAM',
    commit: 'f1d4d47c5851',
    author: 'Mike Rapoport',
    release: 'v5.13',
    files: ['arch/x86/realmode/init.c', 'arch/x86/kernel/setup.c'],
    effect: 'changes-verdict',
    summary:
      'reserve_real_mode() reserves all of [0, 1 MiB) in memblock, so every page below 1 MiB is PageReserved. ' +
      'Before it (5.4.1 and 5.12.9 read: trim_low_memory_range reserves only [0, CONFIG_X86_RESERVE_LOW = 64 KiB), ' +
      'reserve_bios_regions the EBDA up to 1 MiB, reserve_real_mode the trampoline) the low RAM from 64 KiB up ' +
      'goes to the page allocator, and x86 __ioremap_caller refuses to map it (not PageReserved: WARN, NULL): a ' +
      '/dev/mem mapping of it (devmem_is_allowed allows RAM below 1 MiB) cannot be reached through ' +
      'generic_access_phys (/proc/PID/mem, ptrace: -EIO). 5.15.24, Debian 6.1.192 and 6.12.118 read: ' +
      'memblock_reserve(0, SZ_1M) in reserve_real_mode. Id from the later patches that cite it (x86 kdump DMA ' +
      'zone fixes) and a push list of 7 June 2021 of a tree following mainline after 5.13-rc4 (acme/linux ' +
      'perf/urgent); it went in through tip x86/urgent during the 5.13 rcs, so v5.13 (5.12.9 lacks it).',
    scenarios: ['remote/devmem-access-cross'],
  },
} as const satisfies Record<string, PatchInfo>;

export const remoteReleaseAdds: ReleaseAdds<keyof typeof remotePatches> = {
  // Stable backport: 8d7071af8907 is v6.5 upstream, in Debian 6.1.192 (mm/memory.c __access_remote_vm).
  'v6.1': ['expand-stack-write-lock'],
};
