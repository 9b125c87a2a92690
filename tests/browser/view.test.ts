/**
 * The web visualizer in a real browser: Debian's chromium (/usr/bin/chromium, or
 * $PINLAB_CHROMIUM) driven by playwright-core (its own browser download is never used).
 *
 * It loads the seed race counterexample, steps with the arrow keys to the step where
 * the fs-DAX page is long-term pinned, checks the page card and the swim lane, reloads
 * the URL and checks the same view comes back, and checks the step diff and the
 * two-profile comparison. Then a 256 MiB guest mapping (65,536 frames, 4 KiB pages): it
 * opens the middle step, steps forward and back with the arrow keys and pages through the
 * frames, with never more than one page of frame cards in the DOM (issue 17: the page
 * stays usable on a large run). Then a 1 GiB guest (262,144 frames, no frame histories, as
 * a 16 GiB guest runs): it steps through a stretch of the mapping with the arrow keys and
 * jumps to the last and first steps with End and Home, the held frames paginated at every
 * step (one page of cards; at the end every guest page is held, by VFIO).
 * Screenshots go to artifacts/browser/ (CI keeps that folder).
 *
 * Without chromium the suite is skipped with a message, except under CI (CI=true),
 * where a missing browser is a failure: .ci/run installs it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { serve } from '../../src/serve/server.js';
import type { Running } from '../../src/serve/server.js';
import { largeGuestScenario } from '../support/large-guest.js';

const CHROMIUM = process.env.PINLAB_CHROMIUM ?? '/usr/bin/chromium';
const HAVE = existsSync(CHROMIUM);
const ROOT = join(import.meta.dirname, '..', '..');
const SHOTS = join(ROOT, 'artifacts', 'browser');
const SEED = 'seed/longterm-locked-race.yaml';
const HYPO = 'v5.6+hypo-longterm-honours-locked';
/** The seed counterexample: T0 long-term pins the fs-DAX page (pfn 1310721) in step 26. */
const RACE = 'T0*16 T1*4 ...';
const DAX_PFN = 1310721;
const PIN_STEP = 26;
/** The mid-sized run: a guest of GUEST_MIB MiB mapped for DMA, served as `guest.yaml`. */
const GUEST_MIB = 256;
/** A guest above session.ts HISTORY_MAX_BYTES (no frame histories: the path a 16 GiB guest takes), served as `guest-big.yaml`. */
const BIG_MIB = 1024;

if (!HAVE) {
  if (process.env.CI === 'true') throw new Error(`browser tests: ${CHROMIUM} is missing under CI (.ci/run installs Debian's chromium)`);
  console.warn(`browser tests SKIPPED: no chromium at ${CHROMIUM} (apt-get install -y chromium, or set PINLAB_CHROMIUM)`);
}

