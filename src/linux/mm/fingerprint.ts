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
 */
import type { Machine } from '../machine.js';
import type { MemMap, mm_struct, page_table, vm_area_struct, zone } from '../include/linux/mm_types.js';
import type { address_space, file, files_struct, inode, super_block } from '../include/linux/fs.js';
import type { task_struct } from '../include/linux/sched.js';

/** The non-method keys of T. */
type DataKeys<T> = { [K in keyof T]: T[K] extends (...args: never[]) => unknown ? never : K }[keyof T];

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

  bool(x: boolean): void {
    this.int(x ? 1 : 0);
  }

  str(s: string): void {
    this.int(s.length);
    for (let i = 0; i < s.length; i++) this.int(s.charCodeAt(i));
  }

  digest(): string {
    return `${(this.a >>> 0).toString(16).padStart(8, '0')}${(this.b >>> 0).toString(16).padStart(8, '0')}`;
  }
}

function mem_fp(h: Hasher, mem: MemMap): void {
  const {
    regions, zones, zero_pfn, s_pfn, s_order, s_ref, s_map, s_ptemaps, s_pin, s_flags, s_mapping, s_index, s_content,
    sub_map, sub_flags, sub_content, slot_top, nr_slots, ..._methods
  } = mem;
  // What is left are methods; private storage (pfn index, tag table, slot free list)
  // is derived from the arrays hashed here, except slot order (precision only).
  const _exhaustive: Record<DataKeys<typeof _methods>, never> = {};
  void _exhaustive;
  void nr_slots;
  void regions; // fixed by the layout
  h.int(zero_pfn);
  const top = slot_top;
  for (let s = 1; s < top; s++) {
    if (s_ref[s] === 0 && s_flags[s] === 0) continue; // a free slot
    h.int(s_pfn[s]);
    h.int(s_order[s]);
    h.int(s_ref[s]);
    h.int(s_map[s]);
    h.int(s_ptemaps[s]);
    h.int(s_pin[s]);
    h.int(s_flags[s]);
    h.int(s_mapping[s]);
    h.int(s_index[s]);
    h.str(mem.tag_name(s_content[s]));
  }
  for (const mp of [sub_map, sub_flags]) {
    h.int(mp.size);
    for (const [k, v] of [...mp].sort((x, y) => x[0] - y[0])) {
      h.int(k);
      h.int(v);
    }
  }
  h.int(sub_content.size);
  for (const [k, v] of [...sub_content].sort((x, y) => x[0] - y[0])) {
    h.int(k);
    h.str(mem.tag_name(v));
  }
  for (const z of zones) zone_fp(h, z);
}

function zone_fp(h: Hasher, z: zone): void {
  const { zone_idx, name, ranges, bump, free_area, nr_free, nr_free_cma, present_pages, ...rest } = z;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  void name;
  void ranges;
  void present_pages;
  h.int(zone_idx);
  for (const b of bump) h.int(b);
  h.int(nr_free);
  h.int(nr_free_cma);
  for (const [key, list] of [...free_area].sort((x, y) => x[0] - y[0])) {
    h.int(key);
    h.int(list.length);
    for (const p of list) h.int(p);
  }
}

