/**
 * The state graph a DFS records, and what is computed from it: verdicts, minimal
 * counterexamples and the number of complete schedules the graph stands for.
 *
 * Nodes are distinct states (state keys); node 0 is the initial state. An edge is
 * one scheduling step: the thread that ran, the choices the step consumed (encoded
 * as numbers: a thread pick `t` as t, a data pick `i` as -(i + 1)) and the invariants
 * it violated. A run that ended in a state adds an edge to the pseudo-node END (-1)
 * carrying the end-of-run verdicts (deadlock, finish()).
 */
import type { ThreadId } from '../sched/index.js';
import type { ScheduleItem } from './schedule.js';
import type { Verdict } from './types.js';

export const END = -1;

export class StateGraph {
  private readonly ids = new Map<string, number>();
  /** Per node: the threads enabled there (null until known). */
  readonly enabled: (readonly number[] | null)[] = [];
  /** Per node: true once a run ended there (an edge to END exists). */
  readonly terminal: boolean[] = [];
  /**
   * Per node: its futures are covered by other paths (sleep sets: every enabled
   * thread sleeps there). A node without edges that is not covered is a frontier:
   * left unexplored by a bound.
   */
  readonly covered: boolean[] = [];
  readonly from: number[] = [];
  readonly to: number[] = [];
  readonly thread: number[] = [];
  readonly items: (readonly number[])[] = [];
  readonly viol: (readonly string[])[] = [];
  /** Invariants violated in the initial state. */
  initViol: readonly string[] = [];
  private readonly edgeKeys: Set<string> | null;

  /** `dedupe`: drop an edge already recorded (needed when states may be expanded twice). */
  constructor(dedupe: boolean) {
    this.edgeKeys = dedupe ? new Set() : null;
  }

  get states(): number {
    return this.enabled.length;
  }

  get edges(): number {
    return this.from.length;
  }

  /** The node of a state key, if recorded. */
  find(key: string): number | undefined {
    return this.ids.get(key);
  }

  /** The node of a state key, and whether it is new. */
  node(key: string): { id: number; fresh: boolean } {
    const id = this.ids.get(key);
    if (id !== undefined) return { id, fresh: false };
    const n = this.enabled.length;
    this.ids.set(key, n);
    this.enabled.push(null);
    this.terminal.push(false);
    this.covered.push(false);
    return { id: n, fresh: true };
  }

  addEdge(from: number, to: number, thread: number, items: readonly number[], viol: readonly string[]): void {
    if (this.edgeKeys !== null) {
      const k = `${from}>${to}:${thread}:${items.join(',')}`;
      if (this.edgeKeys.has(k)) return;
      this.edgeKeys.add(k);
    }
    if (to === END) this.terminal[from] = true;
    this.from.push(from);
    this.to.push(to);
    this.thread.push(thread);
    this.items.push(items);
    this.viol.push(viol);
  }

  /** Outgoing edge indices per node. */
  adjacency(): number[][] {
    const out: number[][] = this.enabled.map(() => []);
    for (let e = 0; e < this.from.length; e++) out[this.from[e]].push(e);
    return out;
  }
}

/** Decode edge items into schedule items. */
export function decodeItems(codes: readonly number[]): ScheduleItem[] {
  return codes.map((c) => (c >= 0 ? { kind: 'thread', thread: c as ThreadId } : { kind: 'data', index: -c - 1 }));
}

/**
 * Verdict of invariant `inv` on the graph: `never` if no edge violates it,
 * `always` if every maximal path from the initial state crosses a violating edge
 * (a path that ends, loops, or stops at an unexplored frontier without one escapes),
 * `sometimes` otherwise.
 */
export function verdictOf(g: StateGraph, adj: readonly number[][], inv: string): Verdict {
  if (g.initViol.includes(inv)) return 'always';
  let any = false;
  for (const v of g.viol) if (v.length > 0 && v.includes(inv)) {
    any = true;
    break;
  }
  if (!any) return 'never';
  return escapes(g, adj, inv) ? 'sometimes' : 'always';
}

/**
 * Is there a maximal path avoiding `inv` edges: to END, to a frontier, or into a
 * fair cycle? A cycle is fair (weak fairness) when every thread that is runnable in
 * every state of it also takes a step in it: an infinite run in which a runnable
 * thread never gets the CPU is not a run the kernel's scheduler produces. So a
 * thread spinning on a condition another thread will set does not count as an
 * escape, while two threads that can loop forever together do.
 */
