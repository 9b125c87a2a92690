// Conformance group: process life and credentials — how each op of src/scenario/ops/process.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import { UAPI, argFlags, emit, fail, strArg } from '../translate-core.js';
import type { GuestGroup } from './types.js';

export const PROCESS_GUEST = {
  fork: {
    guest: 'fork',
    translate: ({ c, a, as, record }) => {
      const child = strArg(a.child, 'child');
      const i = emit(c, `fork ${as}`);
      emit(c, `expect-ok - $${as}`);
      c.pids.set(child, `$${as}`);
      record(i, 'okerr');
    },
  },
  exit: {
    guest: 'exit',
    translate: ({ c }) => {
      emit(c, 'exit -');
      const proc = c.s.threads[0]?.process;
      if (proc) c.exited.add(proc);
    },
  },
  execve: { none: 'replaces the driver process' },
  setrlimit: {
    guest: 'setrlimit',
    translate: ({ c, a, as, record, fd }) => {
      const cur = fd('cur');
      const max = a.max === undefined || a.max.kind === 'null' ? cur : fd('max');
      record(emit(c, `setrlimit ${as} ${argFlags(a.resource)} ${cur} ${max}`), 'int');
    },
  },
  capset: {
    guest: 'capdrop',
    translate: ({ c, a, as, record }) => {
      const list = a.drop;
      let mask = 0;
      const names = list?.kind === 'list' ? list.items.map((x) => (x.kind === 'str' ? x.value : x.kind === 'flags' ? x.names.join('|') : '')) : list?.kind === 'flags' ? list.names : [];
      for (const n of names) {
        if (n !== 'CAP_IPC_LOCK') fail(`capset drop ${n} (the driver needs it to observe)`);
        mask |= 1 << (UAPI.CAP_IPC_LOCK as number);
      }
      record(emit(c, `capdrop ${as} 0x${mask.toString(16)}`), 'int');
    },
  },
  kill: { none: 'needs a second thread' },
} satisfies GuestGroup<'process'>;
