/**
 * Holders of long-lived page references (issue 12 item 7): whatever keeps a frame on
 * behalf of a process address after the process may have changed what it maps there —
 * a VFIO type1 DMA mapping, an iommufd area, an io_uring registered (fixed) buffer —
 * and the two invariants that read them, `dma-target-is-live` and
 * `dma-coherent-with-process`, written once as functions over a list of holder frames.
 *
 * A holder frame says where the holder is (for reports), the frame the holder reaches
 * (the IOMMU's translation, the buffer's bvec page), the frame the owning process maps
 * at the same address now (or null: unmapped there, process gone) and whether the holder
 * still holds its reference. Each kind of holder has its own wording in violations
 * ("the device reaches", "io_uring fixed I/O reaches"); VFIO and iommufd keep the wording
 * the checker always used.
 *
 * Readers of each kind live beside it: check/vfio.ts, check/iommufd.ts, and the io_uring
 * and pipe readers here (ringMappings, pipeMappings). A new kind adds a reader that returns
 * `DmaMapping`s with its `kind`, and a line to HOLDER_WORDS. A pipe buffer (a plain page
 * reference from write(2) or vmsplice(2)) stands for no process address: only
 * `dma-target-is-live` reads it ("the pipe buffer holds PAGE, which is free").
 *
 * The second half of the file reads every holder at byte granularity for the `holders`
 * probe and pin-balance-at-exit: pageRefHoldings(m) (frame, byte window, the frame the
 * process maps there now, liveness), holdingBytes(m, h) (what the holder would transfer
 * now), pipeHeldRefs(m) (the references pipes hold: holders, not leaks) and holdersProbe.
 */
import type { Machine } from '../linux/machine.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import type { file } from '../linux/include/linux/fs.js';
import type { io_ring_ctx } from '../linux/io_uring/io_uring.js';
import type { io_mapped_ubuf } from '../linux/io_uring/rsrc.js';
import { io_is_uring_fops } from '../linux/io_uring/io_uring.js';
import type { mm_struct } from '../linux/include/linux/mm_types.js';
import { PAGE_SIZE } from '../linux/include/linux/mm_types.js';
import { compound_head, page_count, page_label, page_ref_count, pfn_valid } from '../linux/include/linux/mm.js';
import type { data_run } from '../linux/include/linux/page_data.js';
import { page_read_bytes, render_runs } from '../linux/include/linux/page_data.js';
import { get_pipe_info, live_pipes } from '../linux/fs/pipe.js';
import type { DmaMapping, HeldPin } from './invariants.js';
import type { Finding } from './violation.js';
import { frameAt, vfioDmaMappings } from './vfio.js';
import { iommufdDmaMappings } from './iommufd.js';

/** The kinds of holder the checker knows; other readers may name their own. */
export type HolderKind = 'vfio' | 'iommufd' | 'io_uring' | 'pipe' | (string & Record<never, never>);

/** How violations speak of one kind of holder. */
export interface HolderWords {
  /** Who reaches the holder's frame: `the device`, `io_uring fixed I/O`. */
  readonly reacher: string;
  /** The verb for the holder keeping the frame: `maps`, `holds`. */
  readonly keeps: string;
  /** What stopped holding the frame: `the mapping`, `the buffer`. */
  readonly by: string;
}

const DEVICE: HolderWords = { reacher: 'the device', keeps: 'maps', by: 'the mapping' };

/** Wording per holder kind (a kind not listed speaks as a device mapping). */
export const HOLDER_WORDS: Readonly<Record<string, HolderWords>> = {
  vfio: DEVICE,
  iommufd: DEVICE,
  io_uring: { reacher: 'io_uring fixed I/O', keeps: 'holds', by: 'the buffer' },
  pipe: { reacher: 'the pipe reader', keeps: 'holds', by: 'the pipe buffer' },
};

export function holderWords(kind: HolderKind | undefined): HolderWords {
  return (kind !== undefined ? HOLDER_WORDS[kind] : undefined) ?? DEVICE;
}

/** dma-target-is-live for one holder frame, or null if it holds. */
export function holderLiveFinding(m: Machine, d: DmaMapping): Finding | null {
  if (!pfn_valid(m, d.iommuPfn)) return null; // BAR / PFNMAP: no struct page to free
  // page_count(): a subpage of a large folio (THP, hugetlb, compound device-DAX) has its folio's count.
  const count = page_count(m, d.iommuPfn);
  if (count > 0 && d.pinned) return null;
  const w = holderWords(d.kind);
  return { invariant: 'dma-target-is-live', message: `${d.where} ${w.keeps} ${page_label(d.iommuPfn)}, which is ${count === 0 ? 'free' : `no longer pinned by ${w.by}`}`, objects: [page_label(d.iommuPfn)] };
}

