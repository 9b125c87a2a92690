// The conformance cases of page references that are not pins (issue #12 item 3; generate.ts
// writes them with the others): pipes and vmsplice, read/write/pread/pwrite with byte ranges,
// and io_uring READ_FIXED / WRITE_FIXED. Each runs as one process whose steps carry state from
// one operation to the next (what the pipe still holds after the page was written again, what
// the registered frames hold after MADV_DONTNEED). The guest side is
// conformance/guest/ops-io.c. Declared values come from Debian linux-source-6.1 (6.1.192) and
// linux-source-6.12 (6.12.118): fs/pipe.c pipe_read/pipe_write, fs/splice.c vmsplice_to_pipe/
// iter_to_pipe (iov_iter_get_pages2 → get_user_pages_fast without FOLL_WRITE), lib/iov_iter.c,
// fs/read_write.c, mm/filemap.c filemap_read/generic_perform_write, mm/shmem.c, io_uring/rw.c
// io_prep_rw(_fixed) and io_uring/rsrc.c io_import_fixed — the same in both releases for what
// these cases do, so each declares one value set for both.

type Decl = Record<string, string | number | null>;
export interface IoCase {
  area: string;
  name: string;
  question: string;
  refs: string[];
  tags: string[];
  setup: string;
  steps: string;
  v61: Decl;
  v612: Decl;
  /** Further expectation lines (invariants) per release, YAML under the release key (6.12: as 6.1 unless given). */
  more61?: string;
  more612?: string;
}

const MEMORY = 'memory:\n  zones: { DMA32: 16M, Normal: 64M, Movable: 64M }\n  hugepages: 16';
const RW = 'PROT_READ|PROT_WRITE';
const ANON = 'MAP_PRIVATE|MAP_ANONYMOUS';

function setup(extra: string, maps: [string, string, boolean?][]): string {
  return [
    MEMORY, ...(extra ? [extra] : []), 'processes:', '  - name: P', '    mappings:',
    ...maps.map(([n, len, pop]) => `      - { name: ${n}, length: ${len}, prot: ${RW}, flags: ${ANON}${pop ? ', populate: true' : ''} }`),
  ].join('\n');
}

const step = (op: string, args: string, as?: string): string => `- ${op}: { ${args} }${as ? `\n  as: ${as}` : ''}`;
const SPLICE = ['fs/splice.c:iter_to_pipe (iov_iter_get_pages2 → get_user_pages_fast, FOLL_GET, no FOLL_WRITE)', 'fs/pipe.c:pipe_read (copy_page_to_iter at read time)'];
const TMPFS = 'filesystems:\n  - { mount: /dev/shm, type: tmpfs }\nfiles:\n  - { path: /dev/shm/f, size: 4 pages }';
const EXT4 = 'filesystems:\n  - { mount: /mnt/ext4, type: ext4 }\nfiles:\n  - { path: /mnt/ext4/f, size: 4 pages }';

const cases: IoCase[] = [];
function add(c: Omit<IoCase, 'v612'> & { v612?: Decl }): void {
  cases.push({ ...c, v612: c.v612 ?? c.v61, more612: c.more612 ?? c.more61 });
}

add({
  area: 'pipe', name: 'vmsplice-reader-sees-later-write', tags: ['conformance', 'pipe', 'multi-step'],
  question: 'After vmsplice() of 200 bytes of a page into a pipe and a later 10-byte store into that page, does the reader get the bytes written after the vmsplice?',
  refs: SPLICE, setup: setup('', [['buf', '1 page'], ['dst', '1 page']]),
  steps: [
    step('store', 'addr: $buf, length: 1 page, content: A'), step('pipe2', '', 'p'),
    step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf + 100, len: 200 }]', 'vs'),
    step('store', 'addr: $buf + 150, length: 10, content: B'),
    step('read', 'fd: $p.rfd, buf: $dst, length: 4096', 'rd'), step('load', 'addr: $dst, length: 200', 'seen'),
  ].join('\n'),
  v61: { p: 0, vs: 200, rd: 200, seen: '"A*50 B*10 A*140"' },
});

