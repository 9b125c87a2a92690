/**
 * pinlab view: the web visualizer of a scenario run (served by `pinlab serve`).
 *
 * Every view is a URL: ?scenario=<corpus path>&profile=<P>&schedule=<S>&step=<N>
 * [&view=run|compare|explore][&profileB=<P2>][&frames=held|mapped|fsdax|all][&page=<k>].
 * Left/Right arrow keys step back/forward (Home/End jump), and changed objects are
 * marked with a "changed" badge as well as a colour.
 */
import { render } from 'preact';
import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import type { FrameCard, FrameFilter, IommuMapping, LaneStep, MachineState, ProcessState, RunSummary, StateDiff, ThreadState } from '../../src/report/state-types.js';
import type { CorpusEntry, ExploreOutcome, ExploreProgress } from './api.js';
import { ApiFailure, corpus, diff, diffRuns, exploreRun, newRun, stateAt } from './api.js';

type View = 'run' | 'compare' | 'explore';

interface Params {
  scenario: string;
  profile: string;
  schedule: string;
  step: number | null;
  view: View;
  profileB: string;
  frames: FrameFilter;
  page: number;
}

const FRAME_PAGE = 48;
const FILTERS: readonly FrameFilter[] = ['held', 'mapped', 'fsdax', 'all'];

function readParams(): Params {
  const q = new URLSearchParams(location.search);
  const step = q.get('step');
  const view = q.get('view');
  const frames = q.get('frames') as FrameFilter | null;
  return {
    scenario: q.get('scenario') ?? '',
    profile: q.get('profile') ?? '',
    schedule: q.get('schedule') ?? '',
    step: step !== null && /^\d+$/.test(step) ? Number(step) : null,
    view: view === 'compare' || view === 'explore' ? view : 'run',
    profileB: q.get('profileB') ?? '',
    frames: frames !== null && FILTERS.includes(frames) ? frames : 'held',
    page: Number(q.get('page') ?? '0') || 0,
  };
}

function writeParams(p: Params): void {
  const q = new URLSearchParams();
  if (p.scenario !== '') q.set('scenario', p.scenario);
  if (p.profile !== '') q.set('profile', p.profile);
  if (p.schedule !== '') q.set('schedule', p.schedule);
  if (p.step !== null) q.set('step', String(p.step));
  if (p.view !== 'run') q.set('view', p.view);
  if (p.profileB !== '') q.set('profileB', p.profileB);
  if (p.frames !== 'held') q.set('frames', p.frames);
  if (p.page !== 0) q.set('page', String(p.page));
  const url = `${location.pathname}?${q.toString()}`;
  if (url !== `${location.pathname}${location.search}`) history.replaceState(null, '', url);
}

function errorText(e: unknown): string {
  if (e instanceof ApiFailure) return [e.message, ...e.details].join('\n');
  return e instanceof Error ? e.message : String(e);
}

// ---- the app ----------------------------------------------------------------------------------------------

