// Conformance group: files and memory syscalls — how each op of src/scenario/ops/mm.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import { argFlags, emit, guestPath, strArg, tagByte } from '../translate-core.js';
import type { GuestGroup } from './types.js';
import { remotePid } from './remote.js';

export const MM_GUEST = {
  open: {
    guest: 'open',
    translate: ({ c, a, as, record }) => {
      // /proc/self/mem and /proc/<P>/mem: conformance/guest/ops-remote.c (P: the driver or a forked child).
      const procMem = /^\/proc\/([A-Za-z_][A-Za-z0-9_-]*)\/(mem|cmdline)$/.exec(strArg(a.path, 'path'));
      if (procMem !== null) {
        // /proc/<P>/cmdline: conformance/guest/ops-cmdline.c.
        const op = procMem[2] === 'mem' ? 'open-proc-mem' : 'open-proc-cmdline';
        record(emit(c, `${op} ${as} ${remotePid(c, procMem[1] as string)} ${argFlags(a.flags)}`), 'okerr');
        return;
      }
      record(emit(c, `open ${as} ${guestPath(c, strArg(a.path, 'path'))} ${argFlags(a.flags)}`), 'okerr');
    },
  },
  close: {
    guest: 'close',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `close ${as} ${fd('fd')}`), 'int');
    },
  },
  mmap: {
    guest: 'mmap',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `mmap ${as} ${fd('addr')} ${fd('length')} ${argFlags(a.prot)} ${argFlags(a.flags)} ${fd('fd')} ${fd('offset')}`), 'okerr');
    },
  },
  munmap: {
    guest: 'munmap',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `munmap ${as} ${fd('addr')} ${fd('length')}`), 'int');
    },
  },
  mprotect: {
    guest: 'mprotect',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `mprotect ${as} ${fd('addr')} ${fd('length')} ${argFlags(a.prot)}`), 'int');
    },
  },
  madvise: {
    guest: 'madvise',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `madvise ${as} ${fd('addr')} ${fd('length')} ${argFlags(a.advice)}`), 'int');
    },
  },
  mlock: {
    guest: 'mlock',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `mlock ${as} ${fd('addr')} ${fd('length')}`), 'int');
    },
  },
  munlock: {
    guest: 'munlock',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `munlock ${as} ${fd('addr')} ${fd('length')}`), 'int');
    },
  },
  memfd_create: {
    guest: 'memfd',
    translate: ({ c, a, as, record }) => {
      record(emit(c, `memfd ${as} ${strArg(a.name, 'name').replace(/\s/g, '_') || 'x'} ${argFlags(a.flags)}`), 'okerr');
    },
  },
  ftruncate: {
    guest: 'ftruncate',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `ftruncate ${as} ${fd('fd')} ${fd('length')}`), 'int');
    },
  },
  fallocate: {
    guest: 'fallocate',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `fallocate ${as} ${fd('fd')} ${argFlags(a.mode)} ${fd('offset')} ${fd('len')}`), 'int');
    },
  },
  store: {
    guest: 'store',
    translate: ({ c, a, as, record, fd }) => {
      record(emit(c, `store ${as} ${fd('addr')} ${fd('length')} ${tagByte(c, strArg(a.content, 'content'))}`), 'int');
    },
  },
  load: {
    guest: 'load (one byte) / loadr (a byte range: conformance/guest/ops-io.c)',
    translate: ({ c, a, as, record, fd }) => {
      if (a.length !== undefined && !(a.length.kind === 'int' && a.length.value === 1n)) record(emit(c, `loadr ${as} ${fd('addr')} ${fd('length')}`), 'runs');
      else record(emit(c, `load ${as} 0 ${fd('addr')}`), 'tag');
    },
  },
} satisfies GuestGroup<'mm'>;
