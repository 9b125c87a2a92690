// The memory-block conformance cases (generate.ts writes them with the others): a write of
// offline / online_movable to /sys/devices/system/memory/memoryN/state for the block that
// holds the case's page, on Debian 6.1 and 6.12 (guest: 2 GiB, movablecore=768M, 128 MiB
// blocks). Declared values come from Debian linux-source-6.1 (6.1.192) and -6.12 (6.12.117)
// drivers/base/memory.c (state_store, device_online/device_offline's "already" answer),
// drivers/base/core.c and mm/memory_hotplug.c (offline_pages, do_migrate_range) and
// mm/gup.c (long-term pins leave ZONE_MOVABLE before pinning), and were confirmed on the
// real kernels by `npm run conformance`. Block numbers differ between the guest and the
// model; the harness compares them by identity (B1, B2, ...).
//
// An offline that waits on a held short-term reference is the corpus scenario
// scenarios/hotplug/offline-pipe-ref-alarm.yaml (a vmsplice()d page in a pipe: a reference that
// outlives a syscall without being a long-term pin, which would have left ZONE_MOVABLE first on
// 6.x), taken as a case as it stands (generate-remote.ts CORPUS_CASES).
import type { IommufdCase } from './generate-iommufd.js';

type Decl = Record<string, string | number | null>;
export type HotplugCase = Omit<IommufdCase, 'iommufd'>;

const SETUP = [
  'memory:',
  '  zones: { DMA32: 16M, Normal: 64M, Movable: 256M }',
  'processes:',
  '  - name: P',
  '    mappings:',
  '      - { name: a, length: 1 page, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }',
].join('\n');

const step = (op: string, args: string, as?: string): string => `- ${op}: { ${args} }${as === undefined ? '' : `\n  as: ${as}`}`;
const store = (block: string, state: string | number, as: string): string => step('memory_block_store', `block: ${block}, state: ${state}`, as);
const blockOf = (as: string): string => step('memory_block_of', 'addr: $a', as);
const obs = (kind: 'zone' | 'frame', as: string): string => `- observe: { ${kind}: { process: P, addr: $a } }\n  as: ${as}`;

/** Every case starts by writing the page and finding its block (b0). */
const START = [step('store', 'addr: $a, content: A'), blockOf('b0')];

const MEMORY_C = 'drivers/base/memory.c:state_store';
const HOTPLUG_C = 'mm/memory_hotplug.c:offline_pages';

function both(d: Decl): { v61: Decl; v612: Decl } {
  return { v61: d, v612: d };
}

export function hotplugCases(): HotplugCase[] {
  return [
    {
      area: 'hotplug',
      name: 'offline-online-anon',
      question: "Offlining the memory block that holds a process's anonymous page migrates the page to another block (data kept); the block comes back with online_movable",
      refs: [HOTPLUG_C, 'mm/memory_hotplug.c:do_migrate_range', MEMORY_C],
      setup: SETUP,
      steps: [
        ...START,
        obs('zone', 'z0'),
        obs('frame', 'f0'),
        step('memory_block_state', 'block: $b0', 'st0'),
        store('$b0', 'offline', 'off'),
        step('memory_block_state', 'block: $b0', 'st_off'),
        blockOf('b1'),
        obs('zone', 'z1'),
        obs('frame', 'f1'),
        step('load', 'addr: $a', 'data'),
        store('$b0', 'online_movable', 'on'),
        step('memory_block_state', 'block: $b0', 'st_on'),
        step('memory_block_zones', 'block: $b0', 'zones_on'),
      ].join('\n'),
      ...both({ z0: 'Movable', st0: 'online', off: 7, st_off: 'offline', b1: '{ ne: $b0 }', z1: 'Movable', f1: '{ ne: $f0 }', data: 'A', on: 14, st_on: 'online', zones_on: 'Movable' }),
    },
    {
      area: 'hotplug',
      name: 'offline-after-uring-pin',
      question: 'An io_uring fixed buffer (a long-term pin) moved its page out of ZONE_MOVABLE when it was registered; the block the page came from can then be offlined while the pin is held',
      refs: ['d1e153fea2a8 "mm/gup: migrate pinned pages out of movable zone"', HOTPLUG_C],
      setup: SETUP,
      steps: [
        ...START,
        step('io_uring_setup', '', 'ring'),
        step('IORING_REGISTER_BUFFERS', 'ring: $ring, iovecs: [{ base: $a, len: 1 page }]', 'reg'),
        blockOf('b1'),
        obs('zone', 'z1'),
        store('$b0', 'offline', 'off'),
        blockOf('b2'),
        step('load', 'addr: $a', 'data'),
        store('$b0', 'online_movable', 'on'),
        step('IORING_UNREGISTER_BUFFERS', 'ring: $ring', 'unreg'),
      ].join('\n'),
      ...both({ reg: 0, b1: '{ ne: $b0 }', z1: 'Normal', off: 7, b2: '$b1', data: 'A', on: 14, unreg: 0 }),
    },
    {
      area: 'hotplug',
      name: 'state-errors',
      question: 'Which errors does a write to memoryN/state return: the state the block already has, an unknown block, an unknown word?',
      refs: [MEMORY_C, 'drivers/base/core.c:device_online', 'drivers/base/core.c:device_offline'],
      setup: SETUP,
      steps: [
        ...START,
        store('$b0', 'online', 'on_online'),
        store('$b0', 'online_movable', 'movable_online'),
        store('100000', 'offline', 'noblock'),
        step('memory_block_state', 'block: 100000', 'noblock_state'),
        store('$b0', 7, 'bad_word'),
        store('$b0', 'offline', 'off'),
        store('$b0', 'offline', 'off_off'),
        store('$b0', 'online_movable', 'on'),
      ].join('\n'),
      ...both({ on_online: '-EINVAL', movable_online: '-EINVAL', noblock: '-ENOENT', noblock_state: '-ENOENT', bad_word: '-EINVAL', off: 7, off_off: '-EINVAL', on: 14 }),
    },
  ];
}
