/**
 * MODEL (no kernel counterpart): a fingerprint of all memory-model state — the
 * mem_map, zones and free lists, hugetlb pool, every live mm (fields, VMAs, page
 * tables, mmap_lock state), tasks, fd tables, open files, mounts and inodes (page
 * cache, DAX entries and blocks, backing data, lock state). The explorer hashes it
 * for state caching.
 *
 * Every struct is visited by exhaustive destructuring (style guide example 9):
 * adding a field to one of them is a compile error here until someone decides
 * whether it belongs in the fingerprint.
 *
 * Soundness over precision: two states with equal fingerprints are equal in
 * everything listed; equal states reached along different paths may still differ
 * in ids (slot numbers, object ids), which only costs cache hits.
 * Cost: linear in the live folio slots, VMAs, page-table entries and cached pages.
 *
 * Speed (the explorer calls this at every new step): the exhaustiveness check is
 * done by the type checker only (`Covered<T, keys>` must be `never`), with no rest
 * object built at run time, and keyed collections are walked in key order without
 * copying when they have at most one entry or are already in order (the same words
 * as a sort-then-hash walk); RLIM_INFINITY is hashed as one word; a frame's content tag
 * is hashed as its string's length and hash, computed once per tag (`tagWords`).
 */
import type { Machine } from '../machine.js';
import type { MemMap, mm_struct, page_table, pte_table, vm_area_struct, zone } from '../include/linux/mm_types.js';
import type { address_space, file, files_struct, inode, super_block } from '../include/linux/fs.js';
import type { task_struct } from '../include/linux/sched.js';

/** The non-method keys of T. */
type DataKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? never : K }[keyof T];
/**
 * Compile-time exhaustiveness (the destructuring trick without a run-time rest
 * object): the data keys of T not named in K. `Exhaustive<never>` accepts only
 * never, so adding a field to a struct is a compile error at its `Exhaustive` line
 * until someone lists it below (hashed, or left out with a reason).
 */
type Covered<T, K extends keyof T> = Exclude<DataKeys<T>, K>;
type Exhaustive<X extends never> = X;

/** Two 32-bit FNV-1a style lanes over 32-bit words; numbers up to 2^53 are split. */
class Hasher {
  private a = 0x811c9dc5 | 0;
  private b = 0x01000193 | 0;

  int(x: number): void {
    const lo = x | 0;
    const hi = Math.floor(x / 4294967296) | 0;
    this.a = Math.imul(this.a ^ lo, 0x01000193);
    this.b = Math.imul(this.b ^ hi, 0x5bd1e995) ^ lo;
  }

  num(x: number): void {
    if (Number.isInteger(x)) this.int(x);
    else this.str(String(x));
  }

  /**
   * An rlimit value, prefix-free: RLIM_INFINITY (Infinity in the model) as the one
   * word -1 (how the kernel spells it, ~0UL), a non-negative integer as itself,
   * anything else (a negative or fractional value a scenario could write) as -2
   * then its string.
   */
  rlim(x: number): void {
    if (x === Number.POSITIVE_INFINITY) this.int(-1);
    else if (Number.isInteger(x) && x >= 0) this.int(x);
    else {
      this.int(-2);
      this.str(String(x));
    }
  }

  bool(x: boolean): void {
    this.int(x ? 1 : 0);
  }

  str(s: string): void {
    this.int(s.length);
    for (let i = 0; i < s.length; i++) this.int(s.charCodeAt(i));
  }

  /** The two lanes as they stand (for a sub-hash fed into another Hasher). */
  lanes(): [number, number] {
    return [this.a, this.b];
  }

  digest(): string {
    return `${(this.a >>> 0).toString(16).padStart(8, '0')}${(this.b >>> 0).toString(16).padStart(8, '0')}`;
  }
}

const byNum = (x: number, y: number): number => x - y;

/**
 * MODEL (explorer footprints, src/scenario/object-footprint.ts): while `precise` is set, the
 * fingerprint leaves out what the footprints track per object — each live folio's fields
 * other than its pfn and order, the entries of every PTE table (a table's presence stays), and
 * each mm's locked_vm, pinned_vm and has_pinned (src/scenario/counter-footprint.ts) — so it changes
 * exactly when something outside those objects changes.
 */
export const fingerprintMask = { precise: false };

/**
 * PERF: the content tag of a slot, hashed as its string's length and two 32-bit lanes of
 * the string's own hash, computed once per (mem_map, tag id): a tag id names one string
 * for the life of its mem_map (tags are interned, never renamed), while ids differ between
 * runs that interned tags in another order, so the string, not the id, is hashed. Per
 * frame this is three words instead of one per character (an fs-DAX file's every page
 * has its tag).
 */
