// Conformance group: observation — how each op of src/scenario/ops/observe.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import { emit, fail, probeLine } from '../translate-core.js';
import type { GuestGroup } from './types.js';

export const OBSERVE_GUEST = {
  observe: {
    guest: 'frame, load, locked-vm, pinned-vm, file-size',
    translate: ({ c, st, as, record }) => {
      if (st.probe === null) fail('observe without a probe');
      const pl = probeLine(c, st.probe, as);
      if (pl === 'null') {
        if (st.as !== null) c.plan.push({ name: st.as, step: -1, kind: 'int', constant: null });
        return;
      }
      record(emit(c, pl.line), pl.kind);
    },
  },
} satisfies GuestGroup<'observe'>;