add({
  area: 'pipe', name: 'vmsplice-fork-cow', tags: ['conformance', 'pipe', 'fork', 'multi-step'],
  question: 'vmsplice() a page, fork(), then the parent stores into it: does the pipe keep the old frame (the COW copy goes to the writer)?',
  refs: [...SPLICE, 'mm/memory.c:do_wp_page (a page mapped by parent and child is copied for the writer)'], setup: setup('', [['buf', '1 page'], ['dst', '1 page']]),
  steps: [
    step('store', 'addr: $buf, length: 1 page, content: A'), step('pipe2', '', 'p'),
    step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf, len: 64 }]', 'vs'), step('fork', 'child: Q', 'child'),
    step('store', 'addr: $buf, length: 16, content: B'),
    step('read', 'fd: $p.rfd, buf: $dst, length: 64', 'rd'), step('load', 'addr: $dst, length: 64', 'seen'), step('load', 'addr: $buf, length: 32', 'mine'),
  ].join('\n'),
  v61: { p: 0, vs: 64, child: '{ gt: 0 }', rd: 64, seen: 'A', mine: '"B*16 A*16"' },
});

add({
  area: 'pipe', name: 'vmsplice-zero-page', tags: ['conformance', 'pipe', 'zero-page', 'multi-step'],
  question: 'vmsplice() of anonymous memory never written, then a store into it: does the reader get zeroes (the pipe referenced the shared zero page)?',
  refs: [...SPLICE, 'mm/memory.c:do_anonymous_page (a read fault maps the zero page)'], setup: setup('', [['buf', '1 page'], ['dst', '1 page']]),
  steps: [
    step('pipe2', '', 'p'), step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf + 8, len: 32 }]', 'vs'),
    step('store', 'addr: $buf, length: 1 page, content: B'),
    step('read', 'fd: $p.rfd, buf: $dst, length: 32', 'rd'), step('load', 'addr: $dst, length: 32', 'seen'),
  ].join('\n'),
  v61: { p: 0, vs: 32, rd: 32, seen: "''" },
});

add({
  area: 'pipe', name: 'write-copies', tags: ['conformance', 'pipe', 'multi-step'],
  question: 'write(2) into a pipe copies at write time: after the buffer is overwritten, does the reader get the old bytes of two merged short writes?',
  refs: ['fs/pipe.c:pipe_write (copy_page_from_iter; PIPE_BUF_FLAG_CAN_MERGE)', 'fs/pipe.c:pipe_read'], setup: setup('', [['buf', '1 page'], ['dst', '1 page']]),
  steps: [
    step('store', 'addr: $buf, length: 1 page, content: A'), step('pipe2', '', 'p'),
    step('write', 'fd: $p.wfd, buf: $buf, length: 10', 'w1'), step('store', 'addr: $buf, length: 1 page, content: B'),
    step('write', 'fd: $p.wfd, buf: $buf, length: 5', 'w2'), step('store', 'addr: $buf, length: 1 page, content: C'),
    step('read', 'fd: $p.rfd, buf: $dst, length: 100', 'rd'), step('load', 'addr: $dst, length: 16', 'seen'),
  ].join('\n'),
  v61: { p: 0, w1: 10, w2: 5, rd: 15, seen: '"A*10 B*5 zero*1"' },
});

