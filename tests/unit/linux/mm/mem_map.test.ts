import { describe, expect, it } from 'vitest';
import { GiB, MiB, machine, runAs, task } from './harness.js';
import {
  PageAnonExclusive, SetPageAnonExclusive, ClearPageAnonExclusive, compound_head, compound_order, folio_nr_pages, folio_order,
  get_page, is_migrate_cma_page, is_zero_pfn, is_zone_device_page, page_content, page_count, page_pgmap_type, page_ref_count,
  page_zonenum, pfn_valid, put_page, set_page_content, is_zero_page, PageReserved, folio_pincount, folio_pincount_add,
} from '../../../../src/linux/include/linux/mm.js';
import { GFP_HIGHUSER_MOVABLE, GFP_KERNEL, ZONE_DEVICE, ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL } from '../../../../src/linux/include/linux/gfp.js';
import { alloc_pages } from '../../../../src/linux/mm/page_alloc.js';
import { memalloc_nocma_restore, memalloc_nocma_save, memalloc_pin_restore, memalloc_pin_save } from '../../../../src/linux/include/linux/sched_mm.js';
import { MemMap, PG_zero } from '../../../../src/linux/include/linux/mm_types.js';

describe('mem_map layout and accessors', () => {
  it('places zones, CMA, pmem and BARs and answers pfn_valid / zone / frame kind', () => {
    const m = machine('v6.1', {
      dma32: 16 * MiB, normal: 64 * MiB, cma: 16 * MiB, movable: 32 * MiB,
      pmem: [{ name: 'pmem0', size: 64 * MiB, mode: 'fsdax' }, { name: 'dax0.0', size: 32 * MiB, mode: 'devdax' }],
      bars: [{ name: 'bar0', size: 16 * MiB }],
    });
    const byName = (n: string) => m.mem.regions.find((r) => r.name === n)!;
    expect(page_zonenum(m, byName('dma32').start_pfn)).toBe(ZONE_DMA32);
    expect(page_zonenum(m, byName('normal').start_pfn)).toBe(ZONE_NORMAL);
    expect(is_migrate_cma_page(m, byName('cma').start_pfn)).toBe(true);
    expect(is_migrate_cma_page(m, byName('normal').start_pfn)).toBe(false);
    expect(page_zonenum(m, byName('movable').start_pfn)).toBe(ZONE_MOVABLE);
    expect(page_zonenum(m, byName('pmem0').start_pfn)).toBe(ZONE_DEVICE);
    expect(is_zone_device_page(m, byName('pmem0').start_pfn)).toBe(true);
    expect(page_pgmap_type(m, byName('pmem0').start_pfn)).toBe('MEMORY_DEVICE_FS_DAX');
    expect(page_pgmap_type(m, byName('dax0.0').start_pfn)).toBe('MEMORY_DEVICE_DEVDAX');
    expect(page_pgmap_type(m, byName('normal').start_pfn)).toBeNull();
    expect(pfn_valid(m, byName('bar0').start_pfn)).toBe(false);
    expect(pfn_valid(m, byName('pmem0').start_pfn)).toBe(true);
    expect(pfn_valid(m, 0)).toBe(false);
  });

  it('get_page/put_page count on the folio and free at zero', () => {
    const m = machine();
    const t = task(m);
    const free0 = m.mem.zones[ZONE_NORMAL].nr_free;
    const p = runAs(m, t, function* (k) { return alloc_pages(k, GFP_KERNEL, 0); })!;
    expect(page_ref_count(m, p)).toBe(1);
    expect(m.mem.zones[ZONE_NORMAL].nr_free).toBe(free0 - 1);
    get_page(m, p);
    expect(page_count(m, p)).toBe(2);
    put_page(m, p);
    put_page(m, p);
    expect(page_ref_count(m, p)).toBe(0);
    expect(m.mem.slot_of(p)).toBe(0);
    expect(m.mem.zones[ZONE_NORMAL].nr_free).toBe(free0);
    // A negative refcount is a kernel bug report, not a JS crash.
    const q = runAs(m, t, function* (k) { return alloc_pages(k, GFP_KERNEL, 0); })!;
    put_page(m, q);
    expect(() => put_page(m, q)).toThrow(/pinlab bug/); // the frame is free: no struct page state to drop
  });

  it('large folios: head, order, tail refcount 0, per-subpage content and anon-exclusive', () => {
    const m = machine('v6.1', { normal: 64 * MiB });
    const t = task(m);
    const h = runAs(m, t, function* (k) { return alloc_pages(k, GFP_HIGHUSER_MOVABLE, 9); })!;
    expect(h % 512).toBe(0);
    expect(compound_head(m, h + 7)).toBe(h);
    expect(compound_order(m, h)).toBe(9);
    expect(compound_order(m, h + 1)).toBe(0);
    expect(folio_order(m, h + 1)).toBe(9);
    expect(folio_nr_pages(m, h + 100)).toBe(512);
    expect(page_ref_count(m, h + 1)).toBe(0);
    expect(page_count(m, h + 1)).toBe(1);
    set_page_content(m, h + 3, 'A');
    expect(page_content(m, h + 3)).toBe('A');
    expect(page_content(m, h + 4)).toBe('');
    SetPageAnonExclusive(m, h + 5);
    expect(PageAnonExclusive(m, h + 5)).toBe(true);
    expect(PageAnonExclusive(m, h + 6)).toBe(false);
    ClearPageAnonExclusive(m, h + 5);
    expect(PageAnonExclusive(m, h + 5)).toBe(false);
    folio_pincount_add(m, h + 9, 2);
    expect(folio_pincount(m, h)).toBe(2);
    put_page(m, h);
    expect(m.mem.sub_content.size).toBe(0);
    expect(m.mem.sub_flags.size).toBe(0);
  });

  it('1 GiB folios cost one slot and no per-page arrays', () => {
    const m = machine('v6.1', { normal: 64 * MiB, movable: 4 * GiB });
    const t = task(m);
    const heads = runAs(m, t, function* (k) {
      const r: number[] = [];
      for (let i = 0; i < 4; i++) r.push(alloc_pages(k, GFP_HIGHUSER_MOVABLE, 18)!);
      return r;
    });
    expect(heads.every((h) => h % 262144 === 0)).toBe(true);
    expect(heads.every((h) => page_zonenum(m, h) === ZONE_MOVABLE)).toBe(true);
    expect(compound_head(m, heads[2] + 123456)).toBe(heads[2]);
    expect(m.mem.nr_slots).toBe(5); // 4 folios + the zero page
  });

  // 200 slots grow by copying; 300,000 move (from 65,536) to plain arrays of the frame bound.
  it.each([200, 300_000])('%i slots grow past the initial capacity and keep every field of the earlier ones', (count) => {
    const mem = new MemMap({ dma32: 64 * MiB, normal: 2048 * MiB });
    const base = mem.zones[1].ranges[0].start_pfn + 1;
    const slots: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = mem.newSlot(base + i, 0);
      mem.s_ref[s] = i + 1;
      mem.s_map[s] = i + 2;
      mem.s_ptemaps[s] = i + 3;
      mem.s_pin[s] = i + 4;
      mem.s_mapping[s] = i + 5;
      mem.s_index[s] = 2 ** 40 + i;
      mem.s_content[s] = mem.tag_id(`t${i % 1000}`);
      slots.push(s);
    }
    expect(mem.nr_slots).toBe(count + 1); // with the zero page
    const wrong: number[] = [];
    slots.forEach((s, i) => {
      const ok = mem.slot_of(base + i) === s && mem.s_order[s] === 0 && mem.s_ref[s] === i + 1 && mem.s_map[s] === i + 2 && mem.s_ptemaps[s] === i + 3
        && mem.s_pin[s] === i + 4 && mem.s_mapping[s] === i + 5 && mem.s_index[s] === 2 ** 40 + i && mem.tag_name(mem.s_content[s]) === `t${i % 1000}` && mem.s_pfn[s] === base + i;
      if (!ok) wrong.push(i);
    });
    expect(wrong.slice(0, 10)).toEqual([]);
    // The zero page's slot survived the growth too.
    expect(mem.s_flags[mem.slot_of(mem.zero_pfn)] & PG_zero).toBe(PG_zero);
  });

  // newSlot() writes only the non-zero fields of a never-used slot (fresh buffers are zero):
  // a fresh slot past each growth, and a reused one after dropSlot(), start with every counter at 0.
  it.each([200, 300_000])('new slots start all zero, fresh past %i growths of the arrays or reused after dropSlot', (count) => {
    const mem = new MemMap({ dma32: 64 * MiB, normal: 2048 * MiB });
    const base = mem.zones[1].ranges[0].start_pfn + 1;
    const fields = (s: number): number[] => [mem.s_ref[s], mem.s_map[s], mem.s_ptemaps[s], mem.s_pin[s], mem.s_flags[s], mem.s_mapping[s], mem.s_index[s], mem.s_content[s], mem.s_order[s]];
    const dirty = (s: number): void => {
      mem.s_ref[s] = 7; mem.s_map[s] = 7; mem.s_ptemaps[s] = 7; mem.s_pin[s] = 7; mem.s_flags[s] |= 1; mem.s_mapping[s] = 7; mem.s_index[s] = 7; mem.s_content[s] = 7;
    };
    const wrong: number[] = [];
    for (let i = 0; i < count; i++) {
      const s = mem.newSlot(base + i, 0);
      if (fields(s).some((x) => x !== 0) || mem.s_pfn[s] !== base + i) wrong.push(i);
      dirty(s);
    }
    expect(wrong).toEqual([]);
    // Reused: the slot of pfn base keeps every field dirty until dropped, then comes back all zero.
    const s0 = mem.slot_of(base);
    mem.dropSlot(s0);
    const again = mem.newSlot(base + count, 9);
    expect(again).toBe(s0);
    expect(fields(again)).toEqual([0, 0, 0, 0, mem.s_flags[again], 0, 0, 0, 9]);
    expect(mem.s_flags[again]).not.toBe(0); // PG_head only
    const fresh = mem.newSlot(base + count + 512, 9);
    expect(fields(fresh)).toEqual([0, 0, 0, 0, mem.s_flags[again], 0, 0, 0, 9]);
  });

  it('from 65,536 slots the arrays are plain ones of the frame bound (no growth after), resizable ones past 2^30 bytes of them', () => {
    // 64 MiB DMA32 + 512 MiB Normal = 147,456 frames.
    const mem = new MemMap({ dma32: 64 * MiB, normal: 512 * MiB });
    const frames = mem.zones.reduce((n, z) => n + z.present_pages, 0);
    expect(frames).toBe(147_456);
    const base = mem.zones[1].ranges[0].start_pfn;
    for (let i = 0; i < frames - 1; i++) mem.newSlot(base + i, 0); // and the zero page: one slot per frame
    expect(mem.nr_slots).toBe(frames);
    for (const a of [mem.s_pfn, mem.s_order, mem.s_ref, mem.s_flags, mem.s_index]) {
      expect((a.buffer as ArrayBuffer & { resizable?: boolean }).resizable).toBe(false);
      expect(a.length).toBe(frames + 2);
    }
    // A layout whose frame bound needs more than 2^30 bytes of slot arrays (49 bytes a slot:
    // 128 GiB is 33.5 million frames) grows in resizable buffers, in place, as before.
    const big = new MemMap({ dma32: 64 * MiB, normal: 128 * 1024 * MiB });
    const b0 = big.zones[1].ranges[0].start_pfn;
    for (let i = 0; i < 70_000; i++) big.newSlot(b0 + i, 0);
    for (const a of [big.s_pfn, big.s_order, big.s_ref]) {
      expect((a.buffer as ArrayBuffer & { resizable?: boolean }).resizable).toBe(true);
      expect(a.length).toBeLessThan(200_000);
    }
    expect(big.slot_of(b0 + 69_999)).toBe(70_001); // slot 1 is the zero page
  });

  it('the zero page is reserved and recognised', () => {
    const m = machine();
    expect(is_zero_pfn(m, m.mem.zero_pfn)).toBe(true);
    expect(is_zero_page(m, m.mem.zero_pfn)).toBe(true);
    expect(PageReserved(m, m.mem.zero_pfn)).toBe(true);
  });

  it('rejects layouts that are not 2 MiB multiples (a pinlab usage bug)', () => {
    expect(() => new MemMap({ normal: 3 * 4096 })).toThrow(/pinlab bug/);
  });
});

