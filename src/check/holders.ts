/**
 * Every long-lived holder of page references, read straight from the Machine: what frame
 * each holds, which bytes of it, and (where the holder stands for a process address) the
 * frame the process maps at that address now.
 *
 * Holders:
 * - `vfio`: a VFIO type1 DMA mapping's pinned, IOMMU-mapped page (check/vfio.ts);
 * - `iommufd`: an iommufd IOAS area's pinned page mapped in a domain (check/iommufd.ts);
 * - `io_uring`: a registered (fixed) buffer's pinned page (imu->bvec), compared with what
 *   the ring creator's mm maps at imu->ubuf + offset now;
 * - `pipe`: a pipe buffer's page reference (anon buffers from write(2), or the user page
 *   vmsplice(2) put there), with its byte window; no process address (the kernel keeps none).
 *
 * `pageRefHoldings(m)` is the one enumeration other checks call (the generalised
 * dma-coherent-with-process / dma-target-is-live invariants, the `holders` probe);
 * `holdingBytes(m, h)` reads what the holder would transfer now (page_data.ts runs).
 */
import type { Machine } from '../linux/machine.js';
import type { file } from '../linux/include/linux/fs.js';
import { PAGE_SIZE } from '../linux/include/linux/mm_types.js';
import { compound_head, page_ref_count, pfn_valid } from '../linux/include/linux/mm.js';
import type { data_run } from '../linux/include/linux/page_data.js';
import { page_read_bytes, render_runs } from '../linux/include/linux/page_data.js';
import type { io_ring_ctx } from '../linux/io_uring/io_uring.js';
import { get_pipe_info, live_pipes } from '../linux/fs/pipe.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import type { mm_struct } from '../linux/include/linux/mm_types.js';
import { frameAt, vfioDmaMappings } from './vfio.js';
import type { HeldPin } from './invariants.js';
import { iommufdDmaMappings } from './iommufd.js';

export type HolderKind = 'vfio' | 'iommufd' | 'io_uring' | 'pipe';

/** One page a holder keeps a reference (or a pin) on. */
export interface PageRefHolding {
  readonly holder: HolderKind;
  /** Who holds it, for reports: `pipe:3 buf 0`, `io_uring ring fd 5 buf 0 +0x1000 (pid 1)`, the VFIO/iommufd `where`. */
  readonly where: string;
  /** 'pin' for FOLL_PIN (long-term) holders, 'ref' for plain references (pipes). */
  readonly kind: 'pin' | 'ref';
  readonly pfn: number;
  /** The bytes of the frame the holder covers. */
  readonly offset: number;
  readonly len: number;
  /** The user address the holder stands for, or null (a pipe buffer keeps none). */
  readonly addr: number | null;
  /** The frame the owning process maps at `addr` now; null when unmapped, gone, or `addr` is null. */
  readonly processPfn: number | null;
  /** The frame still has a folio with a reference (a holder on a freed frame is a bug). */
  readonly live: boolean;
  /**
   * Whose it is: `pid:N` (a VFIO / iommufd mapping of process N's memory), `ring:N` (io_uring
   * ring context N) or `pipe:N`; a process reaches the rings and pipes through its fds
   * (holderKeysOf).
   */
  readonly key: string;
}

/** The holder keys a process reaches: its own pid, and the rings and pipes behind its fds. */
export function holderKeysOf(t: task_struct): Set<string> {
  const keys = new Set<string>([`pid:${t.pid}`]);
  for (const f of t.files?.fd ?? []) {
    if (f === null) continue;
    const p = get_pipe_info(f);
    if (p !== null) keys.add(`pipe:${p.id}`);
    if (f.f_op.owner === 'io_uring') keys.add(`ring:${(f.private_data as io_ring_ctx).id}`);
  }
  return keys;
}

const PID_IN_WHERE = /pid (\d+)\)$/;
function pidKey(where: string): string {
  const m = PID_IN_WHERE.exec(where);
  return m === null ? 'pid:?' : `pid:${m[1]}`;
}

function frameLive(m: Machine, pfn: number): boolean {
  if (!pfn_valid(m, pfn)) return true; // no struct page (BAR): nothing to free
  return m.mem.peek_slot(pfn) !== 0 && page_ref_count(m, compound_head(m, pfn)) > 0;
}

/** The io_uring ring contexts reachable from open files (each once), with the fd of the first file found. */
function ringContexts(m: Machine): { ctx: io_ring_ctx; fd: number; pid: number; mm: mm_struct | null }[] {
  const out: { ctx: io_ring_ctx; fd: number; pid: number; mm: mm_struct | null }[] = [];
  for (const t of m.tasks.values()) {
    const fds = t.files?.fd ?? [];
    for (let fd = 0; fd < fds.length; fd++) {
      const f: file | null = fds[fd];
      if (f === null || f.f_op.owner !== 'io_uring') continue;
      const ctx = f.private_data as io_ring_ctx;
      if (!out.some((x) => x.ctx === ctx)) out.push({ ctx, fd, pid: t.pid, mm: t.mm });
    }
  }
  return out;
}

