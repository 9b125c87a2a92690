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
} as const satisfies Record<string, PatchInfo>;

export const remoteReleaseAdds: ReleaseAdds<keyof typeof remotePatches> = {
  // Stable backport: 8d7071af8907 is v6.5 upstream, in Debian 6.1.192 (mm/memory.c __access_remote_vm).
  'v6.1': ['expand-stack-write-lock'],
};