add({
  area: 'pipe', name: 'errors', tags: ['conformance', 'pipe', 'errno'],
  question: 'Which errno do pipe2, vmsplice, read, write and pread give for bad flags, the wrong end, an empty or full non-blocking pipe and a pipe without readers?',
  refs: ['fs/pipe.c:do_pipe2, pipe_read, pipe_write', 'fs/splice.c:vmsplice, wait_for_space, add_to_pipe', 'fs/read_write.c:ksys_pread64 (no FMODE_PREAD after stream_open)'],
  setup: setup('', [['buf', '17 pages', true]]),
  steps: [
    step('pipe2', 'flags: 0x100', 'badflags'), step('pipe2', 'flags: O_NONBLOCK', 'p'),
    step('read', 'fd: $p.rfd, buf: $buf, length: 8', 'empty'), step('read', 'fd: $p.wfd, buf: $buf, length: 8', 'readw'),
    step('write', 'fd: $p.rfd, buf: $buf, length: 8', 'writer'), step('pread', 'fd: $p.rfd, buf: $buf, length: 8, offset: 0', 'pr'),
    step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf, len: 8 }], flags: 0x10', 'vbadflags'),
    step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf, len: 17 pages }], flags: SPLICE_F_NONBLOCK', 'fill'),
    step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf, len: 8 }], flags: SPLICE_F_NONBLOCK', 'full'),
    step('write', 'fd: $p.wfd, buf: $buf, length: 8', 'wfull'), step('close', 'fd: $p.rfd'),
    step('write', 'fd: $p.wfd, buf: $buf, length: 8', 'noreader'), step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf, len: 8 }]', 'vnoreader'),
  ].join('\n'),
  v61: { badflags: '-EINVAL', p: 0, empty: '-EAGAIN', readw: '-EBADF', writer: '-EBADF', pr: '-ESPIPE', vbadflags: '-EINVAL', fill: 65536, full: '-EAGAIN', wfull: '-EAGAIN', noreader: '-EPIPE', vnoreader: '-EPIPE' },
});

for (const [fs, extra, path] of [['tmpfs', TMPFS, '/dev/shm/f'], ['ext4', EXT4, '/mnt/ext4/f']] as const) {
  add({
    area: 'io', name: `pread-pwrite-bytes-${fs}`, tags: ['conformance', 'io', 'pagecache', 'multi-step'],
    question: `pwrite(2) of 16 bytes across a page boundary of a ${fs} file from a user buffer: does pread(2) return them between the old bytes, and does a shared mapping see them?`,
    refs: ['mm/filemap.c:generic_perform_write, filemap_read', fs === 'ext4' ? 'fs/ext4/file.c:ext4_buffered_write_iter, ext4_file_read_iter' : 'mm/shmem.c:shmem_write_begin, shmem_file_read_iter'],
    setup: setup(extra, [['buf', '1 page']]),
    steps: [
      step('open', `path: ${path}, flags: O_RDWR`, 'fd'), step('pwrite', 'fd: $fd, offset: 0, length: 4 pages, content: F', 'fill'),
      step('store', 'addr: $buf, length: 16, content: u'),
      step('pwrite', 'fd: $fd, offset: 4088, length: 16, buf: $buf', 'pw'), step('pread', 'fd: $fd, buf: $buf + 100, length: 32, offset: 4080', 'pr'),
      step('load', 'addr: $buf + 100, length: 32', 'seen'), step('mmap', 'length: 2 pages, prot: PROT_READ, flags: MAP_SHARED, fd: $fd', 'map'),
      step('load', 'addr: $map + 4088, length: 16', 'viamap'), step('pread', 'fd: $fd, buf: $buf + 200, length: 100, offset: 16380', 'tail'),
    ].join('\n'),
    v61: { fd: '{ ge: 0 }', fill: 16384, pw: 16, pr: 32, seen: '"F*8 u*16 F*8"', map: '{ gt: 0 }', viamap: 'u', tail: 4 },
  });
}

