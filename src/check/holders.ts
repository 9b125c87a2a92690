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
 * reader here (ringMappings). A new kind (a pipe buffer, ...) adds a reader that returns
 * `DmaMapping`s with its `kind`, and a line to HOLDER_WORDS.
 */
import type { Machine } from '../linux/machine.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import type { file } from '../linux/include/linux/fs.js';
import type { io_ring_ctx } from '../linux/io_uring/io_uring.js';
import { io_is_uring_fops } from '../linux/io_uring/io_uring.js';
import type { mm_struct } from '../linux/include/linux/mm_types.js';
import { PAGE_SIZE } from '../linux/include/linux/mm_types.js';
import { page_count, page_label, pfn_valid } from '../linux/include/linux/mm.js';
import type { DmaMapping } from './invariants.js';
import type { Finding } from './violation.js';
import { frameAt } from './vfio.js';

/** The kinds of holder the checker knows; other readers may name their own. */
export type HolderKind = 'vfio' | 'iommufd' | 'io_uring' | (string & Record<never, never>);

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
      const fsize = 2 ** b.folio_shift;
      const base = Math.floor(b.ubuf / fsize) * fsize;
      for (let v = first; v < end; v += PAGE_SIZE) {
        const j = Math.floor((v - base) / fsize);
        if (j >= b.bvec.length) break;
        const pfn = b.bvec[j] + ((v - base) % fsize) / PAGE_SIZE;
        out.push(new RingPage(pfn, mm === null || mm.dead === true ? null : frameAt(mm, v), fd, i, v, t.pid));
      }
    });
  }
  return out;
}