describe.skipIf(!HAVE)('pinlab view in chromium', () => {
  let srv: Running;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    if (!existsSync(join(ROOT, 'web', 'dist', 'index.html'))) execFileSync(process.execPath, [join(ROOT, 'web', 'build.mjs')]);
    mkdirSync(SHOTS, { recursive: true });
    const guest = join(mkdtempSync(join(tmpdir(), 'pinlab-browser-')), 'guest.yaml');
    writeFileSync(guest, largeGuestScenario(GUEST_MIB));
    const big = join(mkdtempSync(join(tmpdir(), 'pinlab-browser-')), 'guest-big.yaml');
    // MAP_DMA of a lone thread takes a few steps (whole batches at once): 24 one-page mmaps after
    // it make a run with steps to step through, VFIO holding the guest at each.
    const maps = Array.from({ length: 24 }, () => '      - mmap: { length: 4096, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS }\n').join('');
    writeFileSync(big, largeGuestScenario(BIG_MIB, { moreSteps: maps }));
    srv = await serve({ port: 0, files: new Map([['guest.yaml', guest], ['guest-big.yaml', big]]) });
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (e) => {
      throw e;
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await srv?.close();
  }, 60_000);

  const stepShown = async (): Promise<number> => Number(await page.getByTestId('step').textContent());

  it('steps with the arrow keys to the step that pins the fs-DAX page; card and swim lane show it', async () => {
    const q = new URLSearchParams({ scenario: SEED, profile: HYPO, schedule: RACE });
    await page.goto(`${srv.url}?${q.toString()}`);
    await page.getByTestId('lanes').waitFor();
    await expect.poll(stepShown, { timeout: 20_000 }).toBe(0);
    for (let i = 0; i < PIN_STEP; i++) {
      await page.keyboard.press('ArrowRight');
      await expect.poll(stepShown, { timeout: 20_000 }).toBe(i + 1);
    }
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowLeft');
    await expect.poll(stepShown, { timeout: 20_000 }).toBe(PIN_STEP);
    await page.getByTestId('frame-filter').selectOption('fsdax');
    const card = page.getByTestId(`frame-${DAX_PFN}`);
    await card.waitFor();
    const text = await card.textContent();
    expect(text).toContain('fsdax');
    expect(text).toContain(`long-term pin by T0 result 'r' since step ${PIN_STEP}`);
    expect(text).toContain('changed');
    // The swim lane: the current cell is T0's step 26, and the step line names the pinner.
    const cur = page.locator('[data-testid=lanes] g.cell.current');
    expect(await cur.getAttribute('data-step')).toBe(String(PIN_STEP));
    expect(await cur.getAttribute('data-thread')).toBe('0');
    expect(await page.getByTestId('step-info').textContent()).toContain('pinner');
    expect(await page.getByTestId('findings').textContent()).toContain('no-longterm-pin-on-fsdax');
    await page.screenshot({ path: join(SHOTS, 'seed-race-step26.png') });
    await card.screenshot({ path: join(SHOTS, 'seed-race-dax-card.png') });
  });

  it('the URL reproduces the view after a reload', async () => {
    const url = new URL(page.url());
    expect(url.searchParams.get('step')).toBe(String(PIN_STEP));
    expect(url.searchParams.get('profile')).toBe(HYPO);
    expect(url.searchParams.get('frames')).toBe('fsdax');
    await page.reload();
    await page.getByTestId(`frame-${DAX_PFN}`).waitFor();
    await expect.poll(stepShown, { timeout: 20_000 }).toBe(PIN_STEP);
    expect(await page.getByTestId(`frame-${DAX_PFN}`).textContent()).toContain(`since step ${PIN_STEP}`);
  });

  it('shows the diff of the step and of two profiles side by side', async () => {
    const d = page.getByTestId(`diff-frame-${DAX_PFN}`);
    await d.waitFor();
    expect(await d.textContent()).toMatch(/refcount 1 → 2/);
    await page.getByTestId('tab-compare').click();
    await page.getByTestId('profileB').fill('v5.6');
    await page.getByTestId('profileB').press('Enter');
    await page.getByTestId('compare-b').waitFor();
    await expect.poll(async () => page.getByTestId('compare-b').textContent(), { timeout: 30_000 }).toContain('r=-22');
    expect(await page.getByTestId('compare-a').textContent()).toContain('r=4');
    const diff = page.getByTestId('diff');
    await diff.waitFor();
    expect(await diff.textContent()).toContain('Differences A → B');
    expect(new URL(page.url()).searchParams.get('profileB')).toBe('v5.6');
    await page.screenshot({ path: join(SHOTS, 'seed-race-compare.png'), fullPage: true });
  });

  it(`stays usable on a ${GUEST_MIB} MiB guest mapping: steps back and forth, pages frames, one page of cards in the DOM`, async () => {
    const runs = await fetch(new URL('/api/v1/runs', srv.url), { method: 'POST', body: JSON.stringify({ scenario: 'guest.yaml', profile: 'v6.12' }) });
    const steps = ((await runs.json()) as { run: { steps: number } }).run.steps;
    const mid = steps >> 1;
    const q = new URLSearchParams({ scenario: 'guest.yaml', profile: 'v6.12', step: String(mid), frames: 'all' });
    await page.goto(`${srv.url}?${q.toString()}`);
    await page.getByTestId('lanes').waitFor({ timeout: 120_000 });
    await expect.poll(stepShown, { timeout: 120_000 }).toBe(mid);
    const cards = page.locator('[data-testid=frames] article.card');
    try {
      await expect.poll(async () => cards.count(), { timeout: 180_000 }).toBeGreaterThan(0);
    } catch (e) {
      await page.screenshot({ path: join(SHOTS, 'guest-256m-no-cards.png'), fullPage: true });
      throw e;
    }
    for (const [key, want] of [['ArrowRight', mid + 1], ['ArrowLeft', mid], ['ArrowLeft', mid - 1]] as const) {
      await page.keyboard.press(key);
      await expect.poll(stepShown, { timeout: 60_000 }).toBe(want);
      await expect.poll(async () => page.getByTestId('frames').textContent(), { timeout: 60_000 }).toMatch(/allocated folios; page 1 of \d+/);
    }
    const header = (await page.getByTestId('frames').textContent()) ?? '';
    // Every page of the guest is populated: at least GUEST_MIB * 256 folios, 48 cards a page.
    const allocated = Number(/(\d+) allocated folios/.exec(header)?.[1]);
    expect(allocated).toBeGreaterThanOrEqual(GUEST_MIB * 256);
    await page.getByRole('button', { name: 'next page' }).click();
    await expect.poll(async () => page.getByTestId('frames').textContent(), { timeout: 60_000 }).toContain('page 2 of');
    expect(await cards.count()).toBeLessThanOrEqual(48);
    expect(await page.locator('article.card').count()).toBeLessThanOrEqual(48);
    await page.screenshot({ path: join(SHOTS, 'guest-256m-mid.png') });
  }, 600_000);

  it(`steps through a ${BIG_MIB} MiB guest mapping with the keyboard, the held frames paginated at every step`, async () => {
    const runs = await fetch(new URL('/api/v1/runs', srv.url), { method: 'POST', body: JSON.stringify({ scenario: 'guest-big.yaml', profile: 'v6.12' }) });
    const steps = ((await runs.json()) as { run: { steps: number } }).run.steps;
    const from = Math.round(steps * 0.3);
    await page.goto(`${srv.url}?${new URLSearchParams({ scenario: 'guest-big.yaml', profile: 'v6.12', step: String(from) }).toString()}`);
    await page.getByTestId('lanes').waitFor({ timeout: 300_000 });
    await expect.poll(stepShown, { timeout: 300_000 }).toBe(from);
    const header = async (): Promise<string> => (await page.getByTestId('frames').textContent()) ?? '';
    const paginated = /(\d+) held folios; page 1 of (\d+)/;
    const keys: readonly (readonly [string, number])[] = [
      ...Array.from({ length: 12 }, (_, k) => ['ArrowRight', from + k + 1] as const),
      ['ArrowLeft', from + 11], ['ArrowLeft', from + 10], ['End', steps], ['Home', 0], ['End', steps],
    ];
    for (const [key, want] of keys) {
      await page.keyboard.press(key);
      await expect.poll(stepShown, { timeout: 60_000 }).toBe(want);
      await expect.poll(header, { timeout: 60_000 }).toMatch(paginated);
      expect(await page.locator('article.card').count()).toBeLessThanOrEqual(48);
    }
    // At the last step VFIO holds every page of the guest: at least BIG_MIB * 256 held folios, 48 cards a page.
    const m = paginated.exec(await header());
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(BIG_MIB * 256);
    expect(Number(m?.[2])).toBeGreaterThanOrEqual(Math.ceil((BIG_MIB * 256) / 48));
    expect(new URL(page.url()).searchParams.get('step')).toBe(String(steps));
    await page.screenshot({ path: join(SHOTS, 'guest-1g-last.png') });
  }, 900_000);
});