add({
  area: 'io', name: 'read-fixed-after-dontneed', tags: ['conformance', 'io', 'io_uring', 'multi-step'],
  question: 'After MADV_DONTNEED on a registered io_uring buffer, do READ_FIXED and WRITE_FIXED move bytes to and from the pinned frames rather than the zero page the process now maps?',
  refs: ['io_uring/rsrc.c:io_import_fixed (ITER_BVEC over imu->bvec)', 'io_uring/rw.c:io_prep_rw / io_prep_rw_fixed (buf_index >= nr_user_bufs: -EFAULT)', 'mm/madvise.c:madvise_dontneed_single_vma'],
  setup: setup(TMPFS, [['buf', '2 pages'], ['dst', '1 page']]),
  steps: [
    step('open', 'path: /dev/shm/f, flags: O_RDWR', 'fd'), step('pwrite', 'fd: $fd, offset: 0, length: 2 pages, content: F', 'fill'),
    step('store', 'addr: $buf, length: 2 pages, content: A'), step('io_uring_setup', 'entries: 8', 'ring'),
    step('IORING_REGISTER_BUFFERS', 'ring: $ring, iovecs: [{ base: $buf, len: 2 pages }]', 'reg'),
    step('madvise', 'addr: $buf, length: 2 pages, advice: MADV_DONTNEED', 'dontneed'),
    step('IORING_OP_READ_FIXED', 'ring: $ring, fd: $fd, addr: $buf + 100, len: 200, offset: 0', 'rd'),
    step('load', 'addr: $buf + 100, length: 200', 'process'),
    step('IORING_OP_WRITE_FIXED', 'ring: $ring, fd: $fd, addr: $buf + 50, len: 300, offset: 8192', 'wr'),
    step('pread', 'fd: $fd, buf: $dst, length: 300, offset: 8192', 'pr'), step('load', 'addr: $dst, length: 300', 'registered'),
    step('IORING_OP_READ_FIXED', 'ring: $ring, fd: $fd, addr: $buf + 2 pages - 10, len: 20', 'outside'),
    step('IORING_OP_READ_FIXED', 'ring: $ring, fd: $fd, addr: $buf, len: 8, buf_index: 1', 'badindex'),
  ].join('\n'),
  v61: { fd: '{ ge: 0 }', fill: 8192, ring: '{ ge: 0 }', reg: 0, dontneed: 0, rd: 200, process: "''", wr: 300, pr: 300, registered: '"A*50 F*200 A*50"', outside: '-EFAULT', badindex: '-EFAULT' },
  // The registered frames are no longer what the process maps (as scenarios/io/read-fixed-after-dontneed.yaml declares).
  more61: 'invariants: { dma-coherent-with-process: always }',
});

