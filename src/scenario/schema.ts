/**
 * The scenario format as a zod schema, built from the operation catalogue (ops.ts).
 *
 * It serves two purposes: `schema/scenario.schema.json` is generated from it (for
 * editors: `npx tsx scripts/gen-scenario-schema.ts`; tests/unit/scenario/schema.test.ts
 * fails when the checked-in file is stale), and tests cross-check that every corpus
 * file the validator (parse.ts) accepts also satisfies it. The validator itself walks
 * the YAML nodes to give `file:line:col` messages and checks names, profiles and
 * references, which a JSON Schema cannot.
 */
import { z } from 'zod';
import { INVARIANT_IDS, VERDICTS } from '../check/ids.js';
import type { ArgType, OpSpec, ProbeSpec } from './ops.js';
import { CAP_NAMES, MAP_NAMES, OPS, PROBES, PROT_NAMES, RLIMIT_NAMES } from './ops.js';

const name = z.string().regex(/^\$?[A-Za-z_][A-Za-z0-9_-]*$/);
// Any integer a YAML number can write, u64 addresses above 2^53 included (the validator reads them
// exactly, src/scenario/parse): z.number().int() would stop at the safe-integer range.
const intLike = z.union([z.number().multipleOf(1), z.string().min(1)]).describe('integer, size ("2 pages", "4K"), $name, or a sum');

const flagCache = new Map<string, z.ZodType>();

function flagsOf(names: readonly string[], family: string): z.ZodType {
  const key = `${family}:${names.join(',')}`;
  const hit = flagCache.get(key);
  if (hit !== undefined) return hit;
  const made = makeFlags(names, family);
  flagCache.set(key, made);
  return made;
}

function makeFlags(names: readonly string[], family: string): z.ZodType {
  const alt = names.join('|');
  const re = new RegExp(`^\\s*(${alt})\\s*(\\|\\s*(${alt})\\s*)*$`);
  return z.union([z.string().regex(re), z.array(z.enum(names as [string, ...string[]])), z.number().int()]).describe(`${family}* flags: 'A|B', a list, or an integer`);
}

function argSchema(t: ArgType): z.ZodType {
  switch (t.kind) {
    case 'int':
      return intLike;
    case 'flags':
      return flagsOf(t.names, t.family);
    case 'enum':
      return z.union([z.enum(t.names as [string, ...string[]]), z.number().int()]);
    case 'process':
    case 'new-process':
    case 'device':
    case 'thread':
      return name;
    case 'path':
    case 'string':
    case 'content':
      return z.string();
    case 'bool':
      return z.boolean();
    case 'pages':
      return z.string().regex(/^\$[A-Za-z_][A-Za-z0-9_-]*\.pages$/);
    case 'iovecs':
      return z.array(z.object({ base: intLike, len: intLike }).strict());
    case 'caps':
      return z.array(z.enum(CAP_NAMES));
  }
}

function probeSchema(p: ProbeSpec): z.ZodType {
  switch (p.shape) {
    case 'point':
      return z.object({ process: name, addr: intLike }).strict();
    case 'process':
      return name;
    case 'iommu':
      return z.object({ container: intLike, iova: intLike }).strict();
    case 'path':
      return z.string();
    case 'thread':
      return name;
  }
}

const probe = z.union([...PROBES.values()].map((p) => z.object({ [p.kind]: probeSchema(p) }).strict().describe(p.doc)) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);

function stepSchema(op: OpSpec): z.ZodType {
  let args: z.ZodType;
  if (op.cls === 'observe') args = probe;
  else {
    const shape: Record<string, z.ZodType> = {};
    for (const a of op.args) shape[a.name] = a.dflt === undefined ? argSchema(a.type) : argSchema(a.type).optional();
    args = z.object(shape).strict();
    if (op.args.every((a) => a.dflt !== undefined)) args = z.union([args, z.null()]);
  }
  return z.object({ [op.name]: args, as: name.optional(), after: name.optional() }).strict().describe(op.doc);
}

const step = z.union([...OPS.values()].map(stepSchema) as unknown as [z.ZodType, z.ZodType, ...z.ZodType[]]);

const expected: z.ZodType = z.lazy(() =>
  z.union([
    z.number().int(),
    z.string(),
    z.boolean(),
    z.null(),
    z.array(expected),
    z.object({ eq: expected }).strict(),
    z.object({ ne: expected }).strict(),
    z.object({ lt: expected }).strict(),
    z.object({ le: expected }).strict(),
    z.object({ gt: expected }).strict(),
    z.object({ ge: expected }).strict(),
    z.object({ oneof: z.array(expected) }).strict(),
  ]),
);

const verdict = z.string().regex(new RegExp(`^(${VERDICTS.join('|')}|${VERDICTS.map((v) => v[0].toUpperCase() + v.slice(1)).join('|')})$`));