describe('alloc_pages zones, CMA and the pin allocation scope', () => {
  const layout = { dma32: 16 * MiB, normal: 32 * MiB, cma: 24 * MiB, movable: 16 * MiB };

  it('movable user allocations start in ZONE_MOVABLE; kernel ones in Normal', () => {
    const m = machine('v6.1', layout);
    const t = task(m);
    const [u, kern] = runAs(m, t, function* (k) { return [alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0)!, alloc_pages(k, GFP_KERNEL, 0)!]; });
    expect(page_zonenum(m, u)).toBe(ZONE_MOVABLE);
    expect(page_zonenum(m, kern)).toBe(ZONE_NORMAL);
    expect(is_migrate_cma_page(m, kern)).toBe(false);
  });

  it('v6.1 prefers CMA for movable allocations when CMA holds over half the free pages (16867664936e); v5.4 does not', () => {
    const l2 = { dma32: 16 * MiB, normal: 32 * MiB, cma: 24 * MiB };
    for (const [profile, expectCma] of [['v6.1', true], ['v5.4', false]] as const) {
      const m = machine(profile, l2);
      const t = task(m);
      const p = runAs(m, t, function* (k) { return alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0)!; });
      expect(is_migrate_cma_page(m, p), profile).toBe(expectCma);
    }
  });

  it('memalloc_pin_save keeps v6.1 allocations out of CMA and ZONE_MOVABLE', () => {
    const m = machine('v6.1', layout);
    const t = task(m);
    const p = runAs(m, t, function* (k) {
      const f = memalloc_pin_save(k);
      const r = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0)!;
      memalloc_pin_restore(k, f);
      return r;
    });
    expect(page_zonenum(m, p)).toBe(ZONE_NORMAL);
    expect(is_migrate_cma_page(m, p)).toBe(false);
  });

  it('v5.4: the no-CMA scope does not reach the fast path, so a movable allocation still lands in ZONE_MOVABLE', () => {
    const m = machine('v5.4', layout);
    const t = task(m);
    const p = runAs(m, t, function* (k) {
      const f = memalloc_nocma_save(k);
      const r = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0)!;
      memalloc_nocma_restore(k, f);
      return r;
    });
    expect(page_zonenum(m, p)).toBe(ZONE_MOVABLE);
  });

  it('the wrong scope API for a release is a pinlab bug', () => {
    const m = machine('v5.4');
    const t = task(m);
    expect(() => runAs(m, t, function* (k) { return memalloc_pin_save(k); })).toThrow(/does not exist/);
  });

  it('returns null when memory is exhausted', () => {
    const m = machine('v6.1', { normal: 2 * MiB });
    const t = task(m);
    const n = runAs(m, t, function* (k) {
      let c = 0;
      while (alloc_pages(k, GFP_KERNEL, 0) !== null) c++;
      return c;
    });
    expect(n).toBe(511); // 512 frames minus the zero page
  });
});