// O_DIRECT (fs/iomap/direct-io.c; block/bio.c): the file is first written through the page
// cache (dirty pages the direct read must see: filemap_write_and_wait_range), then read and
// written with O_DIRECT from page-aligned user buffers. The guest's /mnt/ext4 is ext4 on brd
// (512-byte logical blocks, DMA alignment 511). Both releases do the same here except the
// tmpfs open (6.6+: FMODE_CAN_ODIRECT from shmem_file_open).
add({
  area: 'io', name: 'odirect-align', tags: ['conformance', 'io', 'odirect', 'multi-step'],
  question: 'O_DIRECT pread/pwrite of an ext4 file: which requests are -EINVAL, what does a read of a hole or past EOF give, does a buffered read see a direct write, and may a tmpfs file be opened with O_DIRECT?',
  refs: ['fs/iomap/direct-io.c:iomap_dio_bio_iter (alignment per mapped block), iomap_dio_hole_iter', 'block/bio.c:bio_iov_iter_get_pages', 'fs/open.c:do_dentry_open (FMODE_CAN_ODIRECT)'],
  setup: setup('filesystems:\n  - { mount: /mnt/ext4, type: ext4 }\n  - { mount: /dev/shm, type: tmpfs }\nfiles:\n  - { path: /mnt/ext4/f, size: 2 pages }\n  - { path: /dev/shm/t, size: 1 page }', [['buf', '3 pages']]),
  steps: [
    step('open', 'path: /mnt/ext4/f, flags: O_RDWR', 'bfd'), step('pwrite', 'fd: $bfd, offset: 0, length: 2 pages, content: F', 'fill'),
    step('open', 'path: /mnt/ext4/f, flags: O_RDWR|O_DIRECT', 'fd'), step('store', 'addr: $buf, length: 3 pages, content: B'),
    step('pread', 'fd: $fd, buf: $buf, length: 4096, offset: 0', 'whole'), step('load', 'addr: $buf', 'got'),
    step('pread', 'fd: $fd, buf: $buf + 1, length: 512, offset: 0', 'badbuf'),
    step('pread', 'fd: $fd, buf: $buf, length: 100, offset: 0', 'badlen'),
    step('pread', 'fd: $fd, buf: $buf, length: 512, offset: 100', 'badoff'),
    step('pread', 'fd: $fd, buf: $buf + 2 pages + 512, length: 512, offset: 4096', 'sector'), step('load', 'addr: $buf + 2 pages + 512', 'sectorgot'),
    step('ftruncate', 'fd: $fd, length: 4 pages', 'grow'),
    step('pread', 'fd: $fd, buf: $buf + 1, length: 100, offset: 2 pages + 4', 'holemis'), step('load', 'addr: $buf + 1', 'holegot'),
    step('pread', 'fd: $fd, buf: $buf, length: 512, offset: 4 pages', 'eof'),
    step('pread', 'fd: $fd, buf: $buf + 1, length: 1, offset: 5 pages', 'eofmis'),
    step('store', 'addr: $buf + 1 page, length: 1 page, content: W'),
    step('pwrite', 'fd: $fd, buf: $buf + 1 page, length: 4096, offset: 4096', 'dwrite'),
    step('pwrite', 'fd: $fd, buf: $buf + 1, length: 512, offset: 0', 'dwritemis'),
    step('pread', 'fd: $fd, buf: $buf + 1 page, length: 8192, offset: 3 pages', 'tail'),
    step('pread', 'fd: $bfd, buf: $buf + 2 pages, length: 1, offset: 4096', 'buffered'), step('load', 'addr: $buf + 2 pages', 'bgot'),
    step('open', 'path: /dev/shm/t, flags: O_RDWR|O_DIRECT', 'tmpfs'),
  ].join('\n'),
  v61: {
    bfd: '{ ge: 0 }', fill: 8192, fd: '{ ge: 0 }', whole: 4096, got: 'F', badbuf: '-EINVAL', badlen: '-EINVAL', badoff: '-EINVAL', sector: 512, sectorgot: 'F',
    grow: 0, holemis: 100, holegot: "''", eof: 0, eofmis: 0, dwrite: 4096, dwritemis: '-EINVAL', tail: 4096, buffered: 1, bgot: 'W', tmpfs: '-EINVAL',
  },
  v612: {
    bfd: '{ ge: 0 }', fill: 8192, fd: '{ ge: 0 }', whole: 4096, got: 'F', badbuf: '-EINVAL', badlen: '-EINVAL', badoff: '-EINVAL', sector: 512, sectorgot: 'F',
    grow: 0, holemis: 100, holegot: "''", eof: 0, eofmis: 0, dwrite: 4096, dwritemis: '-EINVAL', tail: 4096, buffered: 1, bgot: 'W', tmpfs: '{ ge: 0 }',
  },
});

