// The remote-access conformance cases (generate.ts writes them with the others): the
// scenarios of scenarios/remote/ that one driver process can run (itself and forked
// children), with their declarations for the two real kernels only (v6.1, v6.12). The
// scenario files are the single source; their declared values come from the kernel sources
// cited in each (Debian 6.1.192 / 6.12.117 fs/proc/base.c, mm/memory.c, mm/gup.c,
// kernel/ptrace.c, mm/process_vm_access.c) and are judged on the real kernels.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const CORPUS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'scenarios');

/** The scenarios/remote files that are conformance cases. */
export const REMOTE_CASES = [
  'proc-mem-write-ro-private',
  'proc-mem-write-ro-shared',
  'proc-mem-write-ro-hugetlb',
  'proc-mem-prot-none',
  'process-vm-hole-and-force',
  'ptrace-poke-ro-text',
  'ptrace-seize-interrupt',
  'proc-mem-write-vfio-ro-pin',
  'cmdline-prset-mm',
  'cmdline-setproctitle',
  'cmdline-foll-anon',
  'devmem-access',
] as const;

export interface RemoteCase {
  readonly area: string;
  readonly name: string;
  /** The case file, rendered. */
  readonly text: string;
}

/** Keep only the v6.1 and v6.12 entries of the scenario's `expect:` block (the last top-level key). */
function realKernelsOnly(text: string): string {
  const at = text.indexOf('\nexpect:\n');
  if (at < 0) throw new Error('a corpus case scenario without expect:');
  const lines = text.slice(at + '\nexpect:\n'.length).split('\n');
  const out: string[] = [];
  let keep = false;
  for (const l of lines) {
    const m = /^ {2}(\S+):\s*$/.exec(l);
    if (m !== null) keep = m[1] === 'v6.1' || m[1] === 'v6.12';
    if (keep && l !== '') out.push(l);
  }
  return `${text.slice(0, at)}\nexpect:\n${out.join('\n')}\n`;
}

/** Other corpus scenarios that are conformance cases as they stand (area → names). */
export const CORPUS_CASES: Readonly<Record<string, readonly string[]>> = {
  remote: REMOTE_CASES,
  // the hold on a vmsplice()d page ends in the alarm's -EINTR (conformance/cases/generate-hotplug.ts: the other hotplug cases)
  hotplug: ['offline-pipe-ref-alarm'],
  // MADV_PAGEOUT of page-cache pages (conformance/cases/generate-addrspace.ts: the other addrspace cases)
  addrspace: ['madv-pageout-file', 'mremap-hugetlb-shared', 'mremap-hugetlb-private'],
};

export function remoteCases(): RemoteCase[] {
  return Object.entries(CORPUS_CASES).flatMap(([area, names]) =>
    names.map((name) => ({ area, name, text: realKernelsOnly(readFileSync(join(CORPUS, area, `${name}.yaml`), 'utf8')) })));
}
