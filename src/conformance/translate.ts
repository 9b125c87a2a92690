// Translation of a conformance-capable scenario (docs/scenario-format.md) into the guest
// driver's op language (conformance/guest/pinlab-guest.c; docs/conformance.md), plus
// the plan that says how each guest output line becomes a comparable value.
//
// A scenario is written once: its set-up becomes guest set-up lines (a failure there is
// a set-up failure, never a result), each step of its single thread becomes one driver
// operation in order, and its `observe` probes are read at the end. Flag names become
// their x86-64 uapi values (the same in both kernels).
//
// The per-op translations live with the op table's conformance side (src/conformance/ops/,
// keyed by the scenario op names); this file drives them and keeps the set-up.
import type { Scenario, Step } from '../scenario/ast.js';
import { conformanceObstacle } from '../scenario/ast.js';
import { isOpName } from '../scenario/ops/index.js';
import { GUEST_OPS } from './ops/index.js';
import type { Ctx, TranslateResult, Translation } from './translate-core.js';
import {
  GUEST_HUGEPAGES, GUEST_MOUNTS, UAPI, Untranslatable, caseNameOf, emit, fail, flagValue, guestPath, probeLine, stepTx,
} from './translate-core.js';

export {
  EDU_DMA_LIMIT, ERRNO_NAMES, GUEST_DEVDAX, GUEST_HUGEPAGES, GUEST_MOUNTS, SCRATCH_IOVA, UAPI, caseNameOf,
} from './translate-core.js';
export type { PlanItem, TranslateResult, Translation, ValueKind } from './translate-core.js';

// ---- set-up ---------------------------------------------------------------------------------

function translateSetup(c: Ctx, needEdu: boolean): void {
  const s = c.s.setup;
  if (s.memory.cma > 0n) fail('CMA: the guest has no CMA area (cma_alloc cannot be arranged)');
  // The guest re-reserves a pool of GUEST_HUGEPAGES 2 MiB pages before every case (init.sh, pinlab-guest.c).
  if (s.memory.hugepages !== 0 && s.memory.hugepages !== GUEST_HUGEPAGES) fail(`hugepages: ${s.memory.hugepages}: the guest's hugetlb pool is always ${GUEST_HUGEPAGES} pages`);
  const kinds = new Set<string>();
  for (const fs of s.filesystems) {
    let kind: keyof typeof GUEST_MOUNTS;
    if (fs.type === 'ext4' && fs.dax) {
      const pm = s.memory.pmem.find((p) => p.name === fs.device);
      if (pm !== undefined && pm.mode !== 'fsdax') fail(`file system ${fs.mount} on a ${pm.mode} pmem region`);
      kind = 'fsdax';
    } else if (fs.type === 'ext4') kind = 'ext4';
    else if (fs.type === 'tmpfs') kind = 'tmpfs';
    else kind = 'hugetlbfs';
    if (kinds.has(kind)) fail(`two ${kind} file systems (the guest has one)`);
    kinds.add(kind);
    c.mounts.set(fs.mount, GUEST_MOUNTS[kind]);
    emit(c, `fscheck - ${GUEST_MOUNTS[kind]} ${kind}`);
  }
  for (const f of s.files) {
    if (f.cached !== null) {
      const pages = Number((f.size + 4095n) / 4096n);
      if (f.cached.length !== pages) fail(`file ${f.path}: a partly cached page cache cannot be arranged in the guest`);
    }
    emit(c, `mkfile - ${guestPath(c, f.path)} ${f.size}`);
  }
  const threadProc = c.s.threads[0]?.process;
  if (s.processes.length !== 1 || s.processes[0]?.name !== threadProc) fail('set-up with processes other than the thread\'s');
  const p = s.processes[0];
  if (p.uid !== 0) fail(`uid ${p.uid}: the guest driver runs as root (drop capabilities instead)`);
  c.pids.set(p.name, '0');
  // RLIMIT_* and capabilities first: they are the process's state when its steps begin
  for (const [res, lim] of Object.entries(p.rlimits)) {
    const r = UAPI[res];
    if (r === undefined) fail(`rlimit ${res}`);
    const cur = lim.cur === null ? '0xffffffffffffffff' : lim.cur.toString();
    const max = lim.max === null ? '0xffffffffffffffff' : lim.max.toString();
    const i = emit(c, `setrlimit _rl_${res} ${r} ${cur} ${max}`);
    emit(c, `expect-ok - $_rl_${res}`);
    void i;
  }
  const ALL_CAPS = ['CAP_DAC_OVERRIDE', 'CAP_IPC_LOCK', 'CAP_SYS_RAWIO', 'CAP_SYS_ADMIN', 'CAP_SYS_RESOURCE'];
  const dropped = ALL_CAPS.filter((x) => !p.caps.includes(x));
  // the driver needs CAP_SYS_ADMIN for /proc/self/pagemap pfns and CAP_SYS_RAWIO/DAC for devices
  for (const d of dropped) if (d !== 'CAP_IPC_LOCK') fail(`dropping ${d} (the driver needs it to observe)`);
  if (dropped.includes('CAP_IPC_LOCK')) {
    emit(c, `capdrop _cap 0x${(1 << (UAPI.CAP_IPC_LOCK as number)).toString(16)}`);
    emit(c, 'expect-ok - $_cap');
  }
  // mappings
  for (const m of p.mappings) {
    let fd = '-1';
    if (m.file !== null) {
      const slot = `_fd_${m.name}`;
      const writable = m.prot.includes('PROT_WRITE') && m.flags.includes('MAP_SHARED');
      emit(c, `open ${slot} ${guestPath(c, m.file)} ${writable ? UAPI.O_RDWR : (m.prot.includes('PROT_WRITE') ? UAPI.O_RDWR : UAPI.O_RDONLY)}`);
      emit(c, `expect-ok - $${slot}`);
      fd = `$${slot}`;
    }
    emit(c, `mmap ${m.name} ${m.addr} ${m.length} ${flagValue(m.prot)} ${flagValue(m.flags)} ${fd} ${m.offset}`);
    emit(c, `expect-ok - $${m.name}`);
    if (m.populate) emit(c, `touch - $${m.name} ${m.length} ${m.prot.includes('PROT_WRITE') ? 1 : 0}`);
  }
  // devices and VFIO
  for (const d of s.devices) {
    if (d.kind !== 'edu') fail(`device kind ${d.kind}`);
    if (c.groups.size > 0) fail('more than one edu device (the guest has one)');
    c.groups.set(d.iommuGroup, '@edu-group');
  }
  if (s.vfio.dmaEntryLimit !== 65535) emit(c, `dma-entry-limit - ${s.vfio.dmaEntryLimit}`);
  let attached = false;
  for (const ct of s.vfio.containers) {
    if (ct.process !== p.name) fail('a container in another process');
    emit(c, `open ${ct.name} /dev/vfio/vfio ${UAPI.O_RDWR}`);
    emit(c, `expect-ok - $${ct.name}`);
    ct.groups.forEach((g, i) => {
      const dev = s.devices.find((d) => d.name === g);
      if (dev === undefined) fail(`container group ${g}`);
      const gs = `${ct.name}.g${i}`;
      emit(c, `open ${gs} ${guestPath(c, `/dev/vfio/${dev.iommuGroup}`)} ${UAPI.O_RDWR}`);
      emit(c, `expect-ok - $${gs}`);
      emit(c, `vfio-set-container _sc_${gs} $${gs} $${ct.name}`);
      emit(c, `expect-ok - $_sc_${gs}`);
    });
    const type = UAPI[ct.iommu];
    if (type === undefined) fail(`iommu type ${ct.iommu}`);
    emit(c, `vfio-ioctl0 _si_${ct.name} $${ct.name} set-iommu ${type}`);
    emit(c, `expect-ok - $_si_${ct.name}`);
    // The model's set-up opens the device fd of every group it adds (scenario/build-vfio.ts
    // setupContainers), so the guest does too: with an iommufd compat container the device is
    // attached to the IOAS only when its fd is opened (vfio_df_iommufd_bind).
    if (ct.groups.length > 0 && !attached) {
      emit(c, `edu-attach - $${ct.name}.g0 $${ct.name}`);
      attached = true;
    }
  }
  if (needEdu && !attached) fail('device DMA without a container holding the edu device');
}