/** Every page-reference holding of the machine, in a stable order (vfio, iommufd, io_uring, pipes). */
export function pageRefHoldings(m: Machine): PageRefHolding[] {
  const out: PageRefHolding[] = [];
  for (const d of vfioDmaMappings(m)) {
    out.push({ holder: 'vfio', where: d.where, kind: 'pin', pfn: d.iommuPfn, offset: 0, len: PAGE_SIZE, addr: null, processPfn: d.processPfn, live: d.pinned && frameLive(m, d.iommuPfn), key: pidKey(d.where) });
  }
  for (const d of iommufdDmaMappings(m)) {
    out.push({ holder: 'iommufd', where: d.where, kind: 'pin', pfn: d.iommuPfn, offset: 0, len: PAGE_SIZE, addr: null, processPfn: d.processPfn, live: d.pinned && frameLive(m, d.iommuPfn), key: pidKey(d.where) });
  }
  for (const { ctx, fd, pid, mm: fdMm } of ringContexts(m)) {
    // The registering process's mm: 6.1+ keeps it as ctx->mm_account; 5.4/5.6 (no such
    // field in the model) — the mm of the first task found holding the ring fd.
    const acct = ctx.mm_account ?? fdMm;
    const mm = acct !== null && !acct.dead ? acct : null;
    (ctx.user_bufs ?? []).forEach((imu, bi) => {
      if (imu === null || imu.len <= 0) return;
      const fsize = 2 ** imu.folio_shift;
      const off0 = imu.folio_shift === 12 ? imu.ubuf % PAGE_SIZE : imu.ubuf % fsize;
      for (let at = 0; at < imu.len;) {
        const abs = off0 + at;
        const pfn = imu.bvec[Math.floor(abs / fsize)] + Math.floor((abs % fsize) / PAGE_SIZE);
        const offset = abs % PAGE_SIZE;
        const len = Math.min(PAGE_SIZE - offset, imu.len - at);
        const addr = imu.ubuf + at;
        out.push({
          holder: 'io_uring', where: `io_uring ring fd ${fd} buf ${bi} +0x${at.toString(16)} (pid ${pid})`, kind: 'pin', pfn, offset, len, addr,
          processPfn: mm === null ? null : frameAt(mm, addr), live: frameLive(m, pfn), key: `ring:${ctx.id}`,
        });
        at += len;
      }
    });
  }
  for (const p of live_pipes(m)) {
    p.bufs.forEach((b, i) => {
      out.push({ holder: 'pipe', where: `pipe:${p.id} buf ${i} (${b.ops})`, kind: 'ref', pfn: b.page, offset: b.offset, len: b.len, addr: null, processPfn: null, live: frameLive(m, b.page), key: `pipe:${p.id}` });
    });
  }
  return out;
}

/** What a holding's bytes hold now (runs relative to its offset); a frame without struct page reads as zeroes. */
export function holdingBytes(m: Machine, h: PageRefHolding): data_run[] {
  if (!pfn_valid(m, h.pfn) || m.mem.peek_slot(h.pfn) === 0) return h.len > 0 ? [{ offset: 0, len: h.len, tag: '' }] : [];
  return page_read_bytes(m, h.pfn, h.offset, h.len);
}

/**
 * The page references pipes hold (each buffer's page, and the one-deep tmp_page cache of
 * anon_pipe_buf_release), for pin-balance-at-exit: they are holders, not leaks.
 */
export function pipeHeldRefs(m: Machine): HeldPin[] {
  const out: HeldPin[] = [];
  for (const p of live_pipes(m)) {
    p.bufs.forEach((b, i) => out.push({ pfn: b.page, holder: `pipe:${p.id} buf ${i}`, kind: 'ref' }));
    if (p.tmp_page !== null) out.push({ pfn: p.tmp_page, holder: `pipe:${p.id} tmp_page`, kind: 'ref' });
  }
  return out;
}

/**
 * The `holders` probe: what each page-reference holder a process reaches sees now, one
 * string per holding page, in pageRefHoldings order: `<holder> <data>` for a pipe buffer,
 * `<holder> <same|moved|unmapped> <data>` for the others (does the process map that very
 * frame at the holder's address now?), with <data> as render_runs gives it ('' shows as
 * `zero`).
 */
export function holdersProbe(m: Machine, t: task_struct): string[] {
  const keys = holderKeysOf(t);
  const out: string[] = [];
  for (const h of pageRefHoldings(m)) {
    if (!keys.has(h.key)) continue;
    const data = render_runs(holdingBytes(m, h));
    const shown = data === '' ? 'zero' : data;
    if (h.holder === 'pipe') out.push(`pipe ${shown}`);
    else out.push(`${h.holder} ${h.processPfn === null ? 'unmapped' : h.processPfn === h.pfn ? 'same' : 'moved'} ${shown}`);
  }
  return out;
}
