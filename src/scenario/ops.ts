/**
 * The scenario-format contract's view of the op table (docs/scenario-format.md): the ops
 * with their arguments, for the validator (parse.ts, schema.ts), the conformance check
 * (ast.ts) and the fuzz campaign; and the probes.
 *
 * Ops are declared in src/scenario/ops/<area>.ts and joined in src/scenario/ops/index.ts
 * (OP_TABLE): this file only re-exports that table by name. Flag names are kept as names
 * (their values differ per release, e.g. FOLL_* in 6.5+); the model resolves them.
 */
import { OP_TABLE } from './ops/index.js';
import type { OpDef, OpName } from './ops/index.js';

export type { ArgSpec, ArgType, OpClass, OpDef } from './ops/types.js';
export type { OpName } from './ops/index.js';
export {
  PROT_NAMES, MAP_NAMES, O_NAMES, MFD_NAMES, FALLOC_NAMES, MADV_NAMES, FOLL_NAMES, VFIO_DMA_MAP_FLAG_NAMES, VFIO_DMA_UNMAP_FLAG_NAMES, VFIO_IOMMU_DIRTY_PAGES_FLAG_NAMES, VFIO_IOMMU_TYPE_NAMES, VFIO_EXTENSION_NAMES, IOMMU_IOAS_MAP_FLAG_NAMES, IOMMU_OPTION_NAMES, IOMMU_OPTION_OP_NAMES, IOMMU_PROT_NAMES, RLIMIT_NAMES, SIGNAL_NAMES, CAP_NAMES,
} from './ops/flags.js';

/** An op of the table with its name. */
export interface OpSpec extends OpDef {
  readonly name: OpName;
}

export const OPS: ReadonlyMap<string, OpSpec> = new Map((Object.entries(OP_TABLE) as [OpName, OpDef][]).map(([name, d]) => [name, { name, ...d }]));
export const OP_NAMES: readonly OpName[] = [...OPS.keys()] as OpName[];

// ---- probes ---------------------------------------------------------------------------------

export type ProbeKind = 'frame' | 'zone' | 'cma' | 'refcount' | 'pincount' | 'locked_vm' | 'pinned_vm' | 'iommu' | 'content' | 'file_size' | 'thread' | 'holders';

export interface ProbeSpec {
  readonly kind: ProbeKind;
  /** `point`: `{ process, addr }`; `process`: a process name; `iommu`: `{ container, iova }`; `path`; `thread`. */
  readonly shape: 'point' | 'process' | 'iommu' | 'path' | 'thread';
  /** A real-kernel driver can read it (pagemap, zoneinfo, /proc/self/status, the data). */
  readonly conformance: boolean;
  readonly doc: string;
}

const probeList: readonly ProbeSpec[] = [
  { kind: 'frame', shape: 'point', conformance: true, doc: 'pfn mapped at addr, or null' },
  { kind: 'zone', shape: 'point', conformance: true, doc: 'zone name of that frame (DMA32, Normal, Movable, Device), or null' },
  { kind: 'cma', shape: 'point', conformance: false, doc: 'true if that frame is in a CMA pageblock' },
  { kind: 'refcount', shape: 'point', conformance: false, doc: 'page_ref_count of that frame' },
  { kind: 'pincount', shape: 'point', conformance: false, doc: 'FOLL_PIN pins of that frame' },
  { kind: 'locked_vm', shape: 'process', conformance: true, doc: 'mm->locked_vm in pages' },
  { kind: 'pinned_vm', shape: 'process', conformance: true, doc: 'mm->pinned_vm in pages' },
  { kind: 'iommu', shape: 'iommu', conformance: false, doc: 'pfn the container IOMMU maps at iova, or null' },
  { kind: 'content', shape: 'point', conformance: true, doc: 'content tag of the byte the process sees at addr, or null' },
  { kind: 'file_size', shape: 'path', conformance: true, doc: 'i_size of a file in bytes' },
  { kind: 'thread', shape: 'thread', conformance: false, doc: 'done, blocked or runnable' },
  {
    kind: 'holders', shape: 'process', conformance: false,
    doc: "what each long-lived page-reference holder the process reaches sees now (check/holders.ts): one string per page, 'pipe <data>' or '<vfio|iommufd|io_uring> <same|moved|unmapped> <data>'",
  },
];

export const PROBES: ReadonlyMap<string, ProbeSpec> = new Map(probeList.map((p) => [p.kind, p]));
export const PROBE_KINDS: readonly string[] = probeList.map((p) => p.kind);
