/**
 * `pinlab serve` on a large run (issue 17: "the API and page stay responsive on a large
 * run"): a process maps PINLAB_SERVE_BENCH_MIB MiB (default 256) of populated 4 KiB
 * anonymous memory for VFIO DMA (tests/support/large-guest.ts), through the HTTP API:
 *
 * - serve_large_run_seconds: POST /runs (one full scenario run with the checker, as
 *   `pinlab run` does, watched by the session's step record, src/serve/timeline.ts);
 * - serve_large_run_cpu_seconds: the CPU time (user + system) of that request;
 * - serve_large_state_seconds: the state after the last step, first time (rebuilt from
 *   the step record, one page of 48 frame cards);
 * - serve_large_state_page_ms: another page of the cached snapshot;
 * - serve_large_diff_seconds: the diff between step 0 and the last step;
 * - serve_large_state_mid_ms / _next_ms / _prev_ms: at nine points k/10 of the run, the state
 *   after the point's step (a jump from the last step asked), then after the next and the
 *   previous step (stepping forward and back): medians with min and max;
 * - serve_large_diff_step_ms: the diff between each point and the next step (median);
 * - serve_large_requests_cpu_ms: CPU time (user + system) of this process per stepping
 *   request, the mean over those 36 (server and client are this process; wall times move
 *   with the machine's load);
 * - serve_large_rss_mib: the resident set of the process (server, run, record) at the end;
 * - serve_large_state_kib: size of one state answer (stays ~constant with memory size).
 */
import { serve } from '../src/serve/server.js';
import { largeGuestScenario } from '../tests/support/large-guest.js';
import type { Benchmark, Figure } from './types.js';

/** Points across the run at which stepping is measured. */
const POINTS = 9;

const seconds = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e9;

export const benchmarks: Benchmark[] = [
  {
    name: 'serve_large',
    run: async (): Promise<Figure[]> => {
      const mib = Number(process.env.PINLAB_SERVE_BENCH_MIB ?? '256');
      const s = await serve({ port: 0 });
      try {
        const api = (p: string, init?: RequestInit): Promise<Response> => fetch(new URL(`/api/v1/${p}`, s.url), init);
        let t0 = process.hrtime.bigint();
        const runCpu0 = process.cpuUsage();
        const created = (await (await api('runs', { method: 'POST', body: JSON.stringify({ text: largeGuestScenario(mib), profile: 'v6.12' }) })).json()) as { id: string; run: { steps: number; status: string } };
        const runSeconds = seconds(t0);
        const runCpu = process.cpuUsage(runCpu0);
        if (created.run.status !== 'done') throw new Error(`bench bug: the large run ended ${created.run.status}`);
        const last = created.run.steps;
        t0 = process.hrtime.bigint();
        const first = await (await api(`runs/${created.id}/state?step=${last}&frames=all&limit=48`)).text();
        const stateSeconds = seconds(t0);
        t0 = process.hrtime.bigint();
        await (await api(`runs/${created.id}/state?step=${last}&frames=all&offset=${(mib * 256) >> 1}&limit=48`)).text();
        const pageMs = seconds(t0) * 1000;
        t0 = process.hrtime.bigint();
        await (await api(`runs/${created.id}/diff?from=0&to=${last}`)).text();
        const diffSeconds = seconds(t0);
        const ms = async (path: string): Promise<number> => {
          const t = process.hrtime.bigint();
          const r = await api(path);
          await r.text();
          if (r.status !== 200) throw new Error(`bench bug: ${path} answered ${r.status}`);
          return seconds(t) * 1000;
        };
        // Stepping at nine points across the run: a far jump to the point, the next step, the previous one, the one-step diff.
        const far: number[] = [];
        const next: number[] = [];
        const prev: number[] = [];
        const diffStep: number[] = [];
        const cpu0 = process.cpuUsage();
        for (let k = 1; k <= POINTS; k++) {
          const at = Math.min(last - 1, Math.max(1, Math.round((last * k) / (POINTS + 1))));
          far.push(await ms(`runs/${created.id}/state?step=${at}&limit=48`));
          next.push(await ms(`runs/${created.id}/state?step=${at + 1}&limit=48`));
          prev.push(await ms(`runs/${created.id}/state?step=${at - 1}&limit=48`));
          diffStep.push(await ms(`runs/${created.id}/diff?from=${at}&to=${at + 1}`));
        }
        const cpu = process.cpuUsage(cpu0);
        const tag = `(${mib} MiB, ${last} steps)`;
        const goal = `< 1 s: issue 17, responsive after the run ${tag}`;
        const median = (name: string, xs: number[], what: string): Figure => {
          const v = [...xs].sort((a, b) => a - b);
          return { name, value: v[v.length >> 1], unit: 'ms', goal: `${goal}; ${what}`, min: v[0], max: v[v.length - 1], runs: v.length };
        };
        return [
          { name: 'serve_large_run_seconds', value: runSeconds, unit: 's', goal: `informational ${tag}` },
          { name: 'serve_large_run_cpu_seconds', value: (runCpu.user + runCpu.system) / 1e6, unit: 's', goal: `informational: CPU of creating the run ${tag}` },
          { name: 'serve_large_state_seconds', value: stateSeconds, unit: 's', goal },
          { name: 'serve_large_state_page_ms', value: pageMs, unit: 'ms', goal },
          { name: 'serve_large_diff_seconds', value: diffSeconds, unit: 's', goal },
          median('serve_large_state_mid_ms', far, `state at ${POINTS} points k/${POINTS + 1} of the run, each a jump from the last one asked`),
          median('serve_large_state_next_ms', next, 'the step after each point'),
          median('serve_large_state_prev_ms', prev, 'the step before each point'),
          median('serve_large_diff_step_ms', diffStep, 'diff of each point and the next step'),
          { name: 'serve_large_requests_cpu_ms', value: (cpu.user + cpu.system) / 1000 / (4 * POINTS), unit: 'ms', goal: `informational: CPU per stepping request, mean of the ${4 * POINTS} above ${tag}` },
          { name: 'serve_large_rss_mib', value: process.memoryUsage().rss / 2 ** 20, unit: 'MiB', goal: `informational ${tag}` },
          { name: 'serve_large_state_kib', value: first.length / 1024, unit: 'KiB', goal: `informational ${tag}` },
        ];
      } finally {
        await s.close();
      }
    },
  },
];