const tagHashes = new WeakMap<MemMap, number[]>();

function tagWords(mem: MemMap, id: number): number[] {
  let cache = tagHashes.get(mem);
  if (cache === undefined) tagHashes.set(mem, (cache = []));
  const at = id * 3;
  while (cache.length < at + 3) cache.push(-1); // -1: not hashed yet (a length is never negative)
  if (cache[at] < 0) {
    const t = mem.tag_name(id);
    const one = new Hasher();
    one.str(t);
    const [a, b] = one.lanes();
    cache[at] = t.length;
    cache[at + 1] = a;
    cache[at + 2] = b;
  }
  return cache;
}

/** Hash the tag with id `id` (tagWords). */
function tag(h: Hasher, mem: MemMap, id: number): void {
  const c = tagWords(mem, id);
  const at = id * 3;
  h.int(c[at]);
  h.int(c[at + 1]);
  h.int(c[at + 2]);
}

/** The keys of a number-keyed map or set, ascending (the collection itself when it has one key). */
function numKeys(c: ReadonlyMap<number, unknown> | ReadonlySet<number>): Iterable<number> {
  if (c.size <= 1) return c.keys();
  const ks = [...c.keys()];
  for (let i = 1; i < ks.length; i++) {
    if (ks[i - 1] > ks[i]) return ks.sort(byNum);
  }
  return ks;
}

/** Hash a number → number map as (key, value) pairs in key order. */
function intMap(h: Hasher, mp: ReadonlyMap<number, number>): void {
  for (const k of numKeys(mp)) {
    h.int(k);
    h.int(mp.get(k) as number);
  }
}

/** Hash a set of numbers in ascending order. */
function intSet(h: Hasher, st: ReadonlySet<number>): void {
  for (const v of numKeys(st)) h.int(v);
}

/** The keys of a string-keyed map in code-unit order (as `a < b` sorts them). */
function strKeys<V>(mp: ReadonlyMap<string, V>): Iterable<string> {
  if (mp.size <= 1) return mp.keys();
  const ks = [...mp.keys()];
  for (let i = 1; i < ks.length; i++) {
    if (!(ks[i - 1] < ks[i])) return ks.sort((x, y) => (x < y ? -1 : 1));
  }
  return ks;
}

type _mem = Exhaustive<Covered<MemMap,
  'regions' | 'zones' | 'zero_pfn' | 'huge_zero_pfn' | 'huge_zero_refcount' | 's_pfn' | 's_order' | 's_ref' | 's_map' | 's_ptemaps' | 's_pin' | 's_flags' |
  's_mapping' | 's_index' | 's_content' | 'sub_map' | 'sub_flags' | 'sub_content' | 'slot_top' | 'nr_slots' | 'isolated' |
  // The checker's journal (check/engine.ts): what changed since its last look, not state.
  'touched' | 'freed'>>;

function mem_fp(h: Hasher, mem: MemMap): void {
  // Left out: nr_slots (derived); regions are hashed below by their zones (hotplug changes them). Private storage
  // (pfn index, tag table, slot free list) is derived from the arrays hashed here,
  // except slot order (precision only).
  const { zero_pfn, huge_zero_pfn, huge_zero_refcount, s_pfn, s_order, s_ref, s_map, s_ptemaps, s_pin, s_flags, s_mapping, s_index, s_content, sub_map, sub_flags, sub_content, zones } = mem;
  h.int(zero_pfn);
  h.int(huge_zero_pfn);
  h.int(huge_zero_refcount);
  const top = mem.slot_top;
  for (let s = 1; s < top; s++) {
    if (s_ref[s] === 0 && s_flags[s] === 0) continue; // a free slot
    h.int(s_pfn[s]);
    h.int(s_order[s]);
    if (fingerprintMask.precise) continue;
    h.int(s_ref[s]);
    h.int(s_map[s]);
    h.int(s_ptemaps[s]);
    h.int(s_pin[s]);
    h.int(s_flags[s]);
    h.int(s_mapping[s]);
    h.int(s_index[s]);
    tag(h, mem, s_content[s]);
  }
  h.int(sub_map.size);
  intMap(h, sub_map);
  h.int(sub_flags.size);
  intMap(h, sub_flags);
  h.int(sub_content.size);
  for (const k of numKeys(sub_content)) {
    h.int(k);
    tag(h, mem, sub_content.get(k) as number);
  }
  for (const z of zones) zone_fp(h, z);
  // Memory hotplug (mm/memory_hotplug.ts): isolated ranges and their parked blocks, the
  // ranges the bump pointers skip, and regions whose zone changed (online into another zone).
  const { isolated } = mem;
  h.int(isolated.length);
  for (const iso of isolated) {
    h.int(iso.start);
    h.int(iso.end);
    h.int(iso.parked.length);
    for (const [p, o] of iso.parked) {
      h.int(p);
      h.int(o);
    }
  }
  for (const v of mem.hotplug_skip()) h.int(v);
  h.int(mem.regions.length);
  for (const r of mem.regions) if (r.kind === 'ram') h.int(r.zone);
}