function escapes(g: StateGraph, adj: readonly number[][], inv: string): boolean {
  // Reachable states through edges that do not violate `inv`.
  const seen = new Uint8Array(g.states);
  const order: number[] = [0];
  seen[0] = 1;
  for (let i = 0; i < order.length; i++) {
    const n = order[i];
    const out = adj[n];
    if (out.length === 0 && !g.covered[n]) return true; // frontier: not known to violate
    for (const e of out) {
      if (g.viol[e].includes(inv)) continue;
      const to = g.to[e];
      if (to === END) return true;
      if (seen[to] === 0) {
        seen[to] = 1;
        order.push(to);
      }
    }
  }
  // No escape by ending: look for a fair cycle among the reachable states.
  for (const scc of components(g, adj, inv, order, seen)) if (fair(g, adj, inv, scc)) return true;
  return false;
}

/** Strongly connected components with at least one internal edge (Tarjan, iterative), of the reachable non-`inv` subgraph. */
function components(g: StateGraph, adj: readonly number[][], inv: string, nodes: readonly number[], inSub: Uint8Array): number[][] {
  const index = new Int32Array(g.states).fill(-1);
  const low = new Int32Array(g.states);
  const onStack = new Uint8Array(g.states);
  const stack: number[] = [];
  const out: number[][] = [];
  let counter = 0;
  for (const root of nodes) {
    if (index[root] !== -1) continue;
    const work: { n: number; i: number }[] = [{ n: root, i: 0 }];
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length > 0) {
      const top = work[work.length - 1];
      const edges = adj[top.n];
      if (top.i < edges.length) {
        const e = edges[top.i++];
        const to = g.to[e];
        if (to === END || inSub[to] === 0 || g.viol[e].includes(inv)) continue;
        if (index[to] === -1) {
          index[to] = low[to] = counter++;
          stack.push(to);
          onStack[to] = 1;
          work.push({ n: to, i: 0 });
        } else if (onStack[to] === 1) low[top.n] = Math.min(low[top.n], index[to]);
        continue;
      }
      work.pop();
      if (work.length > 0) {
        const parent = work[work.length - 1].n;
        low[parent] = Math.min(low[parent], low[top.n]);
      }
      if (low[top.n] === index[top.n]) {
        const comp: number[] = [];
        for (;;) {
          const x = stack.pop() as number;
          onStack[x] = 0;
          comp.push(x);
          if (x === top.n) break;
        }
        const members = new Set(comp);
        let internal = false;
        for (const n of comp) {
          for (const e of adj[n]) {
            if (!g.viol[e].includes(inv) && members.has(g.to[e])) internal = true;
          }
        }
        if (internal) out.push(comp);
      }
    }
  }
  return out;
}

/** Weak fairness of a component: every thread runnable in all its states steps inside it. */
function fair(g: StateGraph, adj: readonly number[][], inv: string, comp: readonly number[]): boolean {
  const members = new Set(comp);
  const moves = new Set<number>();
  for (const n of comp) {
    for (const e of adj[n]) if (!g.viol[e].includes(inv) && members.has(g.to[e])) moves.add(g.thread[e]);
  }
  let always: Set<number> | null = null;
  for (const n of comp) {
    const en = new Set<number>(g.enabled[n] ?? adj[n].map((e) => g.thread[e]).filter((t) => t >= 0));
    if (always === null) always = en;
    else for (const t of always) if (!en.has(t)) always.delete(t);
  }
  for (const t of always ?? []) if (!moves.has(t)) return false;
  return true;
}

export interface MinPath {
  /** Edge indices from the initial state; the last one violates the invariant. */
  readonly edges: readonly number[];
  readonly preemptions: number;
  /** Steps on the path (the END pseudo-edge not counted). */
  readonly steps: number;
}

/**
 * For every invariant, the violating path with the fewest preemptions, then the
 * fewest steps. A step by thread t after thread L ran is a preemption when L is
 * still enabled and t !== L. Dijkstra over (state, last thread).
 */
