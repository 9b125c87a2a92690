/**
 * MODEL (no kernel counterpart): the pinning counters of each mm as footprint objects
 * (src/scenario/access-footprint.ts): `vm.<mm>` is mm->locked_vm, mm->pinned_vm and the
 * has-pinned flag (mm->has_pinned, MMF_HAS_PINNED) of mm `<mm>`, and `vm` covers them all.
 *
 * VFIO's and iommufd's accounting (vfio_lock_acct, __account_locked_vm, the pinned_vm
 * charge) and the first FOLL_PIN of an mm (mm_set_has_pinned_flag) then no longer write
 * `world`: a step that only charges or uncharges commutes with another thread's step that
 * neither charges the same mm nor reads its counters (fork's copy of a maybe-pinned page
 * reads the flag). The fingerprint with `fingerprintMask.precise` leaves the three fields
 * out (mm/fingerprint.ts).
 *
 * Reads are reported by the fields themselves: for a tracked run, the two fields of every
 * live mm become accessors (installed at the first step boundary that sees the mm) that
 * report `vm.<mm>` on every read inside a step. A step that creates an mm and reads its
 * counters is not seen reading them; such a step also writes `world` (the set of mms is in
 * the rest of the world), so it is dependent with every step, and the value it read did not
 * exist before it. The checker reads locked_vm only at the end of a run
 * (locked-vm-accounting), so no step invariant reads these objects.
 */
import type { Machine } from '../linux/machine.js';
import type { mm_struct } from '../linux/include/linux/mm_types.js';
import type { ExtraObjects } from './object-footprint.js';

/** The counters tracked per mm. */
const FIELDS = ['locked_vm', 'pinned_vm', 'has_pinned'] as const;

/** The raw values behind the accessors of one mm. */
interface Counters {
  locked_vm: number;
  pinned_vm: number;
  has_pinned: boolean;
}

/** The counter objects of machine `m`, with reads reported to `read` (which records them only inside a step). */
export function counterObjects(m: Machine, read: (id: string) => void): ExtraObjects {
  const raw = new WeakMap<mm_struct, Counters>();
  let mms: mm_struct[] = [];
  let ids: string[] = [];
  const track = (mm: mm_struct): Counters => {
    const id = `vm.${mm.id}`;
    const c: Counters = { locked_vm: mm.locked_vm, pinned_vm: mm.pinned_vm, has_pinned: mm.has_pinned };
    for (const f of FIELDS) {
      Object.defineProperty(mm, f, {
        configurable: true,
        enumerable: true,
        get(): number | boolean {
          read(id);
          return c[f];
        },
        set(v: never): void {
          c[f] = v;
        },
      });
    }
    raw.set(mm, c);
    return c;
  };
  return {
    ids(): readonly string[] {
      const now = [...m.mms];
      if (now.length > 1) now.sort((a, b) => a.id - b.id);
      let same = now.length === mms.length;
      for (let i = 0; same && i < now.length; i++) same = now[i] === mms[i];
      if (!same) {
        for (const mm of now) if (!raw.has(mm)) track(mm);
        mms = now;
        ids = now.map((mm) => `vm.${mm.id}`);
      }
      return ids;
    },
    value(i: number): string {
      const c = raw.get(mms[i]) as Counters;
      return `${c.locked_vm},${c.pinned_vm},${c.has_pinned ? 1 : 0}`;
    },
  };
}
