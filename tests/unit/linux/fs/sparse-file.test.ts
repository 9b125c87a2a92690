/**
 * Sparse page cache (issue 15 item 1): a file's initial contents are a rule read page by
 * page, so a 1 TiB disk image is set up in bounded memory (no per-page record until the
 * page cache reads a page), its far pages read their data, and a hole punch forgets the
 * data of the punched range only. Scenario files of any size run; an fs-DAX file larger
 * than its pmem region is refused when the scenario is parsed, with its position.
 */
import { describe, expect, it } from 'vitest';
import { machine, runAs, task } from '../mm/harness.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { page_content, pte_at } from '../../../../src/linux/include/linux/mm.js';
import { O_RDWR, inode_data } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { sys_fallocate, sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, MAP_SHARED, PROT_READ } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { user_load } from '../../../../src/linux/mm/uaccess.js';
import { mm_fingerprint } from '../../../../src/linux/mm/fingerprint.js';
import { parseScenario } from '../../../../src/scenario/parse.js';
import { renderError } from '../../../../src/scenario/ast.js';
import { runScenario } from '../../../../src/scenario/run.js';

const TiB = 2 ** 40;

describe('sparse initial file data', () => {
  for (const fs of ['ext4', 'tmpfs'] as const) {
    it(`a 1 TiB ${fs} file is set up without a record per page and reads its data lazily`, () => {
      const m = machine('v6.1');
      mount_fs(m, '/mnt', fs);
      const i = create_file(m, '/mnt/disk.img', TiB, (n) => `img:${n}`);
      expect(i.i_data.size).toBe(0);
      expect(inode_data(i, 0)).toBe('img:0');
      expect(inode_data(i, TiB / PAGE_SIZE - 1)).toBe(`img:${TiB / PAGE_SIZE - 1}`);
      expect(inode_data(i, TiB / PAGE_SIZE)).toBeUndefined();
    });
  }

  it('a hole punch on ext4 forgets the punched range only, and the fingerprint sees it', () => {
    const m = machine('v6.1');
    mount_fs(m, '/mnt', 'ext4');
    const far = 200 * 1024 * 1024 * 1024; // 200 GiB into the file
    create_file(m, '/mnt/disk.img', TiB, (n) => `img:${n}`);
    const t = task(m);
    const before = mm_fingerprint(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/mnt/disk.img', O_RDWR);
      const punched = yield* sys_fallocate(k, fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, far, 2 * PAGE_SIZE);
      const a = yield* sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ, MAP_SHARED, fd, far - PAGE_SIZE);
      const loads: (number | string)[] = [];
      for (let p = 0; p < 4; p++) loads.push(yield* user_load(k, a + p * PAGE_SIZE));
      return { punched, a, loads };
    });
    expect(r.punched).toBe(0);
    const content = [0, 1, 2, 3].map((p) => page_content(m, pte_pfn(pte_at(t.mm!, r.a + p * PAGE_SIZE))));
    const idx = far / PAGE_SIZE;
    expect(content).toEqual([`img:${idx - 1}`, '', '', `img:${idx + 2}`]);
    expect(r.loads).toEqual(content);
    expect(mm_fingerprint(m)).not.toBe(before);
  });

  it('a scenario with a 1 TiB ext4 image and a 1 TiB tmpfs file runs', () => {
    const text = `question: a 1 TiB disk image
setup:
  filesystems:
    - { mount: /mnt/ext4, type: ext4 }
    - { mount: /dev/shm, type: tmpfs }
  files:
    - { path: /mnt/ext4/disk.img, size: 1024G }
    - { path: /dev/shm/guest, size: 1024G }
  processes:
    - name: P
      mappings:
        - { name: img, length: 1G, prot: PROT_READ|PROT_WRITE, flags: MAP_SHARED, file: /mnt/ext4/disk.img }
threads:
  - process: P
    steps:
      - pin_user_pages: { start: $img, nr_pages: 4, gup_flags: FOLL_WRITE }
        as: w
      - unpin_user_pages: { pages: $w.pages }
expect:
  v6.1: { values: { w: 4 } }
`;
    const p = parseScenario(text, 'img.yaml');
    expect(p.ok ? [] : p.errors.map(renderError)).toEqual([]);
    if (!p.ok) return;
    const o = runScenario(p.scenario, p.scenario.expect[0].profile);
    expect(o.status).toBe('done');
    expect(o.values.get('w')).toBe(4);
  });

  it('an fs-DAX file larger than its pmem region is refused at parse time, at its size', () => {
    const text = `question: too big for pmem
setup:
  memory:
    pmem:
      - { name: pmem0, size: 8M, mode: fsdax }
  filesystems:
    - { mount: /mnt/dax, type: ext4, dax: true, device: pmem0 }
  files:
    - { path: /mnt/dax/a, size: 6M }
    - { path: /mnt/dax/b, size: 4M }
  processes:
    - name: P
threads:
  - process: P
    steps:
      - mmap: { length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }
        as: r
expect:
  v6.1: { values: { r: { gt: 0 } } }
`;
    const p = parseScenario(text, 'dax.yaml');
    expect(p.ok).toBe(false);
    const msgs = p.ok ? [] : p.errors.map(renderError);
    expect(msgs).toEqual([
      "dax.yaml:10:33: size: the files on the fs-DAX mount /mnt/dax need 2560 pages of pmem region 'pmem0', which has 2048 (files on a DAX mount are fully allocated at set-up)",
    ]);
  });
});