/** exists/forall: value paths (`r`, `r.pages`, `r.pages[0]`) to expected values; a list is a disjunction. */
const condition = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z_][A-Za-z0-9_]*)?(\[[0-9]+\])*$/), expected);
const outcomeCondition = z.union([condition, z.array(condition).min(1)]);

const profileExpect = z.object({
  values: z.record(z.string(), expected).optional(),
  exists: outcomeCondition.describe('some reachable outcome satisfies the condition (one of the list)').optional(),
  forall: outcomeCondition.describe('every reachable outcome satisfies the condition (one of the list)').optional(),
  invariants: z.object(Object.fromEntries(INVARIANT_IDS.map((id) => [id, verdict.optional()]))).strict().optional(),
  warnings: z.array(z.string()).optional(),
  bugs: z.array(z.string()).optional(),
}).strict();

const mapping = z.object({
  name,
  addr: intLike.optional(),
  length: intLike,
  prot: flagsOf(PROT_NAMES, 'PROT_'),
  flags: flagsOf(MAP_NAMES, 'MAP_'),
  file: z.string().optional(),
  offset: intLike.optional(),
  populate: z.boolean().optional(),
}).strict();

const rlimit = z.union([intLike, z.object({ cur: intLike, max: intLike.optional() }).strict()]);

const setup = z.object({
  memory: z.object({
    zones: z.object({ DMA32: intLike.optional(), Normal: intLike.optional(), Movable: intLike.optional() }).strict().optional(),
    cma: intLike.optional(),
    hugepages: z.union([z.number().int().min(0), z.object({ '2M': z.number().int().min(0).optional(), '1G': z.number().int().min(0).optional() }).strict()]).optional(),
    pmem: z.array(z.object({ name, size: intLike, mode: z.enum(['fsdax', 'devdax']) }).strict()).optional(),
  }).strict().optional(),
  filesystems: z.array(z.object({ mount: z.string(), type: z.enum(['ext4', 'tmpfs', 'hugetlbfs']), dax: z.boolean().optional(), device: name.optional() }).strict()).optional(),
  files: z.array(z.object({ path: z.string(), size: intLike, name: name.optional(), cached: z.array(z.number().int()).optional() }).strict()).optional(),
  processes: z.array(z.object({
    name,
    uid: z.number().int().optional(),
    caps: z.union([z.literal('all'), z.array(z.enum(CAP_NAMES))]).optional(),
    rlimits: z.object(Object.fromEntries(RLIMIT_NAMES.map((r) => [r, rlimit.optional()]))).strict().optional(),
    comm: z.string().optional(),
    mappings: z.array(mapping).optional(),
  }).strict()).optional(),
  devices: z.array(z.object({ name, kind: z.enum(['edu', 'mdev']), iommu_group: z.number().int().optional(), driver: z.enum(['vfio-pci', 'pci-stub', 'kernel']).optional(), bar: intLike.optional() }).strict()).optional(),
  vfio: z.object({
    dma_entry_limit: z.number().int().optional(),
    containers: z.array(z.object({ name, process: name, iommu: z.enum(['VFIO_TYPE1_IOMMU', 'VFIO_TYPE1v2_IOMMU']).optional(), groups: z.array(name).optional() }).strict()).optional(),
  }).strict().optional(),
}).strict();

export const scenarioSchema = z.object({
  format: z.literal(1).optional(),
  question: z.string(),
  refs: z.array(z.union([z.string(), z.record(z.string(), z.string())])).optional(),
  tags: z.array(z.string()).optional(),
  setup: setup.optional(),
  threads: z.array(z.object({
    name: name.optional(),
    process: name.optional(),
    kthread: z.literal(true).optional(),
    steps: z.array(step),
  }).strict()).min(1),
  observe: z.record(z.string(), probe).optional(),
  expect: z.record(z.string(), profileExpect),
  schedule: z.string().optional(),
  explore: z.object({ preemption_bound: z.number().int().optional(), max_schedules: z.number().int().optional(), cache: z.enum(['history', 'positions']).optional() }).strict().optional(),
}).strict();

/** The JSON Schema for editors (schema/scenario.schema.json). */
export function scenarioJsonSchema(): string {
  const js = z.toJSONSchema(scenarioSchema, { target: 'draft-2020-12', reused: 'ref' }) as Record<string, unknown>;
  const out = {
    $id: 'https://pinlab.invalid/schema/scenario.schema.json',
    title: 'pinlab scenario (format 1)',
    description: 'See docs/scenario-format.md. Generated from src/scenario/schema.ts; do not edit.',
    ...js,
  };
  return JSON.stringify(out, null, 2) + '\n';
}
