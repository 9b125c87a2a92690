/**
 * Registry entries for io_uring fixed buffers (IORING_REGISTER_BUFFERS /
 * IORING_UNREGISTER_BUFFERS). Trees read: fs/io_uring.c of 5.4.1 and 5.6.4,
 * io_uring/rsrc.c of Debian 6.1.192, io_uring/rsrc.c + io_uring/memmap.c of Debian 6.12.117.
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const ioUringPatches = {
  'io-uring-ring-memcg': {
    subject: 'io_uring: place ring SQ/CQ arrays under memcg memory limits',
    commit: '26bfa89e25f4',
    author: 'Jens Axboe',
    release: 'v5.12',
    files: ['fs/io_uring.c'],
    effect: 'changes-verdict',
    summary:
      'Before it, io_uring_create() charged ring_pages() — the SQ/CQ ring block and the SQE array, each rounded up ' +
      'to a power-of-two page count — to user->locked_vm when the creator lacked CAP_IPC_LOCK, so io_uring_setup() ' +
      'failed with -ENOMEM past RLIMIT_MEMLOCK and the ring ate into the limit its fixed buffers share ' +
      '(5.4.1, 5.6.4: io_uring_create, ring_pages, io_ring_ctx_free). After it the rings are allocated with ' +
      'GFP_KERNEL_ACCOUNT (memory cgroup) and RLIMIT_MEMLOCK only limits registered buffers. Subject and id from ' +
      'the for-5.12/io_uring branch log.',
    scenarios: ['io_uring/setup-ring-memlock'],
  },
  'io-uring-hpage-accounting': {
    subject: 'io_uring: improve registered buffer accounting for huge pages',
    commit: 'de2939388be5',
    author: 'Jens Axboe',
    release: 'v5.10',
    files: ['fs/io_uring.c'],
    effect: 'changes-verdict',
    summary:
      'io_buffer_account_pin(): a registered buffer charges user->locked_vm (and mm->pinned_vm) per base page for ' +
      'small pages but once per compound page, for the whole compound page (page_size(head) >> PAGE_SHIFT), skipping ' +
      'heads already charged by this or an earlier buffer of the ring. 5.4-5.9 charged nr_pages of the range ' +
      'before pinning; 5.10.7 charges after pinning (read in its io_sqe_buffer_register()). Id confirmed by ' +
      'Fixes: tags.',
    scenarios: ['io_uring/register-thp-one-page', 'io_uring/register-thp'],
  },
  'io-uring-reg-buf-same-file': {
    subject: 'io_uring/rsrc: disallow multi-source reg buffers',
    commit: 'edd478269640',
    author: 'Pavel Begunkov',
    release: 'v6.3',
    files: ['io_uring/rsrc.c'],
    effect: 'changes-verdict',
    summary:
      'io_pin_pages(): every VMA of one registered buffer must have the same vm_file as the first (else -EINVAL); a ' +
      'file-backed buffer must be shmem or hugetlbfs (else -EOPNOTSUPP). In Debian 6.1.192 via stable. The shmem ' +
      'exemption predates this commit (5.12.9 refuses every file but hugetlbfs, 5.15.24 lets shmem through): the ' +
      'model reads it with io-uring-rsrc-buffers.',
    scenarios: ['io_uring/register-mixed-vmas', 'gup/bug11-io-uring-ext4-shared'],
  },
  'io-uring-gup-file-check': {
    subject: 'io_uring: rsrc: delegate VMA file-backed check to GUP',
    commit: '34ed8d0dcd69',
    author: 'Lorenzo Stoakes',
    release: 'v6.5',
    files: ['io_uring/rsrc.c'],
    requires: ['io-uring-reg-buf-same-file'],
    effect: 'changes-verdict',
    summary:
      'io_pin_pages() no longer looks at VMAs: it pins with FOLL_WRITE|FOLL_LONGTERM and relies on GUP refusing ' +
      'writable long-term pins of file mappings that need dirty tracking (-EFAULT). In 6.12 it calls ' +
      'pin_user_pages_fast() (io_uring/memmap.c) without taking mmap_lock itself. So a shared ext4 mapping fails ' +
      '-EFAULT (was -EOPNOTSUPP), and a MAP_PRIVATE file mapping or mixed sources are accepted. Id from a commit list.',
    scenarios: ['gup/bug11-io-uring-ext4-shared', 'io_uring/register-ext4-shared'],
  },
  'io-uring-coalesce-hugepages': {
    subject: 'io_uring/rsrc: enable multi-hugepage buffer coalescing',
    commit: 'a8edbb424b13',
    author: 'Chenliang Li',
    release: 'v6.11',
    files: ['io_uring/rsrc.c'],
    requires: ['io-uring-gup-file-check'],
    effect: 'changes-verdict',
    summary:
      'When a buffer consists of whole large folios of one size, io_sqe_buffer_register() keeps one page (and one ' +
      'pin) per folio and unpins the rest, so the folio pincount after registration is 1 per folio instead of 1 ' +
      'per base page. Id confirmed by Fixes: tags.',
    folds: [
      { change: 'io_pin_pages() moves to io_uring/memmap.c and pins with pin_user_pages_fast() without taking mmap_lock (6.5.0 and 6.6.9 io_uring/rsrc.c: mmap_read_lock + pin_user_pages(); Debian 6.12.117: memmap.c). Searched again (helper-13f): pages searches for an io_pin_pages() move found only later io_uring/memmap region commits; find_string finds Jens Axboe\'s "io_uring: unify io_pin_pages()" (posted 28 March 2024) under eight ids across rebases of the io_uring branches, 1943f96b3816 among them in linux-next of 16 April 2024 and in a posted patch\'s Fixes: tag, none confirmed as the mainline one; the creation of memmap.c is a separate commit not searched for', commit: null, from: 'v6.7', by: 'v6.12' },
    ],
    scenarios: ['io_uring/register-thp'],
  },
  'io-uring-mm-pinned-vm': {
    subject: 'io_uring: report pinned memory usage',
    commit: '309758254ea6',
    author: 'Bijan Mottahedeh',
    release: 'v5.9',
    files: ['fs/io_uring.c'],
    effect: 'changes-verdict',
    summary:
      'The ring keeps the creator\'s mm (ctx->sqo_mm in 5.9.1, ctx->mm_account from 5.10) and adds registered ' +
      'buffer pages to its pinned_vm (io_account_mem(ACCT_PINNED)), whatever CAP_IPC_LOCK says; 5.4-5.8 charge ' +
      'only user->locked_vm. Subject from the for-5.9 io_uring pull; id from the Fixes: tags of later fixes.',
    folds: [
      { change: 'the ring\'s own pages are added to the creator mm\'s locked_vm (ACCT_LOCKED) until io-uring-ring-memcg (Bijan Mottahedeh, "io_uring: separate reporting of ring pages from registered pages", same series; 5.8.1 no, 5.9.1-5.11.14 yes; io_uring.ts io_uring_setup). Searched again (helper-13f): find_string on the subject: the patch (16 June 2020), the cover letter, Jens Axboe\'s "Applied" and the for-5.9/io_uring pull, none with ids; no Fixes: tag names it', commit: null, from: 'v5.9', by: 'v5.9' },
      { change: 'the RLIMIT_MEMLOCK charge of user->locked_vm is __io_account_mem(user), wrapped by io_account_mem(ctx) (5.8.1: io_account_mem(user) does the charge; 5.9.1 __io_account_mem; the function an errno reason names, rsrc.ts io_acct_site; Bijan Mottahedeh, "io_uring: add wrappers for memory accounting", same series). Searched again (helper-13f): as for the ring-pages fold: the series mails and the pull list no ids', commit: null, from: 'v5.9', by: 'v5.9' },
    ],
    scenarios: ['io_uring/register-pinned-vm'],
  },
  'io-uring-rsrc-buffers': {
    subject: 'io_uring: implement fixed buffers registration similar to fixed files',
    commit: 'bd54b6fe3316',
    author: 'Bijan Mottahedeh',
    release: 'v5.13',
    files: ['fs/io_uring.c'],
    effect: 'changes-verdict',
    summary:
      'Registered buffers get an rsrc table (ctx->buf_data, tags, rsrc nodes) like fixed files: unregistering ' +
      'without a table is -ENXIO on buf_data, the register loop runs over io_copy_iov() + io_sqe_buffer_register() ' +
      'per slot. Read in 5.15.24 (absent in 5.12.9); posted for 5.13 (April 2021, rebased by Pavel Begunkov) and ' +
      'in the mainline history; no 5.13 tree was found, so the changes folded here are only bracketed (by a 5.14-rc5 tree).',
    folds: [
      { change: 'IORING_REGISTER_BUFFERS no longer kills and drains the ring\'s percpu ref (io_register_op_must_quiesce() lists it in 5.15.24, not in 5.12.9; io_uring.ts __io_uring_register). Searched again (helper-13f): find_string io_register_op_must_quiesce shows Pavel Begunkov asking "what about REGISTER_BUFFERS?" in review of the rsrc-table series; the patch that lists it was not found. Bracket narrowed (helper-13g): a 5.14-rc5 tree (lsk-legends/linux-5.14 @ 87b9bac7376e, Makefile 5.14.0-rc5; its later commits do not touch fs/io_uring.c or mm/gup.c) already has it (io_register_op_must_quiesce() returns false for IORING_REGISTER_BUFFERS)', commit: null, from: 'v5.13', by: 'v5.14' },
      { change: 'io_buffer_validate(): a NULL base with zero length is an empty slot, -EOVERFLOW for a wrapping range, nr_args up to IORING_MAX_REG_BUFFERS (1 << 14) instead of UIO_MAXIOV (rsrc.ts io_sqe_buffers_register__v5_13). Searched again (helper-13f): the empty slot is Pavel Begunkov\'s "io_uring: allow empty slots for reg buffers" (28 April 2021): c3a40789f6ba in io_uring-5.13 (and in Colin King\'s Fixes: tag), 6224843d56e0 after that branch was rebased (linux-next lists of 30 April and 3 May 2021); the -EOVERFLOW is his "io_uring: reg buffer overflow checks hardening" (24 March 2021), which the lists show as 24996dbd, 9d17138ea474, f8df76ff8293 and 50e96989d736 across rebases of for-5.13/io_uring. Which ids Linus merged is not in the store (no torvalds/linux list of the 5.13 merge window), so both stay folded. Bracket narrowed (helper-13g): a 5.14-rc5 tree (lsk-legends/linux-5.14 @ 87b9bac7376e, Makefile 5.14.0-rc5; its later commits do not touch fs/io_uring.c or mm/gup.c) already has it (io_buffer_validate() with the empty slot and -EOVERFLOW, IORING_MAX_REG_BUFFERS 1U << 14); no 5.13 tree was found (helper-13g: find_repos linux-5.13, linux5.13, linux_5.13, kernel-5.13, v5.13; find_string of the 5.13 Makefile lines finds only stable patch mails)', commit: null, from: 'v5.13', by: 'v5.14' },
      { change: 'shmem mappings are accepted besides hugetlbfs (vma_is_shmem() continue in 5.15.24; rsrc.ts io_pin_pages). Searched again (helper-13f): pages searches for shmem-backed fixed buffers found only the rsrc-table commit bd54b6fe3316; find_string "io_uring: allow shmem": nothing. Bracket narrowed (helper-13g): a 5.14-rc5 tree (lsk-legends/linux-5.14 @ 87b9bac7376e, Makefile 5.14.0-rc5; its later commits do not touch fs/io_uring.c or mm/gup.c) already has it (vma_is_shmem() continue in io_sqe_buffer_register)', commit: null, from: 'v5.13', by: 'v5.14' },
    ],
    scenarios: ['io_uring/register-shmem', 'io_uring/register-mixed-vmas'],
  },
  'io-uring-pin-pages-helper': {
    subject: 'io_uring: add io_pin_pages() helper',
    commit: 'd8c2237d0aa9',
    author: 'Jens Axboe',
    release: 'v5.19',
    files: ['fs/io_uring.c'],
    effect: 'neutral',
    summary:
      'The pin loop of io_sqe_buffer_register() becomes its own function, io_pin_pages() (for the ring-mapped ' +
      'provided buffers of the same series): 5.15.24 has the loop inline, Debian 6.1.192 and 6.2.12 call io_pin_pages() ' +
      'in io_uring/rsrc.c. Same behaviour; only the function an errno reason names changes (rsrc.ts io_pin_site). Id ' +
      'from the Fixes: tag of e1c75831f682 (a mainline commit, "[ Upstream commit ... ]" in the 6.15 stable review); ' +
      'v5.19 from the axboe/linux-block post-receive list of 23 May 2022 (the 5.19 merge window), next to "io_uring: ' +
      'add support for ring mapped supplied buffers".',
    scenarios: [],
  },
  'io-uring-reg-buf-unpin-on-error': {
    subject: 'io_uring: fix potential page leak in io_sqe_buffer_register()',
    commit: 'e1c75831f682',
    author: 'Penglei Jiang',
    release: 'v6.16',
    files: ['io_uring/rsrc.c'],
    requires: ['io-uring-pin-pages-helper'],
    effect: 'changes-verdict',
    summary:
      'When the io_mapped_ubuf allocation fails after the pages were pinned, the error path of ' +
      'io_sqe_buffer_register() unpins them; before it (Debian 6.1.192, 6.5.0, 6.6.9) `done:` frees only the page ' +
      'array and every pin leaks (pin-balance-at-exit under fail-nth). In 6.12.y from 6.12.36 (ChangeLog-6.12.36 as ' +
      'listed in the Debian changelog of linux 6.12.37-1) and so in the 6.12 profiles (6.12.117 read). Id from the "[ Upstream commit ... ]" line of the ' +
      '6.15 stable review (23 June 2025) and the io_uring-6.16-20250619 pull, whose tip it is (merged for v6.16-rc3).',
    scenarios: [],
  },
  'io-uring-dir': {
    subject: 'io_uring: move to separate directory',
    commit: 'ed29b0b4fd83',
    author: 'Jens Axboe',
    release: 'v6.0',
    files: ['fs/io_uring.c', 'io_uring/io_uring.c'],
    effect: 'neutral',
    summary:
      'fs/io_uring.c moves to io_uring/io_uring.c (read: 5.15.24 fs/io_uring.c, Debian 6.1.192 io_uring/). Same ' +
      'behaviour; only the file an errno reason names changes. The id is the one the 0-day robot reported on ' +
      'torvalds/linux master in August 2022.',
    scenarios: [],
  },
  'io-uring-rsrc-c': {
    subject: 'io_uring: move rsrc related data, core, and commands',
    commit: '735729844819',
    author: 'Jens Axboe',
    release: 'v6.0',
    files: ['io_uring/io_uring.c', 'io_uring/rsrc.c'],
    requires: ['io-uring-dir'],
    effect: 'neutral',
    summary:
      'The registered-resource code (io_sqe_buffer_register, __io_account_mem, ...) moves from io_uring/io_uring.c ' +
      'into io_uring/rsrc.c. Same behaviour; only the file an errno reason names changes (rsrc.ts io_acct_site, ' +
      'io_pin_site). Read: Debian 6.1.192 io_uring/rsrc.c. Id: Greg Kroah-Hartman\'s "Possible dependencies" ' +
      'lists of failed stable backports (735729844819, next to 3b77495a9723 and c98817e6cd44 of the same 6.0 split).',
    scenarios: [],
  },
} as const satisfies Record<string, PatchInfo>;

/** Stable backports of this area per release tree (patches in by first release need no listing). */
export const ioUringReleaseAdds: ReleaseAdds<keyof typeof ioUringPatches> = {
  // Debian 6.1.192 has the io_pin_pages() same-file/shmem-or-hugetlbfs check of edd478269640.
  'v6.1': ['io-uring-reg-buf-same-file'],
  // 6.12.36 has e1c75831f682 (ChangeLog-6.12.36 in the Debian changelog of linux 6.12.37-1); the 6.12 profiles stand for 6.12.117.
  'v6.12': ['io-uring-reg-buf-unpin-on-error'],
};