type _zone = Exhaustive<Covered<zone, 'zone_idx' | 'name' | 'ranges' | 'bump' | 'free_area' | 'nr_free' | 'nr_free_cma' | 'present_pages' | 'zone_start_pfn' | 'spanned_pages'>>;

function zone_fp(h: Hasher, z: zone): void {
  // Left out: name, ranges (fixed by the layout).
  const { zone_idx, bump, free_area, nr_free, nr_free_cma, present_pages, zone_start_pfn, spanned_pages } = z;
  h.int(zone_idx);
  h.int(present_pages);
  h.int(zone_start_pfn);
  h.int(spanned_pages);
  for (const b of bump) h.int(b);
  h.int(nr_free);
  h.int(nr_free_cma);
  for (const key of numKeys(free_area)) {
    const list = free_area.get(key) as number[];
    h.int(key);
    h.int(list.length);
    for (const p of list) h.int(p);
  }
}

// log: the checker's journal (check/engine.ts), not state.
type _pt = Exhaustive<Covered<page_table, 'pud' | 'pmd' | 'log'>>;

function page_table_fp(h: Hasher, pt: page_table): void {
  const { pud, pmd } = pt;
  intMap(h, pud);
  for (const k of numKeys(pmd)) {
    const v = pmd.get(k) as number | pte_table;
    h.int(k);
    if (typeof v === 'number') {
      h.int(-1);
      h.int(v);
      continue;
    }
    if (fingerprintMask.precise) {
      h.int(-2); // a PTE table (its count is derived from its entries)
      continue;
    }
    h.int(v.count);
    const a = v.pte;
    for (let i = 0; i < a.length; i++) {
      if (a[i] === 0) continue;
      h.int(i);
      h.int(a[i]);
    }
  }
}

type _vma = Exhaustive<Covered<vm_area_struct,
  'id' | 'vm_start' | 'vm_end' | 'vm_flags' | 'vm_pgoff' | 'vm_file' | 'vm_mm' | 'anon_vma' | 'vm_ops' | 'vm_private_data' | 'vm_freed'>>;

function vma_fp(h: Hasher, v: vm_area_struct): void {
  // Left out: vm_private_data (driver-owned; drivers fingerprint their own state).
  const { id, vm_start, vm_end, vm_flags, vm_pgoff, vm_file, vm_mm, anon_vma, vm_ops, vm_freed } = v;
  h.int(id);
  h.int(vm_start);
  h.int(vm_end);
  h.int(vm_flags);
  h.int(vm_pgoff);
  h.int(vm_file ? vm_file.id : 0);
  h.int(vm_mm.id);
  h.int(anon_vma ? anon_vma.id : 0);
  h.str(vm_ops ? vm_ops.name : '');
  h.bool(vm_freed);
}

type _mm = Exhaustive<Covered<mm_struct,
  'id' | 'mmap_lock' | 'mmap' | 'pgd' | 'locked_vm' | 'pinned_vm' | 'total_vm' | 'def_flags' | 'flags' | 'has_pinned' |
  'write_protect_seq' | 'mm_users' | 'mm_count' | 'mmap_base' | 'task_size' | 'owner_pid' | 'dead' | 'arg_lock' | 'start_code' |
  'end_code' | 'start_data' | 'end_data' | 'start_brk' | 'brk' | 'start_stack' | 'arg_start' | 'arg_end' | 'env_start' | 'env_end'>>;

