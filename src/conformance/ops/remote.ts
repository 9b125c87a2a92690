// Conformance group: remote access — the guest translation of each op of src/scenario/ops/remote.ts
// (the driver side is conformance/guest/ops-remote.c; pread/pwrite of /proc/<P>/mem are the pipe_io group's). A remote process is the driver itself (pid
// token 0) or a child it forked (the fork's slot); /proc/<P>/mem opens are translated by the mm
// group's `open` with remotePid().
import { UAPI, argFlags, emit, fail, intTok, strArg, tagByte } from '../translate-core.js';
import type { Ctx } from '../translate-core.js';
import type { GuestGroup } from './types.js';

/** The guest pid token of a scenario process for a remote-access op: 0 for the driver (and `self`), `$slot` for a child. */
export function remotePid(c: Ctx, name: string): string {
  if (name === 'self') return '0';
  if (c.exited.has(name)) fail(`remote access to exited process ${name}`);
  const pid = c.pids.get(name);
  if (pid === undefined) fail(`process ${name} is unknown to the guest`);
  return pid;
}

export const REMOTE_GUEST = {
  ptrace: {
    guest: 'ptrace',
    translate: ({ c, a, as, record, fd }) => {
      const req = argFlags(a.request);
      const peek = req === UAPI.PTRACE_PEEKDATA || req === UAPI.PTRACE_PEEKTEXT;
      const byte = a.content !== undefined && a.content.kind === 'str' && a.content.value !== '' ? tagByte(c, a.content.value) : 0;
      record(emit(c, `ptrace ${as} ${req} ${remotePid(c, strArg(a.pid, 'pid'))} ${fd('addr')} ${fd('data')} ${byte}`), peek ? 'tag' : 'int');
    },
  },
  process_vm_readv: { guest: 'pvm', translate: (t) => pvm(t, 0) },
  process_vm_writev: { guest: 'pvm', translate: (t) => pvm(t, 1) },
} satisfies GuestGroup<'remote'>;

function pvm({ c, a, as, record, fd }: Parameters<(typeof REMOTE_GUEST)['ptrace']['translate']>[0], write: 0 | 1): void {
  const iov = (k: string): string => {
    const v = a[k];
    const items = v !== undefined && v.kind === 'list' ? v.items : [];
    if (items.length > 16) fail(`${k}: more than 16 iovecs`);
    return [String(items.length), ...items.map((it) => (it.kind === 'map' ? `${intTok(c, it.entries.base, 'base')} ${intTok(c, it.entries.len, 'len')}` : fail(`${k}: an iovec is not a map`)))].join(' ');
  };
  record(emit(c, `pvm ${as} ${write} ${remotePid(c, strArg(a.pid, 'pid'))} ${fd('flags')} ${iov('local')} ${iov('remote')}`), 'int');
}