describe('page_mapping', () => {
  it('names the address_space of a page-cache page (also for unlinked shmem), null for anon', async () => {
    const { sys_mmap } = await import('../../../../src/linux/syscalls.js');
    const { handle_mm_fault } = await import('../../../../src/linux/mm/memory.js');
    const { page_mapping, pte_at, vma_lookup, FAULT_FLAG_WRITE } = await import('../../../../src/linux/include/linux/mm.js');
    const { pte_pfn } = await import('../../../../src/linux/include/linux/mm_types.js');
    const { down_read, up_read } = await import('../../../../src/linux/kernel/locking/rwsem.js');
    const m = machine();
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const sh = yield* sys_mmap(k, 0, 4096, 3, 0x21, -1, 0); // MAP_SHARED|MAP_ANONYMOUS: shmem
      const an = yield* sys_mmap(k, 0, 4096, 3, 0x22, -1, 0);
      yield* down_read(k, t.mm!.mmap_lock, 't');
      yield* handle_mm_fault(k, vma_lookup(t.mm!, sh)!, sh, FAULT_FLAG_WRITE);
      yield* handle_mm_fault(k, vma_lookup(t.mm!, an)!, an, FAULT_FLAG_WRITE);
      up_read(k, t.mm!.mmap_lock, 't');
      return { sh, an };
    });
    const shp = pte_pfn(pte_at(t.mm!, r.sh));
    expect(page_mapping(m, shp)).toBe(vma_lookup(t.mm!, r.sh)!.vm_file!.f_mapping);
    expect(page_mapping(m, pte_pfn(pte_at(t.mm!, r.an)))).toBeNull();
  });
});
