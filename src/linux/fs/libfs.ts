/**
 * fs/inode.c new_inode(), fs/namespace.c mounts and fs/namei.c lookup, reduced to
 * what scenarios need to set up files: mount a file system at a path, create a
 * regular file with contents, open a path.
 *
 * MODEL: one flat namespace of absolute paths; a file belongs to the mount with the
 * longest matching prefix; no directories, permissions or dentries.
 */
import type { Kctx } from '../kctx.js';
import type { Machine } from '../machine.js';
import type { address_space, file, file_operations, fs_kind, inode, super_block } from '../include/linux/fs.js';
import { S_DAX, S_IFREG, alloc_file } from '../include/linux/fs.js';
import { init_rwsem } from '../kernel/locking/rwsem.js';
import { ENOENT } from '../include/uapi/linux/errno.js';
import { fs_file_operations } from './fops.js';
import { get_fs_type } from './filesystems.js';
import { dax_alloc_block } from './dax.js';

/** Mount options of the model's file systems. */
export interface MountOptions {
  /** ext4 -o dax: the pmem region (MemoryLayout pmem name, mode 'fsdax') holding the data. */
  readonly dax?: string;
  /** hugetlbfs pagesize=: order 9 (2 MiB, default) or 18 (1 GiB). */
  readonly huge_order?: number;
}

/** Mount a file system of `kind` at `path`. */
export function mount_fs(m: Machine, path: string, kind: fs_kind, opts: MountOptions = {}): super_block {
  if (m.mounts.has(path)) throw new Error(`pinlab bug: ${path} is already mounted`);
  if (opts.dax !== undefined) {
    const r = m.mem.regions.find((x) => x.name === opts.dax);
    if (!r || r.kind !== 'fsdax') throw new Error(`pinlab bug: -o dax needs an fsdax pmem region, not ${opts.dax}`);
    if (kind !== 'ext4') throw new Error('pinlab bug: only ext4 mounts take -o dax in the model');
  }
  const sb: super_block = {
    id: m.nextId('sb'),
    s_type: get_fs_type(kind),
    s_id: path,
    dax: opts.dax !== undefined,
    dax_region: opts.dax ?? null,
    huge_order: opts.huge_order ?? 9,
    dax_alloc: null,
  };
  if (opts.dax !== undefined) {
    const r = m.mem.regions.find((x) => x.name === opts.dax)!;
    (sb as { dax_alloc: super_block['dax_alloc'] }).dax_alloc = { next: r.start_pfn, end: r.end_pfn, free: [] };
  }
  m.mounts.set(path, sb);
  return sb;
}

/** The mount holding `path` (longest prefix), or null. */
export function sb_of_path(m: Machine, path: string): super_block | null {
  let best: super_block | null = null;
  let bestLen = -1;
  for (const [mp, sb] of m.mounts) {
    const prefix = mp.endsWith('/') ? mp : `${mp}/`;
    if ((path.startsWith(prefix) || path === mp) && mp.length > bestLen) {
      best = sb;
      bestLen = mp.length;
    }
  }
  return best;
}

/** new_inode(sb) + its address_space. */
export function new_inode(m: Machine, sb: super_block, path: string, mode: number, size: number): inode {
  const ino = m.nextId('ino');
  const a_ops: address_space['a_ops'] =
    sb.s_type.kind === 'tmpfs' ? 'shmem' : sb.s_type.kind === 'hugetlbfs' ? 'hugetlbfs' : sb.dax ? 'dax' : sb.s_type.kind === 'ext4' ? 'ext4' : 'none';
  const i = {
    i_ino: ino,
    i_mode: mode,
    i_size: size,
    i_flags: sb.dax ? S_DAX : 0,
    i_nlink: 1,
    i_sb: sb,
    i_mapping: undefined as unknown as address_space,
    i_rwsem: init_rwsem(`i_rwsem(${path})`),
    path,
    i_private: null as unknown,
    i_fop: null as file_operations | null,
    dax_blocks: new Map<number, number>(),
    i_data: new Map<number, string>(),
  } satisfies inode;
  const mapping: address_space = {
    id: m.nextId('mapping'),
    host: i,
    i_pages: new Map(),
    nrpages: 0,
    i_mmap: new Set(),
    i_mmap_rwsem: init_rwsem(`i_mmap_rwsem(${path})`),
    invalidate_lock: init_rwsem(`invalidate_lock(${path})`),
    a_ops,
    dax_pmd_entries: new Set(),
  };
  (i as { i_mapping: address_space }).i_mapping = mapping;
  m.mappings.set(mapping.id, mapping);
  return i;
}

/**
 * MODEL set-up: create regular file `path` of `size` bytes on its mount; `data`
 * gives the initial contents per page index (a content tag), e.g. `(i) => 'f:' + i`.
 * On a DAX mount every page gets a pmem block (ZONE_DEVICE pfn) holding the data.
 */
export function create_file(m: Machine, path: string, size: number, data?: (index: number) => string | undefined): inode {
  const sb = sb_of_path(m, path);
  if (!sb) throw new Error(`pinlab bug: no file system mounted for ${path}`);
  if (m.inodes.has(path)) throw new Error(`pinlab bug: ${path} exists`);
  const i = new_inode(m, sb, path, S_IFREG | 0o644, size);
  // The file system's create (ext4_create, shmem_create, hugetlbfs_create) sets the inode's i_fop.
  sb.s_type.init_reg_inode?.(i);
  const n = Math.ceil(size / 4096);
  for (let idx = 0; idx < n; idx++) {
    const d = data ? data(idx) : undefined;
    if (sb.dax) {
      // MODEL: files created on a DAX mount are fully allocated (no holes).
      const pfn = dax_alloc_block(m, sb);
      if (pfn === null) throw new Error(`pinlab bug: pmem region ${sb.dax_region} too small for ${path}`);
      i.dax_blocks.set(idx, pfn);
      if (d !== undefined) m.mem.s_content[m.mem.slot_of(pfn)] = m.mem.tag_id(d);
    } else if (d !== undefined) {
      i.i_data.set(idx, d);
    }
  }
  m.inodes.set(path, i);
  return i;
}

/** filp_open(path, flags): a new struct file for an existing inode, or -ENOENT. */
export function filp_open(k: Kctx, path: string, flags: number): file | number {
  const i = k.m.inodes.get(path);
  if (!i) return -ENOENT;
  return alloc_file(k, i, flags, fs_file_operations(i));
}