// A user buffer with a PROT_NONE page (and one with an unmapped page) in the middle: iomap's
// direct read and write return -EFAULT after moving the first page (bio_iov_iter_get_pages keeps
// what it got; the next iteration's -EFAULT is dio->error, ext4 passes no IOMAP_DIO_PARTIAL), a
// write leaves a hole it started to fill a hole (unwritten extent not converted; truncated past
// EOF), while buffered and fs-DAX I/O return the short count (filemap_read; dax_iomap_rw: done ?
// done : ret) and tmpfs takes O_DIRECT only on 6.12 (buffered there, no alignment).
const DAXMEM = 'memory:\n  zones: { DMA32: 16M, Normal: 64M, Movable: 64M }\n  hugepages: 16\n  pmem:\n    - { name: pmem0, size: 16M, mode: fsdax }';
const FAULTFS = 'filesystems:\n  - { mount: /mnt/ext4, type: ext4 }\n  - { mount: /mnt/dax, type: ext4, dax: true, device: pmem0 }\n  - { mount: /dev/shm, type: tmpfs }\nfiles:\n  - { path: /mnt/ext4/f, size: 3 pages }\n  - { path: /mnt/dax/d, size: 3 pages }\n  - { path: /dev/shm/t, size: 3 pages }';
const faultSetup = (fs: string, maps: string[]): string => [
  DAXMEM, fs, 'processes:', '  - name: P', '    mappings:', ...maps,
].join('\n');
const FAULT_REFS = [
  'fs/iomap/direct-io.c:iomap_dio_bio_iter, __iomap_dio_rw (dio->error), iomap_dio_complete', 'block/bio.c:bio_iov_iter_get_pages',
  'fs/dax.c:dax_iomap_rw', 'mm/filemap.c:filemap_read', 'mm/gup.c:check_vma_flags',
];
add({
  area: 'io', name: 'odirect-fault-mid-buffer', tags: ['conformance', 'io', 'odirect', 'fsdax', 'tmpfs', 'multi-step'],
  question: 'A read/write whose buffer has a PROT_NONE or unmapped page in the middle: what do O_DIRECT on ext4, a buffered read, fs-DAX with O_DIRECT and tmpfs with O_DIRECT return?',
  refs: FAULT_REFS,
  setup: faultSetup(FAULTFS, [
    `      - { name: buf, length: 3 pages, prot: ${RW}, flags: ${ANON} }`,
    `      - { name: gap, length: 3 pages, prot: ${RW}, flags: ${ANON} }`,
    `      - { name: ro, length: 1 page, prot: PROT_READ, flags: ${ANON} }`,
  ]),
  steps: [
    step('open', 'path: /mnt/ext4/f, flags: O_RDWR', 'bfd'), step('pwrite', 'fd: $bfd, offset: 0, length: 3 pages, content: F', 'fill'),
    step('open', 'path: /mnt/dax/d, flags: O_RDWR|O_DIRECT', 'dfd'), step('pwrite', 'fd: $dfd, offset: 0, length: 3 pages, content: D', 'dfill'),
    step('store', 'addr: $buf, length: 3 pages, content: B'), step('store', 'addr: $gap, length: 3 pages, content: G'),
    step('mprotect', 'addr: $buf + 1 page, length: 1 page, prot: PROT_NONE', 'mp'), step('munmap', 'addr: $gap + 1 page, length: 1 page', 'um'),
    step('open', 'path: /mnt/ext4/f, flags: O_RDONLY|O_DIRECT', 'fd'),
    step('pread', 'fd: $fd, buf: $buf, length: 3 pages, offset: 0', 'rd'), step('load', 'addr: $buf', 'first'), step('load', 'addr: $buf + 2 pages', 'third'),
    step('pread', 'fd: $fd, buf: $gap, length: 3 pages, offset: 0', 'rdgap'), step('load', 'addr: $gap', 'gapfirst'),
    step('pread', 'fd: $fd, buf: $ro, length: 1 page, offset: 0', 'rdro'),
    step('pread', 'fd: $fd, buf: $buf + 1 page, length: 1 page, offset: 0', 'rdnone'),
    step('pread', 'fd: $bfd, buf: $gap, length: 3 pages, offset: 0', 'buffered'),
    step('pread', 'fd: $dfd, buf: $buf, length: 3 pages, offset: 0', 'dax'), step('load', 'addr: $buf', 'daxfirst'),
    step('pread', 'fd: $dfd, buf: $buf + 1, length: 100, offset: 5', 'daxmis'),
    step('pwrite', 'fd: $dfd, buf: $gap, length: 3 pages, offset: 0', 'daxwr'),
    step('open', 'path: /dev/shm/t, flags: O_RDWR|O_DIRECT', 'tfd'),
    step('pread', 'fd: $tfd, buf: $buf, length: 3 pages, offset: 0', 'tmpfs'),
    step('pread', 'fd: $tfd, buf: $buf + 1, length: 100, offset: 5', 'tmpfsmis'),
    step('pwrite', 'fd: $tfd, buf: $gap, length: 3 pages, offset: 0', 'tmpfswr'),
  ].join('\n'),
  v61: {
    bfd: '{ ge: 0 }', fill: 12288, dfd: '{ ge: 0 }', dfill: 12288, mp: 0, um: 0, fd: '{ ge: 0 }', rd: '-EFAULT', first: 'F', third: 'B', rdgap: '-EFAULT', gapfirst: 'F',
    rdro: '-EFAULT', rdnone: '-EFAULT', buffered: 4096, dax: 4096, daxfirst: 'D', daxmis: 100, daxwr: 4096, tfd: '-EINVAL', tmpfs: '-EBADF', tmpfsmis: '-EBADF', tmpfswr: '-EBADF',
  },
  v612: {
    bfd: '{ ge: 0 }', fill: 12288, dfd: '{ ge: 0 }', dfill: 12288, mp: 0, um: 0, fd: '{ ge: 0 }', rd: '-EFAULT', first: 'F', third: 'B', rdgap: '-EFAULT', gapfirst: 'F',
    rdro: '-EFAULT', rdnone: '-EFAULT', buffered: 4096, dax: 4096, daxfirst: 'D', daxmis: 100, daxwr: 4096, tfd: '{ ge: 0 }', tmpfs: 4096, tmpfsmis: 100, tmpfswr: 4096,
  },
});