function page_table_fp(h: Hasher, pt: page_table): void {
  const { pud, pmd, ...rest } = pt;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  for (const [k, v] of [...pud].sort((x, y) => x[0] - y[0])) {
    h.int(k);
    h.int(v);
  }
  for (const [k, v] of [...pmd].sort((x, y) => x[0] - y[0])) {
    h.int(k);
    if (typeof v === 'number') {
      h.int(-1);
      h.int(v);
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

function vma_fp(h: Hasher, v: vm_area_struct): void {
  const { id, vm_start, vm_end, vm_flags, vm_pgoff, vm_file, vm_mm, anon_vma, vm_ops, vm_private_data, vm_freed, ...rest } = v;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  void vm_private_data; // driver-owned; drivers fingerprint their own state
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

function mm_fp(h: Hasher, mm: mm_struct): void {
  const {
    id, mmap_lock, mmap, pgd, locked_vm, pinned_vm, total_vm, def_flags, flags, has_pinned, write_protect_seq, mm_users,
    mm_count, mmap_base, task_size, owner_pid, dead, ...rest
  } = mm;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  h.int(id);
  h.str(mmap_lock.fingerprint());
  h.int(mmap.length);
  for (const v of mmap) vma_fp(h, v);
  page_table_fp(h, pgd);
  h.num(locked_vm);
  h.num(pinned_vm);
  h.num(total_vm);
  h.int(def_flags);
  h.int(flags);
  h.bool(has_pinned);
  h.int(write_protect_seq);
  h.int(mm_users);
  h.int(mm_count);
  h.int(mmap_base);
  h.int(task_size);
  h.int(owner_pid);
  h.bool(dead);
}

function file_fp(h: Hasher, f: file): void {
  const { id, f_inode, f_mapping, f_mode, f_flags, f_op, private_data, f_count, ...rest } = f;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  void f_mapping; // = f_inode.i_mapping
  void private_data; // driver-owned
  h.int(id);
  h.int(f_inode.i_ino);
  h.int(f_mode);
  h.int(f_flags);
  h.str(f_op.owner);
  h.int(f_count);
}

function files_fp(h: Hasher, fs: files_struct): void {
  const { id, count, fd, close_on_exec, max_fds, ...rest } = fs;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  h.int(id);
  h.int(count);
  h.int(max_fds);
  h.int(fd.length);
  for (const f of fd) {
    if (f) file_fp(h, f);
    else h.int(0);
  }
  for (const c of [...close_on_exec].sort((a, b) => a - b)) h.int(c);
}

function task_fp(h: Hasher, t: task_struct): void {
  const { pid, comm, mm, group_leader, cred, rlim, flags, files, exited, ...rest } = t;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  h.int(pid);
  h.str(comm);
  h.int(mm ? mm.id : 0);
  h.int(group_leader.pid);
  const { uid, euid, cap_effective, ...crest } = cred;
  const _cexhaustive: Record<string, never> = crest;
  void _cexhaustive;
  h.int(uid);
  h.int(euid);
  for (const c of [...cap_effective].sort((a, b) => a - b)) h.int(c);
  for (const r of rlim) {
    h.num(r.rlim_cur);
    h.num(r.rlim_max);
  }
  h.int(flags);
  if (files) files_fp(h, files);
  else h.int(-1);
  h.bool(exited);
}

function mapping_fp(h: Hasher, a: address_space): void {
  const { id, host, i_pages, nrpages, i_mmap, i_mmap_rwsem, invalidate_lock, a_ops, ...rest } = a;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  void host;
  h.int(id);
  for (const [k, v] of [...i_pages].sort((x, y) => x[0] - y[0])) {
    h.int(k);
    h.int(v);
  }
  h.int(nrpages);
  for (const v of [...i_mmap].map((x) => x.id).sort((x, y) => x - y)) h.int(v);
  h.str(i_mmap_rwsem.fingerprint());
  h.str(invalidate_lock.fingerprint());
  h.str(a_ops);
}

function inode_fp(h: Hasher, i: inode): void {
  const { i_ino, i_mode, i_size, i_flags, i_nlink, i_sb, i_mapping, i_rwsem, path, i_private, i_fop, dax_blocks, i_data, ...rest } = i;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
  void i_private; // driver-owned
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
  for (const [k, v] of [...dax_blocks].sort((x, y) => x[0] - y[0])) {
    h.int(k);
    h.int(v);
  }
  for (const [k, v] of [...i_data].sort((x, y) => x[0] - y[0])) {
    h.int(k);
    h.str(v);
  }
}

function sb_fp(h: Hasher, sb: super_block): void {
  const { id, s_type, s_id, dax, dax_region, huge_order, dax_alloc, ...rest } = sb;
  const _exhaustive: Record<string, never> = rest;
  void _exhaustive;
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

/** The fingerprint of all mm / fs / process state of the machine (16 hex digits). */
export function mm_fingerprint(m: Machine): string {
  const h = new Hasher();
  mem_fp(h, m.mem);
  h.int(m.hugetlb_free.length);
  for (const p of m.hugetlb_free) h.int(p);
  const mms = [...m.mms].sort((a, b) => a.id - b.id);
  h.int(mms.length);
  for (const mm of mms) mm_fp(h, mm);
  for (const t of [...m.tasks.values()].sort((a, b) => a.pid - b.pid)) task_fp(h, t);
  for (const [p, sb] of [...m.mounts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    h.str(p);
    sb_fp(h, sb);
  }
  for (const [p, i] of [...m.inodes].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    h.str(p);
    inode_fp(h, i);
  }
  // Unlinked inodes still reachable through open files or VMAs (shmem of MAP_SHARED|MAP_ANONYMOUS, memfd).
  const seen = new Set<number>([...m.inodes.values()].map((i) => i.i_ino));
  const extra: inode[] = [];
  const visit = (f: file | null): void => {
    if (f && !seen.has(f.f_inode.i_ino)) {
      seen.add(f.f_inode.i_ino);
      extra.push(f.f_inode);
    }
  };
  for (const t of m.tasks.values()) for (const f of t.files?.fd ?? []) visit(f);
  for (const mm of mms) for (const v of mm.mmap) visit(v.vm_file);
  for (const i of extra.sort((a, b) => a.i_ino - b.i_ino)) inode_fp(h, i);
  return h.digest();
}
