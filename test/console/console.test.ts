/**
 * The web console in a real browser: Debian's Chromium driven by
 * playwright-core, against a real `strata serve` on loopback with bearer
 * tokens, data loaded through the API. Each check is what a person would
 * look at: the table's cells against POST /sql's answer, pixels drawn in the
 * chart, the version an upload made, the count after a rollback, a version
 * arriving in the live view, a refused query's error code; and that every
 * view fits a phone and a desktop screen, can be driven from the keyboard,
 * and labels its controls. Screenshots of each view go to
 * test-results/console/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { tableFromIPC } from 'apache-arrow';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer } from '../helpers/serve.js';

const chromiumPath = process.env.STRATA_CHROMIUM ?? '/usr/bin/chromium';
const shots = path.resolve('test-results/console');
const admin = 'admin-token-0123456789abcdef';
const reader = 'read-token-0123456789abcdef';
const cities = ['Oslo', 'Lima', 'Perth', 'Kyōto', 'São Paulo'];

/** The text the console shows for a value of POST /sql's JSON answer. */
const shown = (v: unknown): string => (v === null ? 'NULL' : typeof v === 'object' ? JSON.stringify(v) : String(v));

function weatherRows(from: number, n: number): string {
  return Array.from({ length: n }, (_, j) => {
    const i = from + j;
    return JSON.stringify({ ts: new Date(Date.UTC(2026, 0, 1) + i * 3_600_000).toISOString(), city: cities[i % cities.length], temp: Math.round(Math.sin(i / 10) * 150) / 10, n: i % 7 === 0 ? null : i });
  }).join('\n') + '\n';
}