function App() {
  const [p, setP] = useState<Params>(readParams);
  const [list, setList] = useState<CorpusEntry[]>([]);
  const [run, setRun] = useState<RunSummary | null>(null);
  const [state, setState] = useState<MachineState | null>(null);
  const [changes, setChanges] = useState<StateDiff | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [draft, setDraft] = useState({ scenario: p.scenario, profile: p.profile, schedule: p.schedule });

  const update = useCallback((u: Partial<Params>) => setP((old) => ({ ...old, ...u })), []);
  useEffect(() => writeParams(p), [p]);
  useEffect(() => {
    corpus().then((c) => setList(c.scenarios), (e: unknown) => setError(errorText(e)));
  }, []);

  // A run per (scenario, profile, schedule).
  useEffect(() => {
    if (p.scenario === '') return;
    setBusy(true);
    setError(null);
    const entry = list.find((x) => x.path === p.scenario);
    const profile = p.profile !== '' ? p.profile : entry?.profiles[0] ?? '';
    newRun(p.scenario, profile, p.schedule === '' ? null : p.schedule).then((r) => {
      setRun(r);
      if (p.profile === '') update({ profile: r.run.profile });
      if (p.step === null || p.step > r.run.steps) update({ step: p.step === null ? 0 : r.run.steps });
    }, (e: unknown) => {
      setRun(null);
      setError(errorText(e));
    }).finally(() => setBusy(false));
  }, [p.scenario, p.profile, p.schedule]);

  const step = run === null ? 0 : Math.min(p.step ?? 0, run.run.steps);
  useEffect(() => {
    if (run === null) return;
    let live = true;
    stateAt(run.id, step, p.frames, p.page * FRAME_PAGE, FRAME_PAGE).then((s) => live && setState(s), (e: unknown) => live && setError(errorText(e)));
    if (step > 0) diff(run.id, step - 1, step).then((d) => live && setChanges(d), () => live && setChanges(null));
    else setChanges(null);
    return () => {
      live = false;
    };
  }, [run, step, p.frames, p.page]);

  // Keyboard: arrows step, Home/End jump (not while typing in a field).
  useEffect(() => {
    const onKey = (e: KeyboardEvent): void => {
      const t = e.target as HTMLElement | null;
      if (t !== null && (t.tagName === 'INPUT' || t.tagName === 'SELECT' || t.tagName === 'TEXTAREA')) return;
      if (run === null) return;
      const last = run.run.steps;
      // From the current params (not this closure's step: the listener may be older than the last render).
      const move: ((s: number) => number) | null =
        e.key === 'ArrowRight' ? (s) => Math.min(last, s + 1)
          : e.key === 'ArrowLeft' ? (s) => Math.max(0, s - 1)
            : e.key === 'Home' ? () => 0
              : e.key === 'End' ? () => last
                : null;
      if (move !== null) {
        e.preventDefault();
        setP((old) => ({ ...old, step: move(Math.min(old.step ?? 0, last)) }));
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [run]);

  const entry = list.find((x) => x.path === p.scenario);
  const submit = (e: Event): void => {
    e.preventDefault();
    update({ scenario: draft.scenario, profile: draft.profile, schedule: draft.schedule, step: 0, page: 0 });
  };

  return (
    <div class="app">
      <header>
        <h1>pinlab view</h1>
        <form class="toolbar" onSubmit={submit}>
          <label>scenario{' '}
            <select data-testid="scenario" value={draft.scenario} onChange={(e) => setDraft({ ...draft, scenario: (e.target as HTMLSelectElement).value, profile: '' })}>
              <option value="">(choose)</option>
              {p.scenario !== '' && !list.some((x) => x.path === p.scenario) ? <option value={p.scenario}>{p.scenario}</option> : null}
              {list.map((x) => <option key={x.path} value={x.path}>{x.path}</option>)}
            </select>
          </label>
          <label>profile{' '}
            <input data-testid="profile" list="profiles" value={draft.profile} size={34} onInput={(e) => setDraft({ ...draft, profile: (e.target as HTMLInputElement).value })} />
          </label>
          <datalist id="profiles">{(list.find((x) => x.path === draft.scenario)?.profiles ?? []).map((x) => <option key={x} value={x} />)}</datalist>
          <label>schedule{' '}
            <input data-testid="schedule" value={draft.schedule} size={22} placeholder="default" onInput={(e) => setDraft({ ...draft, schedule: (e.target as HTMLInputElement).value })} />
          </label>
          <button type="submit">Run</button>
        </form>
        <nav class="tabs" aria-label="views">
          {(['run', 'compare', 'explore'] as View[]).map((v) => (
            <button key={v} type="button" data-testid={`tab-${v}`} aria-pressed={p.view === v} class={p.view === v ? 'on' : ''} onClick={() => update({ view: v })}>{v}</button>
          ))}
        </nav>
      </header>
      {entry !== undefined ? <p class="question">{entry.question}</p> : null}
      {error !== null ? <pre class="error" role="alert" data-testid="error">{error}</pre> : null}
      {busy ? <p class="busy">running…</p> : null}
      {run !== null && p.view === 'run' ? <RunView run={run} state={state} changes={changes} step={step} p={p} update={update} /> : null}
      {run !== null && p.view === 'compare' ? <CompareView run={run} step={step} p={p} update={update} /> : null}
      {run !== null && p.view === 'explore' ? <ExploreView run={run} p={p} update={update} /> : null}
      {p.scenario === '' ? <p>Choose a scenario from the corpus, or open a URL printed by <code>pinlab view</code>.</p> : null}
    </div>
  );
}

// ---- run view ---------------------------------------------------------------------------------------------

interface RunProps {
  run: RunSummary;
  state: MachineState | null;
  changes: StateDiff | null;
  step: number;
  p: Params;
  update: (u: Partial<Params>) => void;
}

function RunView({ run, state, changes, step, p, update }: RunProps) {
  const changedFrames = useMemo(() => new Set((changes?.frames ?? []).map((f) => f.pfn)), [changes]);
  const changedVmas = useMemo(() => new Set((changes?.vmas ?? []).map((v) => v.id)), [changes]);
  const changedThreads = useMemo(() => new Set((changes?.threads ?? []).map((t) => t.id)), [changes]);
  const lane = step > 0 ? run.lanes[step - 1] : null;
  return (
    <main>
      <section class="stepper" aria-label="step">
        <button type="button" data-testid="prev" onClick={() => update({ step: Math.max(0, step - 1) })} disabled={step === 0}>◀ back</button>
        <span data-testid="step-label">step <b data-testid="step">{step}</b> of {run.run.steps}</span>
        <button type="button" data-testid="next" onClick={() => update({ step: Math.min(run.run.steps, step + 1) })} disabled={step >= run.run.steps}>forward ▶</button>
        <input type="range" min={0} max={run.run.steps} value={step} aria-label="step slider" onInput={(e) => update({ step: Number((e.target as HTMLInputElement).value) })} />
        <span class="status">run: {run.run.status}; schedule <code data-testid="run-schedule">{run.run.schedule || '(default)'}</code></span>
      </section>
      <p class="stepinfo" data-testid="step-info">
        {lane === null ? 'after set-up, before any thread ran' : <>
          step {lane.step}: <b>{run.threads[lane.thread]?.name ?? `T${lane.thread}`}</b> (T{lane.thread}) {lane.end === 'block' ? 'blocked at' : lane.end === 'exit' ? 'exited' : 'stopped at'} <code>{lane.label}</code>
          {lane.events.filter((e) => e.kind === 'call' || e.kind === 'ret').map((e, i) => (
            <span key={i} class="call">{e.kind === 'call' ? ' → ' : ' ← '}<code>{e.fn}</code>{e.kind === 'ret' ? ` = ${JSON.stringify(e.result)}` : ''}</span>
          ))}
        </>}
      </p>
      <Lanes run={run} step={step} onStep={(s) => update({ step: s })} />
      {state === null ? <p>loading state…</p> : <>
        <Threads threads={state.threads} changed={changedThreads} />
        <Findings state={state} changes={changes} />
        <div class="columns">
          <section class="col">
            <h2>Processes</h2>
            {state.processes.map((pr) => <Process key={pr.name} pr={pr} changedVmas={changedVmas} />)}
            <Iommu maps={state.iommu} />
          </section>
          <section class="col">
            <Frames state={state} changed={changedFrames} p={p} update={update} />
          </section>
        </div>
        {changes !== null ? <DiffList d={changes} title={`Changes in step ${step}`} /> : null}
      </>}
    </main>
  );
}

/** Swim lanes: one row per thread, one column per step (a window around the current step). */
function Lanes({ run, step, onStep }: { run: RunSummary; step: number; onStep: (s: number) => void }) {
  const total = run.lanes.length;
  const win = 80;
  const from = Math.max(1, Math.min(step - win / 2, total - win + 1));
  const to = Math.min(total, from + win - 1);
  const cols = to - from + 1;
  const cw = 14;
  const rh = 26;
  const left = 130;
  const names = run.threads.map((t) => t.name);
  const width = left + Math.max(cols, 1) * cw + 10;
  const height = names.length * rh + 24;
  const cells: preact.JSX.Element[] = [];
  for (let s = from; s <= to; s++) {
    const l: LaneStep | undefined = run.lanes[s - 1];
    if (l === undefined) continue;
    const x = left + (s - from) * cw;
    const y = l.thread * rh + 4;
    const mark = l.end === 'block' ? 'B' : l.end === 'exit' ? 'X' : '';
    const cur = s === step;
    cells.push(
      <g key={s} class={`cell ${l.end}${cur ? ' current' : ''}`} onClick={() => onStep(s)} data-step={s} data-thread={l.thread}>
        <title>{`step ${s}: T${l.thread} ${l.end} ${l.label}${l.events.filter((e) => e.kind === 'call').map((e) => ` · ${e.fn ?? ''}`).join('')}`}</title>
        <rect x={x + 1} y={y} width={cw - 2} height={rh - 8} rx={2} />
        {mark !== '' ? <text x={x + cw / 2} y={y + 13} text-anchor="middle" class="mark">{mark}</text> : null}
        {l.events.some((e) => e.kind === 'call') ? <circle cx={x + cw / 2} cy={y + rh - 12} r={2} class="calldot" /> : null}
      </g>,
    );
  }
  const cx = left + (step - from) * cw + cw / 2;
  return (
    <section class="lanes" aria-label="swim lanes" data-testid="lanes">
      <h2>Threads over steps <small>(steps {from}–{to} of {total}; B = blocked, X = exited, dot = kernel call; click a step)</small></h2>
      <svg width={width} height={height} role="img" aria-label={`swim lanes, current step ${step}`}>
        {names.map((n, i) => (
          <g key={n}>
            <text x={4} y={i * rh + 18} class="lane-name">T{i} {n}</text>
            <line x1={left} x2={width - 10} y1={i * rh + rh - 2} y2={i * rh + rh - 2} class="lane-line" />
          </g>
        ))}
        {cells}
        {step >= from && step <= to ? <g data-testid="lane-cursor"><line x1={cx} x2={cx} y1={0} y2={height - 20} class="cursor" /><text x={cx} y={height - 6} text-anchor="middle" class="cursor-label">▲ {step}</text></g> : null}
      </svg>
    </section>
  );
}

function Threads({ threads, changed }: { threads: readonly ThreadState[]; changed: ReadonlySet<number> }) {
  return (
    <section aria-label="threads">
      <h2>Threads now</h2>
      <table class="threads" data-testid="threads">
        <thead><tr><th>thread</th><th>state</th><th>scenario step</th><th>kernel frames (outermost first)</th><th>at point</th><th>holds</th></tr></thead>
        <tbody>
          {threads.map((t) => (
            <tr key={t.id} class={changed.has(t.id) ? 'changed' : ''} data-testid={`thread-${t.id}`}>
              <td>T{t.id} {t.name}{changed.has(t.id) ? <span class="badge">changed</span> : null}</td>
              <td class={`st-${t.state}`}>{t.state === 'blocked' ? '⏸ ' : t.state === 'done' ? '✓ ' : '▶ '}{t.state}{t.reason !== null ? <div class="reason">{t.reason}</div> : null}</td>
              <td>{t.op === null ? '—' : `${t.scenarioStep + 1}: ${t.op}`}</td>
              <td class="frames-stack">{t.frames.map((f, i) => <div key={i} style={{ paddingLeft: `${i * 8}px` }}>{f}</div>)}</td>
              <td><code>{t.label}</code></td>
              <td>{t.held.map((h) => `${h.lock} (${h.mode})`).join(', ') || '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function Findings({ state, changes }: { state: MachineState; changes: StateDiff | null }) {
  const fresh = new Set(changes?.violated ?? []);
  return (
    <section class="findings" aria-label="findings" data-testid="findings">
      <h2>Invariants violated so far</h2>
      {state.violated.length === 0 ? <p>none</p> : (
        <ul>{state.violated.map((v) => <li key={v} class="violated">✗ {v}{fresh.has(v) ? <span class="badge">new in this step</span> : null}</li>)}</ul>
      )}
      {state.reports.length > 0 ? <><h3>Kernel reports</h3><ul>{state.reports.map((r, i) => <li key={i}><b>{r.kind}</b> {r.site}: {r.message}</li>)}</ul></> : null}
      <h3>Results so far</h3>
      <p class="results">{Object.entries(state.results).map(([k, v]) => <span key={k} class="result"><code>{k}</code> = {JSON.stringify(v).slice(0, 60)} </span>)}</p>
    </section>
  );
}

function Bar({ label, value, limit }: { label: string; value: number; limit: number | null }) {
  const pct = limit === null || limit === 0 ? (value > 0 ? 100 : 0) : Math.min(100, (value / limit) * 100);
  const over = limit !== null && value > limit;
  return (
    <div class={`bar${over ? ' over' : ''}`} data-testid={`bar-${label}`}>
      <span class="bar-label">{label}: {value} pages / {limit === null ? 'unlimited' : `${limit} (RLIMIT_MEMLOCK)`}{over ? ' — OVER LIMIT' : ''}</span>
      <div class="bar-track" role="meter" aria-valuenow={value} aria-valuemin={0} aria-valuemax={limit ?? undefined} aria-label={label}><div class="bar-fill" style={{ width: `${pct}%` }} /></div>
    </div>
  );
}

function Process({ pr, changedVmas }: { pr: ProcessState; changedVmas: ReadonlySet<number> }) {
  return (
    <div class="process" data-testid={`process-${pr.name}`}>
      <h3>{pr.name} <small>pid {pr.pid} ({pr.comm}){pr.exited ? ' — exited' : ''}</small></h3>
      {pr.mm === null ? <p>no mm</p> : <>
        <Bar label="locked_vm" value={pr.mm.lockedVm} limit={pr.mm.capIpcLock ? null : pr.mm.memlockLimit} />
        <Bar label="pinned_vm" value={pr.mm.pinnedVm} limit={pr.mm.capIpcLock ? null : pr.mm.memlockLimit} />
        {pr.mm.capIpcLock ? <p class="note">CAP_IPC_LOCK: the limit is not enforced</p> : null}
        <table class="vmas">
          <thead><tr><th>VMA</th><th>range</th><th>flags</th><th>backing</th><th>page-table entries (vaddr → pfn)</th></tr></thead>
          <tbody>
            {pr.mm.vmas.map((v) => (
              <tr key={v.id} class={changedVmas.has(v.id) ? 'changed' : ''} data-testid={`vma-${v.id}`}>
                <td>vma:{v.id}{changedVmas.has(v.id) ? <span class="badge">changed</span> : null}</td>
                <td><code>{v.start}–{v.end}</code></td>
                <td class="flags">{v.flags.map((f) => f.replace(/^VM_/, '')).join(' ')}</td>
                <td>{v.file ?? 'anon'}{v.ops !== null ? ` (${v.ops})` : ''}</td>
                <td class="ptes">
                  {v.ptes.length === 0 ? '—' : v.ptes.map((r) => <div key={r.vaddr}><code>{r.vaddr}</code> → pfn {r.pfn}{r.pages > 1 ? ` … +${r.pages - 1}` : ''} <small>{r.level} {r.bits.join(',')}</small></div>)}
                  {v.ptesTruncated ? <div>… (more runs; {v.mapped} pages mapped)</div> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </>}
    </div>
  );
}

function Iommu({ maps }: { maps: readonly IommuMapping[] }) {
  if (maps.length === 0) return <section aria-label="iommu"><h2>IOMMU</h2><p>no VFIO DMA mappings</p></section>;
  return (
    <section aria-label="iommu" data-testid="iommu">
      <h2>IOMMU: device view beside process view</h2>
      <table class="iommu">
        <thead><tr><th>container</th><th>iova</th><th>device sees pfn</th><th>vaddr</th><th>process sees pfn</th><th>pages</th><th>coherent?</th></tr></thead>
        <tbody>
          {maps.flatMap((m) => m.runs.map((r) => (
            <tr key={`${m.container}:${r.iova}`} class={r.coherent ? '' : 'incoherent'}>
              <td>#{m.container}</td><td><code>{r.iova}</code></td><td>{r.iommuPfn}</td><td><code>{r.vaddr}</code></td>
              <td>{r.processPfn ?? 'unmapped'}</td><td>{r.pages}</td><td>{r.coherent ? '✓ coherent' : '✗ INCOHERENT'}</td>
            </tr>
          )))}
        </tbody>
      </table>
    </section>
  );
}

function Frames({ state, changed, p, update }: { state: MachineState; changed: ReadonlySet<number>; p: Params; update: (u: Partial<Params>) => void }) {
  const f = state.frames;
  const pages = Math.max(1, Math.ceil(f.total / FRAME_PAGE));
  return (
    <section aria-label="frames" data-testid="frames">
      <h2>Frames <small>{f.total} {p.frames === 'all' ? 'allocated' : p.frames} folios; page {p.page + 1} of {pages}</small></h2>
      <div class="frame-tools">
        <label>show <select data-testid="frame-filter" value={p.frames} onChange={(e) => update({ frames: (e.target as HTMLSelectElement).value as FrameFilter, page: 0 })}>
          {FILTERS.map((x) => <option key={x} value={x}>{x}</option>)}
        </select></label>
        <button type="button" disabled={p.page === 0} onClick={() => update({ page: p.page - 1 })}>previous page</button>
        <button type="button" disabled={p.page + 1 >= pages} onClick={() => update({ page: p.page + 1 })}>next page</button>
      </div>
      <div class="cards">{f.items.map((c) => <Card key={c.pfn} c={c} changed={changed.has(c.pfn)} />)}</div>
    </section>
  );
}

function Card({ c, changed }: { c: FrameCard; changed: boolean }) {
  const pinned = c.holders.some((h) => h.kind !== 'ref');
  return (
    <article class={`card kind-${c.kind}${changed ? ' changed' : ''}${pinned ? ' pinned' : ''}`} data-testid={`frame-${c.pfn}`} data-kind={c.kind}>
      <h4>pfn {c.pfn}{c.order > 0 ? ` (order ${c.order})` : ''} {changed ? <span class="badge">changed</span> : null} {pinned ? <span class="badge pin">pinned</span> : null}</h4>
      <dl>
        <dt>zone</dt><dd>{c.zone}{c.kind !== 'ram' ? ` · ${c.kind}` : ''}{c.cma ? ' · CMA' : ''}{c.movable ? ' · movable' : ''}</dd>
        <dt>refcount</dt><dd>{c.refcount}</dd>
        <dt>mapcount</dt><dd>{c.mapcount}</dd>
        <dt>pincount</dt><dd>{c.pincount}</dd>
        <dt>flags</dt><dd>{c.flags.join(' ') || '—'}</dd>
        <dt>content</dt><dd>{c.content === '' ? '(zero)' : c.content}</dd>
      </dl>
      {c.holders.length > 0 ? <ul class="holders">{c.holders.map((h, i) => <li key={i}>{h.kind === 'longterm-pin' ? 'long-term pin' : h.kind} by {h.holder}{h.since !== null ? ` since step ${h.since}` : ''}</li>)}</ul> : null}
      {c.history.length > 0 ? (
        <details><summary>history ({c.history.length})</summary>
          <ol class="history">{c.history.map((e) => <li key={e.seq}>step {e.step}: {e.thread === null ? '' : `T${e.thread} `}{e.what} in <code>{e.fn}</code></li>)}</ol>
        </details>
      ) : null}
    </article>
  );
}

function DiffList({ d, title }: { d: StateDiff; title: string }) {
  const n = d.frames.length + d.vmas.length + d.processes.length + d.threads.length + d.iommu.length;
  return (
    <section class="diff" aria-label="changes" data-testid="diff">
      <h2>{title} <small>({n} objects{d.truncated ? ', truncated' : ''})</small></h2>
      <ul>
        {d.threads.map((t) => <li key={`t${t.id}`}>thread T{t.id}: {t.changes.map((c) => c.field).join(', ')}</li>)}
        {d.processes.map((x) => <li key={`p${x.name}`}>process {x.name}: {x.changes.map((c) => `${c.field} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ')}</li>)}
        {d.vmas.map((v) => <li key={`v${v.id}`}>vma:{v.id} of {v.process} {v.change}{v.changes.length > 0 ? `: ${v.changes.map((c) => c.field).join(', ')}` : ''}</li>)}
        {d.frames.map((f) => <li key={`f${f.pfn}`} data-testid={`diff-frame-${f.pfn}`}>pfn {f.pfn} {f.change}{f.changes.length > 0 ? `: ${f.changes.map((c) => `${c.field} ${JSON.stringify(c.from)} → ${JSON.stringify(c.to)}`).join('; ')}` : ''}</li>)}
        {d.iommu.map((x) => <li key={`i${x.iova}`}>iommu iova {x.iova} {x.change}</li>)}
        {d.violated.map((v) => <li key={`x${v}`} class="violated">newly violated: {v}</li>)}
        {d.results.length > 0 ? <li>results: {d.results.join(', ')}</li> : null}
      </ul>
    </section>
  );
}

// ---- compare: one scenario on two profiles ----------------------------------------------------------------

function CompareView({ run, step, p, update }: { run: RunSummary; step: number; p: Params; update: (u: Partial<Params>) => void }) {
  const [runB, setRunB] = useState<RunSummary | null>(null);
  const [a, setA] = useState<MachineState | null>(null);
  const [b, setB] = useState<MachineState | null>(null);
  const [d, setD] = useState<StateDiff | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const [draft, setDraft] = useState(p.profileB);
  useEffect(() => {
    if (p.profileB === '') return;
    setErr(null);
    newRun(p.scenario, p.profileB, p.schedule === '' ? null : p.schedule).then(setRunB, (e: unknown) => setErr(errorText(e)));
  }, [p.scenario, p.profileB, p.schedule]);
  const stepB = runB === null ? 0 : Math.min(step, runB.run.steps);
  useEffect(() => {
    if (runB === null) return;
    stateAt(run.id, step, 'held', 0, FRAME_PAGE).then(setA, (e: unknown) => setErr(errorText(e)));
    stateAt(runB.id, stepB, 'held', 0, FRAME_PAGE).then(setB, (e: unknown) => setErr(errorText(e)));
    diffRuns(run.id, step, runB.id, stepB).then(setD, (e: unknown) => setErr(errorText(e)));
  }, [run, runB, step, stepB]);
  return (
    <main data-testid="compare">
      <form class="toolbar" onSubmit={(e) => {
        e.preventDefault();
        update({ profileB: draft });
      }}>
        <label>compare {run.run.profile} with profile <input data-testid="profileB" value={draft} size={34} onInput={(e) => setDraft((e.target as HTMLInputElement).value)} /></label>
        <button type="submit">Compare</button>
        <span>at step {step} (A) / {stepB} (B); arrow keys step both</span>
      </form>
      {err !== null ? <pre class="error" role="alert">{err}</pre> : null}
      {runB !== null ? (
        <div class="columns">
          <section class="col" data-testid="compare-a"><Side title={`A: ${run.run.profile}`} r={run} s={a} /></section>
          <section class="col" data-testid="compare-b"><Side title={`B: ${runB.run.profile}`} r={runB} s={b} /></section>
        </div>
      ) : <p>Enter a second profile to run the same scenario on it.</p>}
      {d !== null ? <DiffList d={d} title="Differences A → B" /> : null}
    </main>
  );
}

function Side({ title, r, s }: { title: string; r: RunSummary; s: MachineState | null }) {
  return (
    <>
      <h2>{title}</h2>
      <p>status <b>{r.run.status}</b>, {r.run.steps} steps, schedule <code>{r.run.schedule}</code></p>
      <p>results: {Object.entries(r.run.values).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}</p>
      <p>violated in the run: {r.run.violated.join(', ') || 'none'}</p>
      {s === null ? null : <>
        <Threads threads={s.threads} changed={new Set()} />
        <div class="cards">{s.frames.items.map((c) => <Card key={c.pfn} c={c} changed={false} />)}</div>
      </>}
    </>
  );
}

// ---- explore: verdicts and outcomes -----------------------------------------------------------------------

function ExploreView({ run, p, update }: { run: RunSummary; p: Params; update: (u: Partial<Params>) => void }) {
  const [prog, setProg] = useState<ExploreProgress | null>(null);
  const [res, setRes] = useState<ExploreOutcome | null>(null);
  const [err, setErr] = useState<string | null>(null);
  const go = (): void => {
    setRes(null);
    setErr(null);
    exploreRun(p.scenario, run.run.profile, setProg).then(setRes, (e: unknown) => setErr(errorText(e)));
  };
  return (
    <main data-testid="explore">
      <p><button type="button" data-testid="explore-go" onClick={go}>Explore {p.scenario} on {run.run.profile}</button></p>
      {prog !== null ? <p data-testid="explore-progress">{prog.done ? 'done' : 'exploring'}: {prog.schedules} schedules, {prog.states} states{prog.violated.length > 0 ? `, violated so far: ${prog.violated.join(', ')}` : ''}</p> : null}
      {err !== null ? <pre class="error" role="alert">{err}</pre> : null}
      {res !== null ? (
        <table class="verdicts" data-testid="verdicts">
          <caption>{res.complete ? 'complete' : `bounded (${res.bounded.join(', ')})`}: {res.schedules} schedules, {res.states} states</caption>
          <thead><tr><th>invariant</th><th>verdict</th><th>counterexample</th></tr></thead>
          <tbody>
            {Object.entries(res.verdicts).map(([id, v]) => {
              const c = res.counterexamples[id];
              return (
                <tr key={id} class={`verdict-${v}`}>
                  <td>{id}</td><td>{v === 'never' ? '✓ never' : v === 'always' ? '✗ always' : '✗ sometimes'}</td>
                  <td>{c === undefined ? '—' : <button type="button" onClick={() => update({ schedule: c.schedule, view: 'run', step: c.steps })}>open ({c.steps} steps, {c.preemptions} preemptions)</button>}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      ) : null}
      {res !== null && res.outcomes !== undefined ? <Outcomes o={res.outcomes} /> : null}
    </main>
  );
}

/** The reachable outcomes of an exploration, as the explorer reports them (one row each). */
function Outcomes({ o }: { o: unknown }) {
  const rows: [string, unknown][] = Array.isArray(o) ? o.map((x, i) => [String(i + 1), x]) : o !== null && typeof o === 'object' ? Object.entries(o) : [['', o]];
  return (
    <section aria-label="outcomes" data-testid="outcomes">
      <h2>Outcomes <small>({rows.length})</small></h2>
      <table><tbody>{rows.map(([k, v]) => <tr key={k}><td>{k}</td><td><code>{JSON.stringify(v)}</code></td></tr>)}</tbody></table>
    </section>
  );
}

const root = document.getElementById('app') as HTMLElement;
root.textContent = '';
render(<App />, root);
