import { describe, expect, it } from 'vitest';
import { caseValues, parseGuestLog, parseKv, tagOf } from '../../../src/conformance/guestlog.js';
import type { Translation } from '../../../src/conformance/translate.js';

const T: Translation = {
  caseName: 'c1',
  lines: ['mmap buf 0 4096 3 34 -1 0', 'vfio-map map $C $buf 1048576 4096 3 32', 'frame f 0 $buf', 'load seen 0 $buf', 'vfio-unmap un $C 1048576 4096 0 24', 'frame z 0 $buf', 'locked-vm lvm 0'],
  plan: [
    { name: 'map', step: 1, kind: 'int' },
    { name: 'f', step: 2, kind: 'frame' },
    { name: 'seen', step: 3, kind: 'tag' },
    { name: 'un', step: 4, kind: 'int' },
    { name: 'un.size', step: 4, kind: 'unmapsize' },
    { name: 'z', step: 5, kind: 'zone' },
    { name: 'lvm', step: 6, kind: 'pages' },
    { name: 'gone', step: -1, kind: 'int', constant: null },
  ],
  tags: new Map([['A', 0x41], ['B', 0x42]]),
};

const LOG = [
  'SeaBIOS noise',
  '@@E kernel=6.12.117+deb12-amd64',
  '@@E zone=DMA start_pfn=1 spanned=4095',
  '@@E zone=Movable start_pfn=327680 spanned=196575',
  '@@C c1 begin',
  '@@R c1 0 mmap ret=140238001586176',
  '@@R c1 1 vfio-map ret=0',
  '[   12.3] some kernel line@@R c1 2 frame ret=4660 zone=DMA32',
  '@@R c1 3 load ret=66',
  '@@R c1 4 vfio-unmap ret=0 size=4096',
  '@@R c1 5 frame ret=-1 zone=null',
  '@@R c1 6 locked-vm ret=1 pinned_vm=0',
  '@@C c1 end status=0',
  '@@C c2 begin',
  '@@S c2 3 mmap mmap-errno=12',
  '@@C c2 end status=1',
  '@@C c3 begin',
  '@@C all done',
].join('\n');

describe('parseGuestLog', () => {
  const log = parseGuestLog(LOG);
  it('reads environment facts, repeated keys in order', () => {
    expect(log.env.get('kernel')).toEqual(['6.12.117+deb12-amd64']);
    expect(log.env.get('zone')).toEqual(['DMA start_pfn=1 spanned=4095', 'Movable start_pfn=327680 spanned=196575']);
    expect(log.complete).toBe(true);
  });
  it('reads observations even after kernel output on the same row', () => {
    const c = log.cases.get('c1');
    expect(c?.status).toBe(0);
    expect(c?.obs.get(2)).toEqual({ step: 2, op: 'frame', ret: 4660n, kv: { zone: 'DMA32' } });
    expect(c?.obs.get(0)?.ret).toBe(140238001586176n);
  });
  it('keeps set-up failures and unfinished cases apart from results', () => {
    expect(log.cases.get('c2')?.setupFailures).toEqual([{ step: 3, op: 'mmap', reason: 'mmap-errno=12' }]);
    expect(log.cases.get('c3')?.status).toBeNull();
  });
  it('parses key=value lists', () => {
    expect(parseKv('size=4096 locked_vm=3 x=')).toEqual({ size: '4096', locked_vm: '3', x: '' });
  });
});

describe('caseValues', () => {
  const log = parseGuestLog(LOG);
  it('turns observations into the scenario values with the plan', () => {
    const v = caseValues(T, log.cases.get('c1'));
    expect(v.status).toBe('ok');
    if (v.status !== 'ok') return;
    expect(Object.fromEntries(v.values)).toEqual({ map: 0, f: 4660n, seen: 'B', un: 0, 'un.size': 4096, z: null, lvm: 1, gone: null });
    const failed = parseGuestLog(LOG.replace('vfio-unmap ret=0 size=4096', 'vfio-unmap ret=-22 size=8192'));
    const fv = caseValues(T, failed.cases.get('c1'));
    expect(fv.status === 'ok' && [fv.values.get('un'), fv.values.get('un.size')]).toEqual([-22, 8192]);
  });
  it('reports a set-up failure with the failing line, never values', () => {
    const v = caseValues({ ...T, caseName: 'c2' }, log.cases.get('c2'));
    expect(v).toEqual({ status: 'setup-failed', reason: expect.stringContaining('mmap-errno=12') });
    expect(v.status === 'setup-failed' && v.reason.includes('vfio-unmap un')).toBe(false);
  });
  it('reports a case that never ended or never started as incomplete', () => {
    expect(caseValues({ ...T, caseName: 'c3' }, log.cases.get('c3')).status).toBe('incomplete');
    expect(caseValues({ ...T, caseName: 'c9' }, log.cases.get('c9')).status).toBe('incomplete');
  });
  it('reports a missing observation as incomplete', () => {
    const partial = parseGuestLog('@@C c1 begin\n@@R c1 1 vfio-map ret=0\n@@C c1 end status=0\n');
    expect(caseValues(T, partial.cases.get('c1'))).toEqual({ status: 'incomplete', reason: expect.stringContaining('no observation for f') });
  });
  it('maps bytes back to content tags', () => {
    expect(tagOf(T, 0x41)).toBe('A');
    expect(tagOf(T, 0)).toBe('zero');
    expect(tagOf(T, 0x7f)).toBe('byte-0x7f');
  });
});