function mm_fp(h: Hasher, mm: mm_struct): void {
  // PERF: the exec layout fields are named one by one (a rest object per mm per fingerprint was garbage).
  const {
    id, mmap_lock, mmap, pgd, locked_vm, pinned_vm, total_vm, def_flags, flags, has_pinned, write_protect_seq, mm_users,
    mm_count, mmap_base, task_size, owner_pid, dead, arg_lock,
    start_code, end_code, start_data, end_data, start_brk, brk, start_stack, arg_start, arg_end, env_start, env_end,
  } = mm;
  h.int(id);
  h.str(mmap_lock.fingerprint());
  h.int(mmap.length);
  for (const v of mmap) vma_fp(h, v);
  page_table_fp(h, pgd);
  // The footprints track the pinning counters per mm (src/scenario/counter-footprint.ts).
  if (!fingerprintMask.precise) {
    h.num(locked_vm);
    h.num(pinned_vm);
  }
  h.num(total_vm);
  h.int(def_flags);
  h.int(flags);
  if (!fingerprintMask.precise) h.bool(has_pinned);
  h.int(write_protect_seq);
  h.int(mm_users);
  h.int(mm_count);
  h.int(mmap_base);
  h.int(task_size);
  h.int(owner_pid);
  h.bool(dead);
  h.int(arg_lock.holder ?? -1);
  // The exec layout fields (start_code ... env_end), in declaration order.
  h.num(start_code);
  h.num(end_code);
  h.num(start_data);
  h.num(end_data);
  h.num(start_brk);
  h.num(brk);
  h.num(start_stack);
  h.num(arg_start);
  h.num(arg_end);
  h.num(env_start);
  h.num(env_end);
}

type _file = Exhaustive<Covered<file, 'id' | 'f_inode' | 'f_mapping' | 'f_mode' | 'f_flags' | 'f_op' | 'private_data' | 'f_count' | 'f_pos'>>;

function file_fp(h: Hasher, f: file): void {
  // Left out: f_mapping (= f_inode.i_mapping), private_data (driver-owned).
  const { id, f_inode, f_mode, f_flags, f_op, f_count, f_pos } = f;
  h.int(id);
  h.int(f_inode.i_ino);
  h.int(f_mode);
  h.int(f_flags);
  h.str(f_op.owner);
  h.int(f_count);
  h.num(f_pos);
}

type _files = Exhaustive<Covered<files_struct, 'id' | 'count' | 'fd' | 'close_on_exec' | 'reserved' | 'max_fds'>>;

function files_fp(h: Hasher, fs: files_struct): void {
  const { id, count, fd, close_on_exec, reserved, max_fds } = fs;
  h.int(id);
  h.int(count);
  h.int(max_fds);
  h.int(fd.length);
  for (const f of fd) {
    if (f) file_fp(h, f);
    else h.int(0);
  }
  intSet(h, close_on_exec);
  intSet(h, reserved);
}

type _task = Exhaustive<Covered<task_struct, 'pid' | 'comm' | 'mm' | 'group_leader' | 'cred' | 'rlim' | 'flags' | 'files' | 'exited' | 'ptrace' | 'parent' | 'ptrace_stopped'>>;
type _cred = Exhaustive<Covered<task_struct['cred'], 'uid' | 'euid' | 'cap_effective'>>;

function task_fp(h: Hasher, t: task_struct): void {
  const { pid, comm, mm, group_leader, cred, rlim, flags, files, exited, ptrace, parent, ptrace_stopped } = t;
  h.int(pid);
  h.str(comm);
  h.int(mm ? mm.id : 0);
  h.int(group_leader.pid);
  const { uid, euid, cap_effective } = cred;
  h.int(uid);
  h.int(euid);
  intSet(h, cap_effective);
  for (const r of rlim) {
    h.rlim(r.rlim_cur);
    h.rlim(r.rlim_max);
  }
  h.int(flags);
  if (files) files_fp(h, files);
  else h.int(-1);
  h.bool(exited);
  h.int(ptrace);
  h.int(parent ? parent.pid : 0);
  h.bool(ptrace_stopped);
}

type _mapping = Exhaustive<Covered<address_space, 'id' | 'host' | 'i_pages' | 'nrpages' | 'i_mmap' | 'i_mmap_rwsem' | 'invalidate_lock' | 'a_ops' | 'dax_pmd_entries'>>;

function mapping_fp(h: Hasher, a: address_space): void {
  // Left out: host (the inode hashing this mapping).
  const { id, i_pages, nrpages, i_mmap, i_mmap_rwsem, invalidate_lock, a_ops, dax_pmd_entries } = a;
  h.int(id);
  intMap(h, i_pages);
  intSet(h, dax_pmd_entries);
  h.int(nrpages);
  if (i_mmap.size === 1) {
    for (const v of i_mmap) h.int(v.id);
  } else if (i_mmap.size > 1) {
    for (const v of [...i_mmap].map((x) => x.id).sort(byNum)) h.int(v);
  }
  h.str(i_mmap_rwsem.fingerprint());
  h.str(invalidate_lock.fingerprint());
  h.str(a_ops);
}