export function minimalPaths(g: StateGraph, adj: readonly number[][], invs: readonly string[]): Map<string, MinPath> {
  const best = new Map<string, MinPath>();
  for (const inv of g.initViol) best.set(inv, { edges: [], preemptions: 0, steps: 0 });
  // Node of the search: state * (threads + 1) + (last + 1).
  let maxThread = 0;
  for (const t of g.thread) if (t > maxThread) maxThread = t;
  const width = maxThread + 2;
  const dist = new Map<number, number>(); // packed cost: preemptions * 2^26 + steps
  const parent = new Map<number, { prev: number; edge: number }>();
  const SCALE = 2 ** 26;
  const heap = new MinHeap();
  const start = 0 * width + 0;
  dist.set(start, 0);
  heap.push(0, start);
  const candidate = new Map<string, { cost: number; node: number; edge: number }>();
  while (heap.size > 0) {
    const [cost, sn] = heap.pop();
    if (cost !== dist.get(sn)) continue;
    const state = Math.floor(sn / width);
    const last = (sn % width) - 1;
    const en = g.enabled[state];
    for (const e of adj[state]) {
      const t = g.thread[e];
      const to = g.to[e];
      const pre = last >= 0 && t !== last && to !== END && en !== null && en.includes(last) ? 1 : 0;
      const c = cost + pre * SCALE + (to === END ? 0 : 1);
      const vs = g.viol[e];
      for (const inv of vs) {
        if (!invs.includes(inv)) continue;
        const cur = candidate.get(inv);
        if (cur === undefined || c < cur.cost) candidate.set(inv, { cost: c, node: sn, edge: e });
      }
      if (to === END) continue;
      const tn = to * width + (t + 1);
      const d = dist.get(tn);
      if (d === undefined || c < d) {
        dist.set(tn, c);
        parent.set(tn, { prev: sn, edge: e });
        heap.push(c, tn);
      }
    }
  }
  for (const [inv, cand] of candidate) {
    if (best.has(inv)) continue;
    const edges: number[] = [cand.edge];
    let sn = cand.node;
    while (sn !== start) {
      const p = parent.get(sn);
      if (p === undefined) break;
      edges.push(p.edge);
      sn = p.prev;
    }
    edges.reverse();
    best.set(inv, { edges, preemptions: Math.floor(cand.cost / SCALE), steps: cand.cost % SCALE });
  }
  return best;
}

/** Does the graph have a cycle reachable from the initial state? */
export function hasCycle(g: StateGraph, adj: readonly number[][]): boolean {
  const colour = new Uint8Array(g.states);
  const stack: { n: number; i: number }[] = [{ n: 0, i: 0 }];
  colour[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const out = adj[top.n];
    if (top.i >= out.length) {
      colour[top.n] = 2;
      stack.pop();
      continue;
    }
    const to = g.to[out[top.i++]];
    if (to === END || colour[to] === 2) continue;
    if (colour[to] === 1) return true;
    colour[to] = 1;
    stack.push({ n: to, i: 0 });
  }
  return false;
}

/** Complete schedules (maximal paths) the graph stands for; Infinity with a cycle. */
export function countPaths(g: StateGraph, adj: readonly number[][]): number {
  const memo = new Float64Array(g.states).fill(-1);
  const colour = new Uint8Array(g.states);
  const stack: { n: number; i: number; sum: number }[] = [{ n: 0, i: 0, sum: 0 }];
  colour[0] = 1;
  while (stack.length > 0) {
    const top = stack[stack.length - 1];
    const out = adj[top.n];
    if (out.length === 0) {
      top.sum = g.covered[top.n] ? 0 : 1; // a frontier ends a path; a covered node's paths are counted elsewhere
      top.i = 1;
    }
    if (top.i >= out.length) {
      memo[top.n] = top.sum;
      colour[top.n] = 2;
      stack.pop();
      if (stack.length > 0) stack[stack.length - 1].sum += top.sum;
      continue;
    }
    const e = out[top.i++];
    const to = g.to[e];
    if (to === END) {
      top.sum += 1;
      continue;
    }
    if (colour[to] === 1) return Infinity;
    if (colour[to] === 2) {
      top.sum += memo[to];
      continue;
    }
    colour[to] = 1;
    stack.push({ n: to, i: 0, sum: 0 });
  }
  return memo[0];
}

/** A binary min-heap of (cost, value) pairs. */
class MinHeap {
  private readonly k: number[] = [];
  private readonly v: number[] = [];

  get size(): number {
    return this.k.length;
  }

  push(key: number, val: number): void {
    const k = this.k;
    const v = this.v;
    let i = k.length;
    k.push(key);
    v.push(val);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (k[p] <= key) break;
      k[i] = k[p];
      v[i] = v[p];
      i = p;
    }
    k[i] = key;
    v[i] = val;
  }

  pop(): [number, number] {
    const k = this.k;
    const v = this.v;
    const top: [number, number] = [k[0], v[0]];
    const lk = k.pop() as number;
    const lv = v.pop() as number;
    if (k.length > 0) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= k.length) break;
        const r = l + 1;
        const c = r < k.length && k[r] < k[l] ? r : l;
        if (k[c] >= lk) break;
        k[i] = k[c];
        v[i] = v[c];
        i = c;
      }
      k[i] = lk;
      v[i] = lv;
    }
    return top;
  }
}
