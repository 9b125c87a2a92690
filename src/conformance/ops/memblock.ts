// Conformance group: memory blocks offline/online — the guest translation of each op of
// src/scenario/ops/memblock.ts (guest side: conformance/guest/ops-hotplug.c). Every state write
// carries a SIGALRM (the step's `alarm`, else 30 s), so a write that would wait forever reports
// -EINTR instead of losing the case to the driver's 60 s limit.
import { emit, intTok } from '../translate-core.js';
import type { StepTx } from '../translate-core.js';
import type { GuestGroup } from './types.js';

/** memory_block_state / memory_block_zones: one `memblock-state` line, read as its `state` or `zones` field. */
function readBlock(t: StepTx, field: 'state' | 'zones'): void {
  const i = emit(t.c, `memblock-state ${t.as} ${intTok(t.c, t.a.block, 'block')}`);
  if (t.st.as !== null) t.c.plan.push({ name: t.st.as, step: i, kind: field === 'state' ? 'kvstr' : 'kvzones', field });
}

export const MEMBLOCK_GUEST = {
  memory_block_store: {
    guest: 'memblock-store <as> <block> <word> <alarm|30>',
    translate: ({ c, a, as, record }) => {
      const s = a.state;
      const word = s !== undefined && s.kind === 'flags' ? (s.names[0] as string) : intTok(c, s, 'state');
      const alarm = a.alarm !== undefined && a.alarm.kind === 'int' && a.alarm.value > 0n ? a.alarm.value.toString() : '30';
      record(emit(c, `memblock-store ${as} ${intTok(c, a.block, 'block')} ${word} ${alarm}`), 'int');
    },
  },
  memory_block_state: { guest: 'memblock-state <as> <block>', translate: (t) => readBlock(t, 'state') },
  memory_block_zones: { guest: 'memblock-state <as> <block>', translate: (t) => readBlock(t, 'zones') },
  memory_block_of: {
    guest: 'memblock-of <as> 0 <addr> [place]',
    // The case's first memblock-of places its page (ops-hotplug.c memblock_place): a block the
    // kernel reserved pages in at boot can never be offlined, and which blocks those are differs
    // from boot to boot; the model has none, so the page is kept out of them (a set-up step).
    translate: ({ c, as, record, fd }) => {
      const first = !c.lines.some((l) => l.startsWith('memblock-of '));
      record(emit(c, `memblock-of ${as} 0 ${fd('addr')}${first ? ' place' : ''}`), 'block');
    },
  },
} satisfies GuestGroup<'memblock'>;