type _inode = Exhaustive<Covered<inode,
  'i_ino' | 'i_mode' | 'i_size' | 'i_flags' | 'i_nlink' | 'i_sb' | 'i_mapping' | 'i_rwsem' | 'path' | 'i_private' | 'i_fop' | 'dax_blocks' | 'i_data' | 'i_data_init'>>;

function inode_fp(h: Hasher, i: inode): void {
  // Left out: i_private (driver-owned).
  const { i_ino, i_mode, i_size, i_flags, i_nlink, i_sb, i_mapping, i_rwsem, path, i_fop, dax_blocks, i_data, i_data_init } = i;
  h.str(i_fop ? i_fop.owner : '');
  h.int(i_ino);
  h.int(i_mode);
  h.num(i_size);
  h.int(i_flags);
  h.int(i_nlink);
  h.int(i_sb.id);
  mapping_fp(h, i_mapping);
  h.str(i_rwsem.fingerprint());
  h.str(path);
  intMap(h, dax_blocks);
  for (const k of numKeys(i_data)) {
    h.int(k);
    h.str(i_data.get(k) as string);
  }
  // The initial-data rule is fixed at set-up (the same function in every run of a
  // scenario): its extent and the ranges freed since are the state.
  h.int(i_data_init === null ? -1 : i_data_init.pages);
  for (const g of i_data_init?.gone ?? []) h.int(g);
}

type _sb = Exhaustive<Covered<super_block, 'id' | 's_type' | 's_id' | 'dax' | 'dax_region' | 'huge_order' | 'dax_alloc'>>;

function sb_fp(h: Hasher, sb: super_block): void {
  const { id, s_type, s_id, dax, dax_region, huge_order, dax_alloc } = sb;
  h.int(id);
  h.str(s_type.name);
  h.str(s_id);
  h.bool(dax);
  h.str(dax_region ?? '');
  h.int(huge_order);
  if (dax_alloc) {
    h.int(dax_alloc.next);
    h.int(dax_alloc.end);
    for (const p of dax_alloc.free) h.int(p);
  }
}

/** The live mms in id order. */
function mmsById(m: Machine): readonly mm_struct[] {
  const out = [...m.mms];
  if (out.length > 1) out.sort((a, b) => a.id - b.id);
  return out;
}

/** The fingerprint of all mm / fs / process state of the machine (16 hex digits). */
export function mm_fingerprint(m: Machine): string {
  const h = new Hasher();
  mem_fp(h, m.mem);
  h.int(m.hugetlb_free.length);
  for (const p of m.hugetlb_free) h.int(p);
  // Memory blocks (drivers/base/memory.ts): state, zone, device offline flag, device_hotplug_lock.
  const mb = m.memory_blocks;
  if (mb !== null) {
    h.str(mb.device_hotplug_lock.fingerprint());
    for (const b of mb.blocks.values()) {
      h.int(b.state);
      h.int(b.zone ?? -1);
      h.int(b.offline ? 1 : 0);
      h.int(b.online_type);
    }
  }
  const mms = mmsById(m);
  h.int(mms.length);
  for (const mm of mms) mm_fp(h, mm);
  for (const pid of numKeys(m.tasks)) task_fp(h, m.tasks.get(pid) as task_struct);
  for (const p of strKeys(m.mounts)) {
    h.str(p);
    sb_fp(h, m.mounts.get(p) as super_block);
  }
  for (const p of strKeys(m.inodes)) {
    h.str(p);
    inode_fp(h, m.inodes.get(p) as inode);
  }
  // Unlinked inodes still reachable through open files or VMAs (shmem of MAP_SHARED|MAP_ANONYMOUS, memfd).
  let extra: inode[] | null = null;
  const visit = (f: file | null): void => {
    if (f === null) return;
    const ino = f.f_inode;
    if (m.inodes.get(ino.path) === ino) return; // the common case: a linked inode under its path
    for (const i of m.inodes.values()) if (i.i_ino === ino.i_ino) return;
    if (extra === null) extra = [];
    for (const x of extra) if (x.i_ino === ino.i_ino) return;
    extra.push(ino);
  };
  for (const t of m.tasks.values()) {
    const fds = t.files?.fd;
    if (fds !== undefined) for (const f of fds) visit(f);
  }
  for (const mm of mms) for (const v of mm.mmap) visit(v.vm_file);
  if (extra !== null) for (const i of (extra as inode[]).sort((a, b) => a.i_ino - b.i_ino)) inode_fp(h, i);
  return h.digest();
}