// ---- steps ----------------------------------------------------------------------------------

function resultName(c: Ctx, st: Step): string {
  if (st.as !== null) return st.as;
  c.seq += 1;
  return `_r${c.seq}`;
}

/** One step: the op's guest translation from the table, or its reason for having none. */
function translateStep(c: Ctx, st: Step): void {
  const as = resultName(c, st);
  const g = isOpName(st.op) ? GUEST_OPS[st.op] : undefined;
  if (g === undefined) fail(`operation ${st.op} has no guest equivalent`);
  if ('none' in g) fail(`operation ${st.op} has no guest equivalent (${g.none})`);
  g.translate(stepTx(c, st, as));
}

/** Translate a scenario; `{ ok: false, reason }` says why it cannot run on a real kernel. */
export function translateScenario(s: Scenario): TranslateResult {
  const obstacle = conformanceObstacle(s);
  if (obstacle !== null) return { ok: false, reason: obstacle };
  const c: Ctx = {
    s, lines: [], plan: [], tags: new Map(), mounts: new Map(), groups: new Map(), pids: new Map(), exited: new Set(), seq: 0,
  };
  try {
    const t = s.threads[0];
    if (t === undefined) fail('no thread');
    const needEdu = t.steps.some((st) => st.op === 'device_dma_write' || st.op === 'device_dma_read');
    translateSetup(c, needEdu);
    for (const st of t.steps) {
      if (st.after !== null) fail('`after:` waits (single-threaded driver)');
      translateStep(c, st);
    }
    for (const o of s.observe) {
      const pl = probeLine(c, o.probe, o.name);
      if (pl === 'null') c.plan.push({ name: o.name, step: -1, kind: 'int', constant: null });
      else c.plan.push({ name: o.name, step: emit(c, pl.line), kind: pl.kind });
    }
    // Content tags must be known before any line is read back; a case longer than the
    // driver's line limit cannot run.
    if (c.lines.length > 500) fail('more than 500 driver lines');
    return { ok: true, t: { caseName: caseNameOf(s.file), lines: c.lines, plan: c.plan, tags: c.tags } };
  } catch (e) {
    if (e instanceof Untranslatable) return { ok: false, reason: e.message };
    throw e;
  }
}

/** The case file text for a list of translations. */
export function caseFileText(ts: readonly Translation[]): string {
  return ts.map((t) => `case ${t.caseName}\n${t.lines.join('\n')}\nend\n`).join('');
}
