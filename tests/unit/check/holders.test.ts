/**
 * The long-lived holder rules (src/check/holders.ts): io_uring registered buffers are
 * holder frames like VFIO's and iommufd's — listed page by page (a 6.12 coalesced buffer
 * gives the same frames as a 6.1 one), worded for io_uring, and a process that maps new
 * memory under a registered buffer breaks dma-coherent-with-process, found the same by the
 * incremental checker and by the full rescan.
 */
import { describe, expect, it } from 'vitest';
import { parseScenario } from '../../../src/scenario/parse.js';
import { buildWorld, runScenario } from '../../../src/scenario/run.js';
import type { World } from '../../../src/scenario/run.js';
import { resolveProfile } from '../../../src/profiles/index.js';
import { DefaultChooser } from '../../../src/sched/index.js';
import type { MachineView } from '../../../src/check/view.js';
import { holderCoherentFinding, holderWords } from '../../../src/check/holders.js';

const THP = 0x40000000;

/** A registered 2 MiB THP buffer; page 3 is dropped and written again before the unregister. */
const text = `question: holders
setup:
  processes:
    - name: P
      mappings:
        - { name: buf, addr: 0x40000000, length: 2M, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }
threads:
  - process: P
    steps:
      - madvise: { addr: $buf, length: 2M, advice: MADV_HUGEPAGE }
      - store: { addr: $buf, length: 2M, content: A }
      - io_uring_setup: { entries: 8 }
        as: ring
      - IORING_REGISTER_BUFFERS: { ring: $ring, iovecs: [{ base: $buf, len: 2M }] }
        as: reg
      - observe: { frame: { process: P, addr: $buf } }
        as: head
      - madvise: { addr: $buf + 3 pages, length: 1 page, advice: MADV_DONTNEED }
        as: dn
      - store: { addr: $buf + 3 pages, content: B }
        as: st
      - IORING_UNREGISTER_BUFFERS: { ring: $ring }
        as: unreg
expect:
  v6.1: { values: {} }
  v6.12: { values: {} }
`;

function scenario() {
  const r = parseScenario(text, 'holders.yaml');
  if (!r.ok) throw new Error('test bug: scenario does not parse');
  return r.scenario;
}

function profile(tag: string) {
  const p = resolveProfile(tag);
  if (!p.ok) throw new Error('test bug: profile');
  return p.profile;
}

/** The io_uring holder frames right after the registration. */
function ringFrames(tag: string): number[] {
  let out: number[] | null = null;
  let w: World | null = null;
  w = buildWorld(scenario(), profile(tag), {
    chooser: new DefaultChooser(),
    afterStep: () => {
      const ww = w as World;
      if (out === null && ww.rs.results.has('reg')) {
        out = (ww.checker.world as MachineView).dmaMappings().filter((d) => d.kind === 'io_uring').map((d) => d.iommuPfn);
      }
      return false;
    },
  }, { checkMode: 'incremental' });
  w.sched.run();
  return out ?? [];
}

describe('io_uring registered buffers as holders', () => {
  it('list one frame per page, the same whether or not 6.12 coalesced the buffer', () => {
    const v61 = ringFrames('v6.1');
    const v612 = ringFrames('v6.12');
    expect(v61).toHaveLength(512);
    expect(v612).toEqual(v61);
    for (let i = 1; i < 512; i++) expect(v61[i]).toBe(v61[0] + i);
  });

  it('a new page under the buffer breaks coherence, worded for io_uring, in both checker modes', () => {
    for (const tag of ['v6.1', 'v6.12']) {
      for (const checkMode of ['incremental', 'rescan'] as const) {
        let found: string[] | null = null;
        let head = -1;
        let w: World | null = null;
        w = buildWorld(scenario(), profile(tag), {
          chooser: new DefaultChooser(),
          afterStep: () => {
            const ww = w as World;
            if (found === null && ww.rs.results.has('st')) {
              found = ww.checker.current().map((x) => `${x.id}: ${x.first.message}`);
              head = Number(ww.rs.results.get('head')?.value);
            }
            return false;
          },
        }, { checkMode });
        w.sched.run();
        const msgs: string[] = found ?? [];
        expect(msgs, `${tag} ${checkMode}`).toHaveLength(1);
        expect(msgs[0]).toContain(`dma-coherent-with-process: io_uring ring fd `);
        expect(msgs[0]).toContain(`buffer 0 (vaddr 0x${(THP + 3 * 4096).toString(16)}`);
        expect(msgs[0]).toContain(`io_uring fixed I/O reaches pfn:${head + 3} but the process maps`);
      }
      const o = runScenario(scenario(), profile(tag));
      expect(o.status, tag).toBe('done');
      expect(o.violated, tag).toEqual(['dma-coherent-with-process']);
    }
  });

  it('words each kind of holder', () => {
    expect(holderWords('io_uring').reacher).toBe('io_uring fixed I/O');
    expect(holderWords('vfio').reacher).toBe('the device');
    expect(holderWords(undefined).reacher).toBe('the device');
    const d = { kind: 'io_uring', where: 'io_uring ring fd 3 buffer 1 (vaddr 0x1000, pid 1)', iommuPfn: 5, processPfn: 6, pinned: true };
    expect(holderCoherentFinding(d)?.message).toBe('io_uring ring fd 3 buffer 1 (vaddr 0x1000, pid 1): io_uring fixed I/O reaches pfn:5 but the process maps pfn:6');
    expect(holderCoherentFinding({ ...d, processPfn: null })).toBeNull();
    expect(holderCoherentFinding({ ...d, processPfn: 5 })).toBeNull();
  });
});