/** dma-coherent-with-process for one holder frame, or null if it holds. */
export function holderCoherentFinding(d: DmaMapping): Finding | null {
  if (d.processPfn === null || d.processPfn === d.iommuPfn) return null;
  const w = holderWords(d.kind);
  return { invariant: 'dma-coherent-with-process', message: `${d.where}: ${w.reacher} reaches ${page_label(d.iommuPfn)} but the process maps ${page_label(d.processPfn)}`, objects: [page_label(d.iommuPfn), page_label(d.processPfn)] };
}

/** The findings of one rule over a list of holder frames, in list order. */
export function holderFindings(m: Machine, id: 'dma-target-is-live' | 'dma-coherent-with-process', frames: Iterable<DmaMapping>): Finding[] | null {
  let out: Finding[] | null = null;
  for (const d of frames) {
    const f = id === 'dma-target-is-live' ? holderLiveFinding(m, d) : holderCoherentFinding(d);
    if (f !== null) (out ??= []).push(f);
  }
  return out;
}

// ---- io_uring registered buffers ------------------------------------------------------------

/** The ring context behind an fd of a task, or null. */
export function ringCtx(t: task_struct, fd: number): io_ring_ctx | null {
  const f = t.files?.fd[fd] ?? null;
  if (f === null || !io_is_uring_fops(f)) return null;
  const ctx = (f as file & { private_data?: unknown }).private_data as io_ring_ctx | null | undefined;
  return ctx ?? null;
}

/**
 * The frame a registered buffer reaches for user address `addr` inside it: bvec[j] — or for a
 * coalesced buffer (6.12, folio_shift > PAGE_SHIFT) the subpage of bvec[j] at the address's
 * offset in its folio-sized block — as io_import_fixed computes it; null past the bvec.
 */
function imuFrame(imu: io_mapped_ubuf, addr: number): number | null {
  const fsize = 2 ** imu.folio_shift;
  const abs = addr - Math.floor(imu.ubuf / fsize) * fsize;
  const j = Math.floor(abs / fsize);
  if (j >= imu.bvec.length) return null;
  return imu.bvec[j] + Math.floor((abs % fsize) / PAGE_SIZE);
}

/** One page of a registered buffer; its text is built only when a report needs it. */
class RingPage implements DmaMapping {
  readonly pinned = true;
  readonly kind = 'io_uring';
  constructor(readonly iommuPfn: number, readonly processPfn: number | null, private readonly fd: number, private readonly buf: number, private readonly vaddr: number, private readonly pid: number) {}
  get where(): string {
    return `io_uring ring fd ${this.fd} buffer ${this.buf} (vaddr 0x${this.vaddr.toString(16)}, pid ${this.pid})`;
  }
}

/**
 * Every page of every registered buffer of the given rings (each ring context once, as
 * first listed), with the frame the buffer reaches — bvec[i], or for a coalesced buffer
 * (6.12, folio_shift > PAGE_SHIFT) the subpage of bvec[j] at the address's offset in its
 * folio-sized block, as io_import_fixed computes it — and the frame the ring's owner
 * (ctx->mm_account, else the listed task) maps at that address now.
 */
export function ringMappings(rings: Iterable<readonly [task_struct, number]>): DmaMapping[] {
  const out: DmaMapping[] = [];
  const seen = new Set<io_ring_ctx>();
  for (const [t, fd] of rings) {
    const ctx = ringCtx(t, fd);
    if (ctx === null || ctx.user_bufs === null || seen.has(ctx)) continue;
    seen.add(ctx);
    const mm: mm_struct | null = t.exited ? null : ctx.mm_account ?? t.mm;
    ctx.user_bufs.forEach((b, i) => {
      if (b === null || b.len === 0) return;
      const first = Math.floor(b.ubuf / PAGE_SIZE) * PAGE_SIZE;
      const end = Math.ceil((b.ubuf + b.len) / PAGE_SIZE) * PAGE_SIZE;
      for (let v = first; v < end; v += PAGE_SIZE) {
        const pfn = imuFrame(b, v);
        if (pfn === null) break;
        out.push(new RingPage(pfn, mm === null || mm.dead === true ? null : frameAt(mm, v), fd, i, v, t.pid));
      }
    });
  }
  return out;
}

/**
 * The pipe buffers' pages (fs/pipe.ts, each pipe once, by id): a buffer holds a page
 * reference until pipe_buf_release; no process address stands behind it (processPfn null).
 */
export function pipeMappings(m: Machine): DmaMapping[] {
  const out: DmaMapping[] = [];
  for (const p of live_pipes(m)) {
    p.bufs.forEach((b, i) => out.push({ iommuPfn: b.page, processPfn: null, pinned: true, kind: 'pipe', where: `pipe:${p.id} buf ${i} (${b.ops})` }));
  }
  return out;
}

// ---- every holder at byte granularity (the holders probe, pin-balance-at-exit) ----------------

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
      for (let at = 0; at < imu.len;) {
        const addr = imu.ubuf + at;
        const pfn = imuFrame(imu, addr);
        if (pfn === null) break;
        const offset = addr % PAGE_SIZE;
        const len = Math.min(PAGE_SIZE - offset, imu.len - at);
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