add({
  area: 'io', name: 'odirect-fault-mid-write', tags: ['conformance', 'io', 'odirect', 'multi-step'],
  question: 'An O_DIRECT pwrite to ext4 whose buffer has a PROT_NONE page in the middle: -EFAULT, the first block overwritten, a hole started stays a hole, no growth past EOF?',
  refs: [...FAULT_REFS, 'fs/ext4/inode.c:ext4_iomap_alloc', 'fs/ext4/file.c:ext4_dio_write_end_io, ext4_handle_inode_extension'],
  setup: setup('filesystems:\n  - { mount: /mnt/ext4, type: ext4 }\nfiles:\n  - { path: /mnt/ext4/f, size: 2 pages }', [['buf', '3 pages'], ['dst', '1 page']]),
  steps: [
    step('open', 'path: /mnt/ext4/f, flags: O_RDWR', 'bfd'), step('pwrite', 'fd: $bfd, offset: 0, length: 2 pages, content: F', 'fill'),
    step('store', 'addr: $buf, length: 3 pages, content: W'), step('mprotect', 'addr: $buf + 1 page, length: 1 page, prot: PROT_NONE', 'mp'),
    step('open', 'path: /mnt/ext4/f, flags: O_RDWR|O_DIRECT', 'fd'),
    step('pwrite', 'fd: $fd, buf: $buf, length: 2 pages, offset: 0', 'over'),
    step('pread', 'fd: $fd, buf: $dst, length: 1 page, offset: 0', 'r0'), step('load', 'addr: $dst', 'block0'),
    step('pread', 'fd: $fd, buf: $dst, length: 1 page, offset: 1 page', 'r1'), step('load', 'addr: $dst', 'block1'),
    step('ftruncate', 'fd: $fd, length: 4 pages', 'grow'),
    step('pwrite', 'fd: $fd, buf: $buf, length: 2 pages, offset: 2 pages', 'hole'),
    step('pread', 'fd: $fd, buf: $dst, length: 1 page, offset: 2 pages', 'r2'), step('load', 'addr: $dst', 'block2'),
    step('pwrite', 'fd: $fd, buf: $buf, length: 2 pages, offset: 4 pages', 'extend'),
    step('pread', 'fd: $fd, buf: $dst, length: 1 page, offset: 4 pages', 'eof'),
    step('pwrite', 'fd: $fd, buf: $buf + 2 pages, length: 1 page, offset: 1 page', 'whole'),
    step('pwrite', 'fd: $fd, buf: $buf + 1 page, length: 1 page, offset: 0', 'none'),
  ].join('\n'),
  v61: {
    bfd: '{ ge: 0 }', fill: 8192, mp: 0, fd: '{ ge: 0 }', over: '-EFAULT', r0: 4096, block0: 'W', r1: 4096, block1: 'F', grow: 0, hole: '-EFAULT', r2: 4096, block2: "''",
    extend: '-EFAULT', eof: 0, whole: 4096, none: '-EFAULT',
  },
});

export function ioCases(): IoCase[] {
  return cases;
}
