/**
 * Scenario parsing (entry: src/scenario/parse.ts) — `observe`: the probes (ops.ts PROBES).
 */
import type { Node as YNode } from 'yaml';
import { isMap, isScalar } from 'yaml';
import type { Observation, Probe } from '../ast.js';
import { PROBES, PROBE_KINDS } from '../ops.js';
import { noteRefs } from './threads.js';
import type { Walker} from './walker.js';
import { describe, mean } from './walker.js';

export function parseObserve(w: Walker, node: YNode | null): Observation[] {
  const out: Observation[] = [];
  if (!isMap(node)) {
    w.err(w.pos(node), `observe: expected a mapping of names to probes, found ${describe(node)}`);
    return out;
  }
  for (const pair of node.items) {
    const key = pair.key as YNode | null;
    const name = w.ident(key, 'observe');
    if (name === null) continue;
    const at = w.pos(key);
    const probe = parseProbe(w, (pair.value as YNode | null) ?? null, `observe.${name}`);
    w.define(name, 'observation', at);
    if (probe !== null) out.push({ name, probe, at });
  }
  return out;
}

export function parseProbe(w: Walker, node: YNode | null, where: string): Probe | null {
  if (!isMap(node) || node.items.length !== 1) {
    w.err(w.pos(node), `${where}: expected one probe '{ <kind>: ... }' (kinds: ${PROBE_KINDS.join(', ')}), found ${isMap(node) ? `${node.items.length} keys` : describe(node)}`);
    return null;
  }
  const pair = node.items[0];
  const key = pair.key as YNode | null;
  const at = w.pos(key);
  if (!isScalar(key) || typeof key.value !== 'string') {
    w.err(at, `${where}: a probe kind must be a name`);
    return null;
  }
  const kind = key.value;
  const spec = PROBES.get(kind);
  if (spec === undefined) {
    w.err(at, `${where}: unknown probe '${kind}' (kinds: ${PROBE_KINDS.join(', ')})${mean(kind, PROBE_KINDS)}`);
    return null;
  }
  const val = (pair.value as YNode | null) ?? null;
  switch (spec.shape) {
    case 'point': {
      const m = w.map(val, `${where}.${kind}`, ['process', 'addr'], ['process', 'addr']);
      if (m === null) return null;
      const pnode = m.get('process')?.value ?? null;
      const process = w.ident(pnode, 'process');
      const addr = w.intExpr(m.get('addr')?.value ?? null, 'addr');
      if (process === null || addr === null) return null;
      w.ref(process, null, w.pos(pnode), ['process'], 'process');
      noteRefs(w, addr, `${where}.${kind}.addr`);
      return { kind: kind as 'frame', process, addr, at };
    }
    case 'process': {
      const process = w.ident(val, `${where}.${kind}`);
      if (process === null) return null;
      w.ref(process, null, w.pos(val), ['process'], `${where}.${kind}`);
      return { kind: kind as 'locked_vm', process, at };
    }
    case 'iommu': {
      const m = w.map(val, `${where}.iommu`, ['container', 'iova'], ['container', 'iova']);
      if (m === null) return null;
      const container = w.intExpr(m.get('container')?.value ?? null, 'container');
      const iova = w.intExpr(m.get('iova')?.value ?? null, 'iova');
      if (container === null || iova === null) return null;
      noteRefs(w, container, `${where}.iommu.container`);
      noteRefs(w, iova, `${where}.iommu.iova`);
      return { kind: 'iommu', container, iova, at };
    }
    case 'path': {
      const path = w.str(val, `${where}.file_size`);
      if (path === null) return null;
      w.ref(path.startsWith('$') ? path.slice(1) : path, null, w.pos(val), ['file'], `${where}.file_size`);
      return { kind: 'file_size', path, at };
    }
    case 'thread': {
      const s = w.ident(val, `${where}.thread`);
      if (s === null) return null;
      w.ref(s, null, w.pos(val), ['thread'], `${where}.thread`);
      return { kind: 'thread', thread: s, at };
    }
  }
}
