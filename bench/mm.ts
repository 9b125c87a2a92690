/**
 * Memory-model benchmarks: fault in 4 GiB of 4 KiB anonymous memory through the library
 * (one handle_mm_fault() write fault per page under one mmap_lock hold, as a populate loop
 * would: `fault_in_4k_library_ns_per_page`; the figure of the path users take, a scenario
 * through the CLI, is bench/cli.ts `fault_in_4k_ns_per_page`) and the model's
 * memory cost per faulted page (mem_map slot + pfn index + page tables), measured
 * as the growth of heap + array buffers.
 */
import type { Benchmark, Figure } from './types.js';
import { profileOrThrow } from '../src/profiles/index.js';
import { DefaultChooser, Sched } from '../src/sched/index.js';
import { Kctx } from '../src/linux/kctx.js';
import { Machine } from '../src/linux/machine.js';
import { createTask } from '../src/linux/kernel/fork.js';
import { sys_mmap } from '../src/linux/syscalls.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_NORESERVE, PROT_READ, PROT_WRITE } from '../src/linux/include/uapi/asm-generic/mman.js';
import { FAULT_FLAG_WRITE, find_vma } from '../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../src/linux/mm/memory.js';
import { down_read, up_read } from '../src/linux/kernel/locking/rwsem.js';

const GiB = 1024 * 1024 * 1024;
const PAGE = 4096;

/**
 * Heap + array buffers + the mem_map's slot arrays when they live in resizable buffers,
 * which process.memoryUsage().arrayBuffers does not count (Node 20; mm_types.ts grows the
 * slot arrays in place from 65,536 slots only past 2^30 bytes of them; below that they are plain
 * arrays of the frame bound, counted by arrayBuffers at their whole length, touched or not).
 */
function memNow(m: Machine): number {
  const u = process.memoryUsage();
  const mem = m.mem;
  let resizable = 0;
  for (const a of [mem.s_pfn, mem.s_order, mem.s_ref, mem.s_map, mem.s_ptemaps, mem.s_pin, mem.s_flags, mem.s_mapping, mem.s_index, mem.s_content]) {
    const b = a.buffer as ArrayBuffer & { resizable?: boolean };
    if (b.resizable === true) resizable += b.byteLength;
  }
  return u.heapUsed + u.arrayBuffers + resizable;
}

function faultIn(bytes: number): { seconds: number; pages: number; bytesPerPage: number } {
  // The memory figure is the heap growth between two forced collections; without gc()
  // (node --expose-gc, as `npm run bench` runs) it would be noise, so refuse instead.
  if (typeof (globalThis as { gc?: () => void }).gc !== 'function') {
    throw new Error('model_bytes_per_page needs node --expose-gc (run it through `npm run bench`)');
  }
  const m = new Machine(profileOrThrow('v6.1'), { dma32: 64 * 1024 * 1024, normal: bytes + 256 * 1024 * 1024 });
  const t = createTask(m, { comm: 'bench' });
  const s = new Sched({ chooser: new DefaultChooser(), trace: false, maxSteps: 10_000_000 });
  m.sched = s;
  m.recordEvents = false;
  const out = { seconds: 0, pages: 0, bytesPerPage: 0 };
  s.spawn('T0', (tid) => {
    const k = new Kctx(m, s, tid, t);
    return (function* () {
      const a = yield* sys_mmap(k, 0, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      const mm = t.mm!;
      const vma = find_vma(mm, a)!;
      (globalThis as { gc?: () => void }).gc?.();
      const mem0 = memNow(m);
      const t0 = process.hrtime.bigint();
      yield* down_read(k, mm.mmap_lock, 'bench');
      const n = bytes / PAGE;
      for (let i = 0; i < n; i++) {
        const r = yield* handle_mm_fault(k, vma, a + i * PAGE, FAULT_FLAG_WRITE);
        if (r !== 0 && r !== 8) throw new Error(`fault failed: ${r}`);
      }
      up_read(k, mm.mmap_lock, 'bench');
      out.seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      (globalThis as { gc?: () => void }).gc?.();
      out.pages = n;
      out.bytesPerPage = (memNow(m) - mem0) / n;
      return 0;
    })();
  });
  const r = s.run();
  if (r.status !== 'done') throw new Error(`bench run ended ${r.status}`);
  return out;
}

export const benchmarks: Benchmark[] = [
  {
    name: 'fault_in_4k_library',
    run(): Figure[] {
      const r = faultIn(4 * GiB);
      return [
        { name: 'fault_in_4k_library_ns_per_page', value: (r.seconds * 1e9) / r.pages, unit: 'ns', goal: 'informational (library loop)' },
        { name: 'model_bytes_per_page', value: r.bytesPerPage, unit: 'bytes' },
      ];
    },
  },
];
