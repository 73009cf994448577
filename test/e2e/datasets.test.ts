/**
 * Curation end to end, in Debian's Chromium against browser mode: create a dataset, generate pairs from a small LM
 * trained for a few seconds and saved with saveLm (fixture-lm.ts; sampled in a worker process), label ten pairs by keyboard — including an undo and an edit —,
 * browse them, export as PolicyLab rows, re-import the file into a new dataset: identical rows. Screenshots go to
 * test-results/datasets-*.png.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetDetail, DatasetInfo } from '../../core/api/datasets.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { lmArtifacts, loadLm } from '../../core/lm/files.js';
import { saveCheckpoint } from '../../core/store/checkpoints.js';
import { checksummer } from '../../core/store/checksum.js';
import { RunStore } from '../../core/store/db.js';
import { trainFixtureLm } from './fixture-lm.js';
import { RESULTS_DIR, screenshot, startE2eServer, type E2eServer } from './helpers.js';

const LONG = { timeout: 60_000, interval: 100 };
const chromiumPath = findChromium();

async function call<T>(app: E2eServer, channel: string, payload?: unknown): Promise<T> {
  const r = await app.backend.invoke(channel, payload);
  if (!r.ok) throw new Error(`${channel}: ${r.error.message}`);
  return r.value as T;
}

describe.skipIf(!chromiumPath)(`dataset curation in Chromium${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  let lmDir = '';
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    app = await startE2eServer(async (home) => {
      lmDir = join(home, 'fixture-lm');
      await trainFixtureLm(lmDir);
      // An SFT run's checkpoint holding that LM as its `lm` model (as core/algos/lm saves it).
      const store = await RunStore.open(home);
      const run = await store.createRun({ algo: 'sft', env: 'text', config: {}, seed: 1, name: 'fixture sft' });
      const { engine, tokenizer } = await loadLm(lmDir, await checksummer());
      await saveCheckpoint(store.runDir(run.id), { step: 40, models: { lm: lmArtifacts(engine, tokenizer) }, state: {} }, undefined, { fsync: false });
      await store.updateRun(run.id, { status: 'finished' });
      await store.close();
    });
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    const context = await browser.newContext({ viewport: { width: 1400, height: 900 }, acceptDownloads: true });
    page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  const progress = () => page.getByTestId('label-progress').textContent();

  it('labels ten pairs by keyboard with an undo and an edit, exports, re-imports: identical rows', async () => {
    await page.goto(app.server.url);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await expect.poll(() => page.getByTestId('datasets-empty').isVisible(), LONG).toBe(true);
    await page.getByTestId('dataset-new-name').fill('e2e prefs');
    await page.getByTestId('dataset-create').click();
    await expect.poll(() => page.getByTestId('generate-form').isVisible(), LONG).toBe(true);

    await page.getByTestId('generate-model-kind').selectOption('lm');
    await page.getByTestId('generate-lm-dir').fill(lmDir);
    await page.getByTestId('generate-count').fill('12');
    await page.locator('input[name="max-new-tokens"]').fill('16');
    await page.getByTestId('generate').click();
    // The worker's progress shows while it samples (from the moment of the click), and goes when it is done.
    await expect.poll(() => page.getByTestId('generate-progress').textContent(), LONG).toMatch(/\d+ \/ 12 prompts · \d+ s/);
    await screenshot(page, 'datasets-00-generating');
    await expect.poll(() => page.getByTestId('pair').isVisible(), LONG).toBe(true);
    await expect.poll(() => page.getByTestId('generate-progress').count(), LONG).toBe(0);
    await expect.poll(progress, LONG).toBe('0 labelled · 12 waiting');
    await page.getByTestId('labeller').fill('ann');
    await page.getByTestId('pair-prompt').click();
    await screenshot(page, 'datasets-01-pair');

    const press = async (key: string, expected: string) => {
      await page.keyboard.press(key);
      await expect.poll(progress, LONG).toBe(expected);
    };
    await press('1', '1 labelled · 11 waiting');
    await press('2', '2 labelled · 10 waiting');
    await press('0', '3 labelled · 9 waiting');
    await press('s', '4 labelled · 8 waiting');
    const fifth = await page.getByTestId('pair').getAttribute('data-pair');
    await press('1', '5 labelled · 7 waiting');
    await press('u', '4 labelled · 8 waiting');
    expect(await page.getByTestId('pair').getAttribute('data-pair')).toBe(fifth);
    await page.keyboard.press('e');
    await expect.poll(() => page.getByTestId('edit-a').isVisible(), LONG).toBe(true);
    await page.getByTestId('edit-a').fill(' 42, as edited by a person');
    await page.keyboard.press('Escape');
    await expect.poll(() => page.getByTestId('edit-a').isVisible()).toBe(false);
    await page.keyboard.press('?');
    await expect.poll(() => page.getByTestId('label-help').isVisible()).toBe(true);
    await screenshot(page, 'datasets-02-edited-help');
    await page.keyboard.press('?');
    await press('1', '5 labelled · 7 waiting');
    for (const [i, key] of ['2', '1', '1', '2', '0'].entries()) await press(key, `${6 + i} labelled · ${6 - i} waiting`);
    await expect.poll(() => page.getByTestId('label-rate').textContent()).toMatch(/labels\/min this session/);
    await screenshot(page, 'datasets-03-labelled');

    const list = await call<DatasetInfo[]>(app, 'datasets:list');
    const id = list[0]!.id;
    const original = (await call<DatasetDetail>(app, 'datasets:get', { id, limit: 500 })).rows;
    expect(original).toHaveLength(10);
    expect(original.map((r) => r.label)).toEqual(['a', 'b', 'tie', 'skip', 'a', 'b', 'a', 'a', 'b', 'tie']);
    expect(original[4]).toMatchObject({ id: fifth, edited: true, responseA: ' 42, as edited by a person', chosen: ' 42, as edited by a person', labeller: 'ann' });
    expect(original.every((r) => r.samplingParams !== null && typeof r.samplingParams.swapped === 'boolean' && r.shownAt !== null)).toBe(true);

    await page.getByTestId('dataset-tab-browse').click();
    await expect.poll(() => page.getByTestId('browse-count').textContent(), LONG).toBe('10 of 10 rows');
    await page.getByTestId('browse-search').fill('edited by a person');
    await expect.poll(() => page.getByTestId('browse-count').textContent(), LONG).toBe('1 of 10 rows');
    await screenshot(page, 'datasets-04-browse');

    await page.getByTestId('dataset-tab-transfer').click();
    await page.getByTestId('export-format').selectOption('policylab');
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export').click()]);
    mkdirSync(RESULTS_DIR, { recursive: true });
    const file = join(RESULTS_DIR, 'datasets-export.policylab.jsonl');
    await download.saveAs(file);
    expect(download.suggestedFilename()).toBe('e2e-prefs.policylab.jsonl');
    expect(readFileSync(file, 'utf8').trimEnd().split('\n')).toHaveLength(10);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await page.getByTestId('dataset-new-name').fill('re-imported');
    await page.getByTestId('dataset-create').click();
    await expect.poll(() => page.getByTestId('generate-form').isVisible(), LONG).toBe(true);
    await page.getByTestId('dataset-tab-transfer').click();
    await page.getByTestId('import-file').setInputFiles(file);
    await expect.poll(() => page.getByTestId('transfer-message').textContent(), LONG).toBe('Imported 10 rows (policylab); the dataset has 10 rows.');
    await screenshot(page, 'datasets-05-imported');
    const copyId = (await call<DatasetInfo[]>(app, 'datasets:list')).find((d) => d.name === 're-imported')!.id;
    expect((await call<DatasetDetail>(app, 'datasets:get', { id: copyId, limit: 500 })).rows).toEqual(original);

    // A malformed file: the lines and reasons are shown, nothing is stored.
    const bad = '{"prompt": "p", "chosen": "c", "rejected": "r"}\n{"prompt": "p", "chosen": 3, "rejected": "r"}\n{oops\n';
    await page.getByTestId('import-file').setInputFiles({ name: 'bad.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(bad) });
    await expect.poll(() => page.getByTestId('transfer-error').textContent(), LONG).toMatch(/nothing was stored \(2 errors\):\nline 2: "chosen" must be a string, got number\nline 3: bad JSON/);
    await screenshot(page, 'datasets-06-import-refused');
    expect((await call<DatasetDetail>(app, 'datasets:get', { id: copyId })).info.size).toBe(10);

    // A second labeller on the same pairs (A/B order re-drawn): Cohen's κ appears.
    await page.getByTestId('dataset-tab-label').click();
    await page.locator('select[aria-label="Labeller to overlap with"]').selectOption('ann');
    await page.getByRole('button', { name: /Queue 50 of their pairs/ }).click();
    await expect.poll(progress, LONG).toBe('10 labelled · 10 waiting');
    await page.getByTestId('labeller').fill('bob');
    await page.getByTestId('pair-prompt').click();
    for (const [i, key] of ['1', '2', '1', '2'].entries()) await press(key, `${11 + i} labelled · ${9 - i} waiting`);
    await expect.poll(() => page.getByTestId('kappa').textContent(), LONG).toMatch(/^-?\d\.\d\d$/);
    await screenshot(page, 'datasets-07-agreement');

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await expect.poll(() => page.getByTestId('datasets-list').locator('tr[data-dataset]').count(), LONG).toBe(2);
    await screenshot(page, 'datasets-08-list');
    expect(consoleErrors, consoleErrors.join('\n')).toEqual([]);
  });

  it("picks an LM run's checkpoint from lists and generates from it", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Datasets', exact: true }).click();
    await page.getByRole('link', { name: 'e2e prefs' }).click();
    await page.locator('summary', { hasText: 'Generate pairs' }).click();
    await page.getByTestId('generate-model-kind').selectOption('run');
    await expect.poll(() => page.locator('select[name="run-id"] option').allTextContents(), LONG).toEqual(['fixture sft (sft)']);
    await expect.poll(() => page.locator('select[name="step"] option').allTextContents(), LONG).toEqual(['step 40']);
    await page.getByTestId('generate-count').fill('3');
    await page.locator('input[name="seed"]').fill('7');
    await page.getByTestId('generate').click();
    await expect.poll(progress, LONG).toBe('10 labelled · 5 waiting');
    await expect.poll(() => page.getByTestId('dataset-summary').textContent(), LONG).toMatch(/10 rows · A 4 · B 3 · tie 2 · skip 1 · 5 waiting/);
    await screenshot(page, 'datasets-09-from-run');
    const id = (await call<DatasetInfo[]>(app, 'datasets:list')).find((d) => d.name === 'e2e prefs')!.id;
    const pending = (await call<DatasetDetail>(app, 'datasets:get', { id })).pending;
    expect(pending.slice(2).map((p) => [p.modelRunId !== null, p.checkpointStep])).toEqual([[true, 40], [true, 40], [true, 40]]);
  });
});