describe('the web console in Chromium', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  let browser: Browser;
  const call = async (method: string, url: string, body?: unknown, type = 'application/json', token = admin): Promise<Response> =>
    fetch(`${server.base}${url}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': type } : {}) }, ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}) });
  const sql = async (text: string): Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }> => {
    const r = await call('POST', '/sql', { sql: text });
    expect(r.status).toBe(200);
    return r.json() as Promise<{ columns: { name: string; type: string }[]; rows: unknown[][] }>;
  };
  const count = async (dataset: string): Promise<number> => Number((await sql(`select count(*) from ${dataset}`)).rows[0]![0]);

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: install Debian's chromium (apt-get install chromium) or set STRATA_CHROMIUM`);
    mkdirSync(shots, { recursive: true });
    server = await startServer(path.resolve('bin/strata'), { STRATA_TOKENS: `${admin}:admin,${reader}:read`, STRATA_COMPACTION_IDLE_MS: '0' });
    expect((await call('POST', '/datasets', { name: 'weather', schema: 'ts:timestamp,city:string,temp:float64,n:int64', partitionKey: 'city', sortKey: 'ts' })).status).toBe(201);
    expect((await call('POST', '/datasets/weather/rows', weatherRows(0, 300), 'application/x-ndjson')).status).toBe(200);
    expect((await call('POST', '/datasets/weather/rows', weatherRows(300, 200), 'application/x-ndjson')).status).toBe(200);
    expect((await call('POST', '/datasets', { name: 'big', schema: 'id:int64,label:string' })).status).toBe(201);
    const big = `id,label\n${Array.from({ length: 100_000 }, (_, i) => `${i},row ${i}`).join('\n')}\n`;
    expect((await call('POST', '/datasets/big/rows', big, 'text/csv')).status).toBe(200);
    browser = await chromium.launch({
      executablePath: chromiumPath,
      args: ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    server?.child.kill('SIGTERM');
  });

  /** A new tab at the console, signed in with a token; resolves once the role shows. */
  const open = async (token = admin, viewport = { width: 1280, height: 800 }): Promise<Page> => {
    const page = await browser.newPage({ viewport });
    const problems: string[] = [];
    page.on('pageerror', (e) => problems.push(e.message));
    await page.goto(server.base);
    await page.getByLabel('Token').fill(token);
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => page.locator('.role').textContent()).toMatch(/^role: /);
    (page as Page & { problems?: string[] }).problems = problems;
    return page;
  };
  const runQuery = async (page: Page, text: string): Promise<void> => {
    await page.goto(`${server.base}/#query`);
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.insertText(text);
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.query-view .status').textContent()).toMatch(/rows in|Failed/);
  };
  const shownRows = async (page: Page, n: number): Promise<string[][]> =>
    page.locator('.query-view .grid-body .grid-row').evaluateAll((rows, n) => rows
      .map((r) => ({ i: Number((r as HTMLElement).dataset.row), cells: [...r.children].map((c) => c.textContent ?? '') }))
      .sort((a, b) => a.i - b.i).slice(0, n).map((r) => r.cells), n);

  it('asks for a token, keeps it for the tab only, and shows its role', async () => {
    const page = await browser.newPage();
    await page.goto(server.base);
    await expect.poll(() => page.getByRole('dialog', { name: 'Sign in' }).isVisible()).toBe(true);
    await page.getByLabel('Token').fill('wrong-token-0123456789');
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => page.getByRole('dialog', { name: 'Sign in' }).textContent()).toContain('STRATA_ERR_UNAUTHORIZED');
    await page.getByLabel('Token').fill(reader);
    await page.getByRole('button', { name: 'Use token' }).click();
    await expect.poll(() => page.locator('.role').textContent()).toBe('role: read');
    expect(await page.evaluate(() => [sessionStorage.getItem('strata-token'), localStorage.getItem('strata-token')])).toEqual([reader, null]);
    // A reader sees no rollback, revert or create.
    await page.goto(`${server.base}/#history/weather`);
    await expect.poll(() => page.locator('.timeline li').count()).toBeGreaterThan(1);
    expect(await page.getByRole('button', { name: /Roll back|Revert version/ }).count()).toBe(0);
    await page.close();
  });

  it('runs a query with the keyboard; the table shows POST /sql\'s columns, types and cells, and the plan', async () => {
    const page = await open();
    const text = 'select ts, city, temp, n from weather where temp > 0 order by ts limit 500';
    await runQuery(page, text);
    const answer = await sql(text);
    expect(await page.locator('.query-view .status').textContent()).toContain(`${answer.rows.length} rows`);
    expect(await page.locator('.grid-head .name').allTextContents()).toEqual(answer.columns.map((c) => c.name));
    expect(await page.locator('.grid-head .type').allTextContents()).toEqual(answer.columns.map((c) => c.type));
    const cells = await shownRows(page, 15);
    expect(cells.length).toBe(15);
    expect(cells).toEqual(answer.rows.slice(0, 15).map((r) => r.map(shown)));
    const plan = await page.locator('.plan').textContent();
    expect(plan).toContain('rows read');
    expect(plan).toContain('weather @ version 2');
    await page.screenshot({ path: path.join(shots, 'query-1280.png'), fullPage: true });
    expect((page as Page & { problems?: string[] }).problems).toEqual([]);
    await page.close();
  });

  it('keeps 100,000 rows virtualised: few rows in the page, the last one reachable by scrolling', async () => {
    const page = await open();
    await runQuery(page, 'select id, label from big order by id');
    expect(await page.locator('.query-view .status').textContent()).toContain('100,000 rows');
    expect(await page.locator('.query-view .grid-body .grid-row').count()).toBeLessThan(100);
    await page.locator('.query-view .grid').evaluate((g) => { g.scrollTop = g.scrollHeight; });
    await expect.poll(async () => (await page.locator('.query-view .grid-row[data-row="99999"] .cell').allTextContents())).toEqual(['99999', 'row 99999']);
    expect(await page.locator('.query-view .grid-body .grid-row').count()).toBeLessThan(100);
    await page.close();
  });

  it('draws a time series, then bars, and turns the chart off', async () => {
    const page = await open();
    const inked = (): Promise<number> => page.locator('.chart canvas').evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 0; i < d.length; i += 4) if (d[i + 3]! > 0 && (d[i]! < 200 || d[i + 1]! < 200 || d[i + 2]! < 200)) n++;
      return n;
    });
    await runQuery(page, 'select ts, temp from weather order by ts');
    await expect.poll(() => page.locator('.chart-box .note').textContent()).toContain('time series: temp over ts');
    expect(await inked()).toBeGreaterThan(1000);
    await page.screenshot({ path: path.join(shots, 'chart-time-1280.png'), fullPage: true });
    await runQuery(page, 'select city, avg(temp) as mean from weather group by city order by city');
    await expect.poll(() => page.locator('.chart-box .note').textContent()).toContain('bars: mean by city');
    expect(await inked()).toBeGreaterThan(1000);
    await page.getByLabel('Off').check();
    expect(await page.locator('.chart canvas').count()).toBe(0);
    await page.close();
  });

  it('completes dataset and column names, remembers recent queries, and downloads the answer as CSV and Arrow', async () => {
    const page = await open();
    await page.goto(`${server.base}/#query`);
    await page.locator('.cm-content').click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Delete');
    await page.keyboard.type('select * from weat');
    await expect.poll(() => page.locator('.cm-tooltip-autocomplete').textContent()).toContain('weather');
    await page.keyboard.press('Escape');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('select weather.');
    await expect.poll(() => page.locator('.cm-tooltip-autocomplete').textContent()).toMatch(/city.*temp|temp.*city/);
    await page.keyboard.press('Escape');
    const first = 'select city, temp from weather order by ts limit 20';
    const second = 'select count(*) as c from big';
    await runQuery(page, first);
    await runQuery(page, second);
    const recent = page.getByLabel('Recent queries');
    expect(await recent.locator('option').allTextContents()).toEqual(['Recent queries…', second, first]);
    await recent.selectOption(first);
    await expect.poll(() => page.locator('.cm-content').textContent()).toBe(first);
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.query-view .status').textContent()).toMatch(/^20 rows in/);
    const saved = async (button: string): Promise<Buffer> => {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: button }).click()]);
      return readFileSync((await download.path())!);
    };
    const csv = await (await call('POST', '/sql', { sql: first }, 'application/json')).json() as { rows: unknown[][] };
    expect((await saved('Download CSV')).toString()).toBe(`city,temp\n${csv.rows.map((r) => r.join(',')).join('\n')}\n`);
    const table = tableFromIPC(await saved('Download Arrow'));
    expect(table.numRows).toBe(20);
    expect(table.getChild('city')!.toArray()).toEqual(csv.rows.map((r) => r[0]));
    await page.close();
  });

  it('shows a refused query\'s error code', async () => {
    const page = await open();
    await runQuery(page, 'select * from no_such_dataset');
    const code = ((await (await call('POST', '/sql', { sql: 'select * from no_such_dataset' })).json()) as { error: { code: string } }).error.code;
    expect(code).toMatch(/^STRATA_ERR_/);
    expect(await page.locator('.query-view .errors').textContent()).toContain(code);
    await runQuery(page, 'copy weather to \'/tmp/x.csv\'');
    expect(await page.locator('.query-view .errors').textContent()).toMatch(/STRATA_ERR_[A-Z_]+: /);
    await page.close();
  });

  it('uploads a file with a progress bar and sees the new version; the same file again is stored once', async () => {
    const page = await open();
    await page.goto(`${server.base}/#datasets/weather`);
    await expect.poll(() => page.locator('.dataset-detail h2').textContent()).toBe('weather');
    await page.waitForLoadState('networkidle');
    const before = await count('weather');
    const file = { name: 'more.ndjson', mimeType: 'application/x-ndjson', buffer: Buffer.from(weatherRows(1000, 250)) };
    await page.getByLabel('CSV, NDJSON or Arrow file').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect.poll(() => page.locator('form.upload .status').textContent()).toMatch(/Stored 250 rows as version \d+/);
    expect(await page.locator('form.upload progress').evaluate((p: HTMLProgressElement) => p.value)).toBe(1);
    const version = Number(/version (\d+)/.exec((await page.locator('form.upload .status').textContent())!)![1]);
    expect(await count('weather')).toBe(before + 250);
    await page.screenshot({ path: path.join(shots, 'datasets-1280.png'), fullPage: true });
    // A retried upload of the same bytes: the version that holds them, nothing added.
    await page.getByLabel('CSV, NDJSON or Arrow file').setInputFiles(file);
    await page.getByRole('button', { name: 'Upload', exact: true }).click();
    await expect.poll(() => page.locator('form.upload .status').textContent()).toBe(`Already stored: more.ndjson is in version ${version}; nothing was added.`);
    expect(await count('weather')).toBe(before + 250);
    await page.goto(`${server.base}/#history/weather`);
    await expect.poll(() => page.locator('.timeline li').first().getAttribute('data-version')).toBe(String(version));
    await page.close();
  });

  it('creates a dataset from the form and shows its schema, keys and compaction state', async () => {
    const page = await open();
    await page.goto(`${server.base}/#datasets`);
    await page.getByLabel('Name', { exact: true }).fill('sensors');
    await page.getByLabel('Columns (name:type, …)').fill('ts:timestamp,sensor:string,value:float64');
    await page.getByLabel('Partition key').fill('sensor');
    await page.getByLabel('Sort key').fill('ts');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => page.locator('form.create .status').textContent()).toBe('Created sensors.');
    const info = await (await call('GET', '/datasets/sensors')).json() as { schema: { columns: { name: string; type: string }[]; partitionKey: string[]; sortKey: string[] } };
    expect(info.schema.partitionKey).toEqual(['sensor']);
    await expect.poll(() => page.locator('.dataset-detail h2').textContent()).toBe('sensors');
    expect(await page.locator('.dataset-detail table.schema tbody tr').evaluateAll((rows) => rows.map((r) => [...r.children].map((c) => c.textContent)))).toEqual(info.schema.columns.map((c) => [c.name, c.type]));
    const facts = await page.locator('.dataset-detail dl').textContent();
    expect(facts).toContain('partition keysensor');
    expect(facts).toContain('sort keyts');
    expect(facts).toContain('compactioncompacted');
    // A bad schema is refused with its code, and nothing is made.
    await page.getByLabel('Name', { exact: true }).fill('broken');
    await page.getByLabel('Columns (name:type, …)').fill('ts:when');
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await expect.poll(() => page.locator('form.create .errors').textContent()).toMatch(/^STRATA_ERR_[A-Z_]+: /);
    expect((await call('GET', '/datasets/broken')).status).toBe(404);
    await page.close();
  });

  it('rolls back from the timeline behind a confirm, and the count changes', async () => {
    const page = await open();
    await page.goto(`${server.base}/#history/weather`);
    await expect.poll(() => page.locator('.timeline li').count()).toBeGreaterThan(2);
    const atOne = Number((await sql('select count(*) from weather AT (VERSION => 1)')).rows[0]![0]);
    const before = await count('weather');
    expect(atOne).toBeLessThan(before);
    await page.getByRole('button', { name: 'Roll back weather to version 1' }).click();
    // Cancel first: nothing happens.
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
    expect(await count('weather')).toBe(before);
    await page.getByRole('button', { name: 'Roll back weather to version 1' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Roll back' }).click();
    await expect.poll(() => page.locator('.history-view .status').textContent()).toBe('Rolled back to version 1.');
    expect(await count('weather')).toBe(atOne);
    await expect.poll(() => page.locator('.timeline li').first().textContent()).toContain('rolled back to version 1');
    await page.screenshot({ path: path.join(shots, 'history-1280.png'), fullPage: true });
    // The count in the console follows.
    await runQuery(page, 'select count(*) as c from weather');
    expect((await shownRows(page, 1))[0]).toEqual([String(atOne)]);
    await page.close();
  });

  it('reverts and tags versions from the timeline, and puts a version\'s AT clause into the editor', async () => {
    const page = await open();
    const r = await call('POST', '/datasets/weather/rows', weatherRows(8000, 30), 'application/x-ndjson');
    const { version } = (await r.json()) as { version: number };
    const before = await count('weather');
    await page.goto(`${server.base}/#history/weather`);
    await page.getByRole('button', { name: `Revert version ${version} of weather` }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revert' }).click();
    await expect.poll(() => page.locator('.history-view .status').textContent()).toBe(`Reverted version ${version}.`);
    expect(await count('weather')).toBe(before - 30);
    await expect.poll(() => page.locator('.timeline li').first().textContent()).toContain(`reverted version ${version}`);
    // Tag a version from its own dialog; a refused name shows its code.
    await page.getByRole('button', { name: 'Tag version 1 of weather' }).click();
    await page.getByRole('dialog').getByLabel('Tag name').fill('first-load');
    await page.getByRole('dialog').getByRole('button', { name: 'Tag' }).click();
    await expect.poll(() => page.locator('.history-view .status').textContent()).toBe('Tagged version 1 as first-load.');
    expect(await (await call('GET', '/datasets/weather/tags')).json()).toEqual([expect.objectContaining({ name: 'first-load', version: 1 })]);
    await expect.poll(() => page.locator('.timeline li[data-version="1"] .tag').textContent()).toBe('#first-load');
    await page.getByRole('button', { name: 'Tag version 2 of weather' }).click();
    await page.getByRole('dialog').getByLabel('Tag name').fill('first-load');
    await page.getByRole('dialog').getByRole('button', { name: 'Tag' }).click();
    await expect.poll(() => page.locator('.history-view .errors').textContent()).toMatch(/^STRATA_ERR_[A-Z_]+: /);
    await page.getByRole('button', { name: 'Insert AT (VERSION => 1) into the editor' }).click();
    expect(await page.evaluate(() => location.hash)).toBe('#query');
    await expect.poll(() => page.locator('.cm-content').textContent()).toContain(' AT (VERSION => 1)');
    await page.close();
  });

  it('shows a version arriving in the live view and re-runs its query', async () => {
    const page = await open();
    await page.goto(`${server.base}/#live/weather`);
    await page.getByLabel('Query to run again on each new version').fill('select count(*) as c from weather');
    await page.getByRole('button', { name: 'Follow' }).click();
    await expect.poll(() => page.locator('.live-view .status').textContent()).toContain('Following weather');
    await new Promise((r) => setTimeout(r, 300));
    const r = await call('POST', '/datasets/weather/rows', weatherRows(5000, 40), 'application/x-ndjson');
    const { version } = (await r.json()) as { version: number };
    await expect.poll(() => page.locator(`.feed li[data-version="${version}"]`).textContent()).toContain('+40');
    const total = await count('weather');
    await expect.poll(async () => (await page.locator('.live-view .grid-body .cell').allTextContents())).toEqual([String(total)]);
    // A rollback shows what it withdrew.
    await call('POST', '/datasets/weather/rollback', { to: version - 1 });
    await expect.poll(() => page.locator('.feed li').first().textContent()).toContain(`withdrew versions ${version}`);
    await page.screenshot({ path: path.join(shots, 'live-1280.png'), fullPage: true });
    // A feed that fails says why, with the code.
    await page.locator('#live-dataset').selectOption('sensors'); // a feed follows the dataset picked
    await expect.poll(() => page.locator('.live-view .status').textContent()).toContain('Following sensors');
    await new Promise((r) => setTimeout(r, 300));
    expect((await call('DELETE', '/datasets/sensors')).status).toBe(204);
    await expect.poll(() => page.locator('.live-view .errors').textContent(), { timeout: 15_000 }).toMatch(/^STRATA_ERR_[A-Z_]+: /);
    await page.close();
  });

  it('runs, reads and opens a version from the keyboard alone', async () => {
    const page = await open();
    await page.goto(`${server.base}/#query`);
    // Tab from the top of the page to the editor.
    let tabs = 0;
    while (!(await page.evaluate(() => document.activeElement?.classList.contains('cm-content'))) && tabs++ < 15) await page.keyboard.press('Tab');
    expect(tabs).toBeLessThan(15);
    await page.keyboard.press('Control+A');
    await page.keyboard.insertText('select city, count(*) as c from weather group by city order by city');
    await page.keyboard.press('Control+Enter');
    await expect.poll(() => page.locator('.query-view .status').textContent()).toMatch(/5 rows in/);
    // The timeline's buttons are reachable and work with Enter.
    await page.goto(`${server.base}/#history/weather`);
    await expect.poll(() => page.locator('.timeline li').count()).toBeGreaterThan(2);
    tabs = 0;
    while (!(await page.evaluate(() => document.activeElement?.getAttribute('aria-label') === 'Query weather at version 1')) && tabs++ < 200) await page.keyboard.press('Tab');
    expect(tabs).toBeLessThan(200);
    await page.keyboard.press('Enter');
    await expect.poll(() => page.locator('.query-view .status').textContent()).toMatch(/rows in/);
    expect(await page.evaluate(() => location.hash)).toBe('#query');
    expect(Number((await page.locator('.query-view .status').textContent())!.replace(/,/g, '').match(/^(\d+) rows/)![1])).toBe(300);
    await page.close();
  });

  for (const viewport of [{ width: 1280, height: 800 }, { width: 390, height: 844 }]) {
    it(`fits ${viewport.width}×${viewport.height} without scrolling the page sideways, and labels every control`, async () => {
      const page = await open(admin, viewport);
      await runQuery(page, 'select * from weather order by ts limit 200');
      for (const view of ['query', 'datasets/weather', 'history/weather', 'live/weather']) {
        await page.goto(`${server.base}/#${view}`);
        if (view.startsWith('datasets')) await page.getByRole('button', { name: 'Show dataset weather' }).click();
        await page.waitForTimeout(300);
        const [scrollWidth, width] = await page.evaluate(() => [document.documentElement.scrollWidth, window.innerWidth]);
        expect(scrollWidth, `#${view} at ${viewport.width}px`).toBeLessThanOrEqual(width);
        const unlabelled = await page.evaluate(() => {
          const named = (el: Element): boolean => {
            if (el.getAttribute('aria-label')?.trim()) return true;
            const by = el.getAttribute('aria-labelledby');
            if (by && document.getElementById(by)?.textContent?.trim()) return true;
            if (el.id && document.querySelector(`label[for="${el.id}"]`)?.textContent?.trim()) return true;
            if (el.closest('label')?.textContent?.trim()) return true;
            return el.tagName !== 'INPUT' && el.tagName !== 'SELECT' && el.tagName !== 'TEXTAREA' && !!el.textContent?.trim();
          };
          return [...document.querySelectorAll('button, input, select, textarea, a[href], [contenteditable="true"]')]
            .filter((el) => (el as HTMLElement).offsetParent !== null || el.getClientRects().length > 0)
            .filter((el) => !named(el)).map((el) => el.outerHTML.slice(0, 120));
        });
        expect(unlabelled, `#${view}`).toEqual([]);
        await page.screenshot({ path: path.join(shots, `${view.split('/')[0]}-${viewport.width}.png`), fullPage: true });
      }
      await page.close();
    });
  }
});
