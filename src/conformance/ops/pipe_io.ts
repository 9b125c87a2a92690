// Conformance group: page references that are not pins — the guest translation of each op of
// src/scenario/ops/pipe_io.ts (driver commands in conformance/guest/ops-io.c).
import { argFlags, emit, fail, intTok, strArg, tagByte } from '../translate-core.js';
import type { StepTx } from '../translate-core.js';
import type { GuestGroup } from './types.js';

function iovecTokens({ c, a }: StepTx): string {
  const iov = a.iovecs;
  if (iov?.kind !== 'list') fail('iovecs must be a list');
  return iov.items.map((it) => {
    if (it.kind !== 'map') fail('iovecs items are { base, len }');
    return `${intTok(c, it.entries.base, 'base')} ${intTok(c, it.entries.len, 'len')}`;
  }).join(' ');
}

function fixed(opcode: number): (t: StepTx) => void {
  return ({ c, as, record, fd }) => {
    record(emit(c, `uring-rw ${as} ${fd('ring')} ${opcode} ${fd('fd')} ${fd('addr')} ${fd('len')} ${fd('offset')} ${fd('buf_index')}`), 'int');
  };
}

export const PIPE_IO_GUEST = {
  pipe2: {
    guest: 'pipe2',
    translate: ({ c, a, as, record }) => {
      record(emit(c, `pipe2 ${as} ${argFlags(a.flags)}`), 'int');
    },
  },
  vmsplice: {
    guest: 'vmsplice',
    translate: (t) => {
      t.record(emit(t.c, `vmsplice ${t.as} ${t.fd('fd')} ${argFlags(t.a.flags)} ${iovecTokens(t)}`), 'int');
    },
  },
  read: {
    guest: 'read',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `read ${as} ${fd('fd')} ${fd('buf')} ${fd('length')}`), 'int');
    },
  },
  write: {
    guest: 'write',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `write ${as} ${fd('fd')} ${fd('buf')} ${fd('length')}`), 'int');
    },
  },
  pread: {
    guest: 'pread (into buf) / remote-pread (a private buffer: conformance/guest/ops-remote.c, reports the first byte)',
    translate: ({ c, a, st, as, record, fd }) => {
      if (a.buf !== undefined && a.buf.kind !== 'null') {
        record(emit(c, `pread ${as} ${fd('fd')} ${fd('buf')} ${fd('length')} ${fd('offset')}`), 'int');
        return;
      }
      const i = emit(c, `remote-pread ${as} ${fd('fd')} ${fd('offset')} ${fd('length')}`);
      record(i, 'int');
      if (st.as !== null) c.plan.push({ name: `${st.as}.content`, step: i, kind: 'kvtag', field: 'byte' });
    },
  },
  pwrite: {
    guest: 'pwritebuf (from buf) / pwrite (a content tag)',
    translate: ({ c, a, as, record, fd }) => {
      if (a.buf !== undefined && a.buf.kind !== 'null') record(emit(c, `pwritebuf ${as} ${fd('fd')} ${fd('buf')} ${fd('length')} ${fd('offset')}`), 'int');
      else record(emit(c, `pwrite ${as} ${fd('fd')} ${fd('offset')} ${fd('length')} ${tagByte(c, strArg(a.content, 'content'))}`), 'int');
    },
  },
  // io_uring opcodes (include/uapi/linux/io_uring.h): READ_FIXED 4, WRITE_FIXED 5.
  IORING_OP_READ_FIXED: { guest: 'uring-rw (opcode 4)', translate: fixed(4) },
  IORING_OP_WRITE_FIXED: { guest: 'uring-rw (opcode 5)', translate: fixed(5) },
} satisfies GuestGroup<'pipe_io'>;
