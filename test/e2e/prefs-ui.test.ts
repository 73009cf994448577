/**
 * Preferences in the app (issue 13), in Debian's Chromium against browser mode: the launch form's pickers (dataset,
 * init run + checkpoint, reward model incl. the oracle; env 'text' chosen by the algorithm), a DPO and an RLHF run
 * launched from it on an oracle-labelled dataset sampled from the sentiment SFT fixture, their reward–KL frontier,
 * and the sample viewer's comparison (prefs:compare in a worker) down to the oracle win-rate table; then "Generate
 * pairs from it" opens the pair generator on that policy. Screenshots: test-results/prefs-*.png.
 */
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DatasetInfo, RunInfo } from '../../core/api/contract.js';
import { CHROMIUM_ARGS, findChromium } from '../helpers/chromium.js';
import { runStatus, screenshot, startE2eServer, type E2eServer } from './helpers.js';
import { apiCall, seedSftRun } from './prefs-seed.js';

const LONG = { timeout: 240_000, interval: 250 };
const chromiumPath = findChromium();

describe.skipIf(!chromiumPath)(`preferences in Chromium${chromiumPath ? '' : ' (skipped: no Chromium)'}`, () => {
  let app: E2eServer;
  let browser: Browser;
  let page: Page;
  let sftId = '';
  let dataset: DatasetInfo;
  const runIds: Record<string, string> = {};
  const consoleErrors: string[] = [];

  const go = (hash: string) => page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);
  const fill = async (values: Record<string, string>) => {
    for (const [key, v] of Object.entries(values)) await page.locator(`#field-${key}`).fill(v);
  };
  async function launchFrom(form: () => Promise<void>, shot: string | null): Promise<string> {
    await go('#/launch');
    await expect.poll(() => page.locator('select[name="algo"]').isVisible(), LONG).toBe(true);
    await form();
    if (shot) await screenshot(page, shot);
    await expect.poll(() => page.getByTestId('launch').isDisabled()).toBe(false);
    await page.getByTestId('launch').click();
    await expect.poll(() => page.url(), LONG).toMatch(/#\/run\//);
    return decodeURIComponent(/#\/run\/([^/]+)/.exec(page.url())![1]!);
  }

  beforeAll(async () => {
    app = await startE2eServer(async (home) => (sftId = await seedSftRun(home)));
    // An oracle-labelled preference dataset: pairs sampled from the SFT run's checkpoint (worker), labelled by the oracle.
    dataset = await apiCall<DatasetInfo>(app, 'datasets:create', { name: 'Sentiment pairs', task: 'sentiment' });
    await apiCall(app, 'datasets:generate', { id: dataset.id, task: 'sentiment', model: { kind: 'run', runId: sftId, step: 100 }, count: 24, maxNewTokens: 16, seed: 3 });
    await apiCall(app, 'datasets:oracle', { id: dataset.id, task: 'sentiment', beta: 1, seed: 3 });
    // A small reward model on it, trained while the forms are filled in (the sample viewer scores with it).
    const [rm] = await apiCall<RunInfo[]>(app, 'runs:start', {
      algo: 'reward-model', env: 'text', seeds: [1], totalSteps: 4, name: 'rm e2e',
      config: { dataset: dataset.id, init: sftId, batchSize: 4, warmupSteps: 1, evalInterval: 2, checkpointInterval: 2, holdout: 0.2 },
    });
    runIds.rm = rm!.id;
    browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    page = await (await browser.newContext({ viewport: { width: 1400, height: 900 } })).newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(app.server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  it('launch form: the env follows the algorithm; dataset, init/initStep and rewardModel are pickers', { timeout: 300_000 }, async () => {
    runIds.dpo = await launchFrom(async () => {
      await page.locator('select[name="algo"]').selectOption('sft');
      // Issue 12's leftover: an LM run switches the env to text (and only text is offered).
      await expect.poll(() => page.locator('select[name="env"]').inputValue()).toBe('text');
      expect(await page.locator('select[name="env"] option').allTextContents()).toEqual(['text']);
      await page.locator('select[name="algo"]').selectOption('ppo');
      await expect.poll(() => page.locator('select[name="env"]').inputValue()).toBe('CartPole-v1');

      await page.locator('select[name="algo"]').selectOption('dpo');
      await expect.poll(() => page.locator('select[name="env"]').inputValue()).toBe('text');
      await expect.poll(() => page.locator('#field-dataset option').allTextContents(), LONG).toContainEqual(expect.stringMatching(/^Sentiment pairs — 24 pairs · A \d+ \/ B \d+ \/ tie \d+ \(oracle β 1, Bayes \d+%\) · sentiment$/));
      await page.locator('#field-dataset').selectOption(dataset.id);
      await expect.poll(() => page.locator('#field-init option').allTextContents(), LONG).toContainEqual(expect.stringMatching(/^sft fixture \(sft, step 100, finished\)$/));
      await page.locator('#field-init').selectOption(sftId);
      // The init's checkpoints: latest by default, or a step.
      await expect.poll(() => page.locator('#field-initStep option').allTextContents(), LONG).toEqual(['latest (now step 100)', 'step 100']);
      expect(await page.locator('#field-initStep').inputValue()).toBe('');
      // Free entry stays possible.
      await page.locator('#field-dataset').selectOption({ label: 'file path (TRL JSONL)…' });
      await expect.poll(() => page.locator('#field-dataset-text').isVisible()).toBe(true);
      await page.locator('#field-dataset').selectOption(dataset.id);
      await expect.poll(() => page.locator('#field-dataset-text').count()).toBe(0);
      await fill({ batchSize: '4', lr: '0.001', warmupSteps: '1', evalInterval: '3', evalPrompts: '6', evalMaxNewTokens: '12', checkpointInterval: '3', holdout: '0.2' });
      await page.locator('input[name="totalSteps"]').fill('6');
      await page.locator('input[name="name"]').fill('dpo e2e');
    }, 'prefs-01-launch-dpo');
    // The run page shows what matters for a preference run.
    await expect.poll(() => page.getByTestId('fact-data').textContent(), LONG).toMatch(/Sentiment pairs/);
    await expect.poll(() => page.getByTestId('fact-init').textContent(), LONG).toMatch(/sft fixture\s+latest/);

    runIds.rlhf = await launchFrom(async () => {
      await page.locator('select[name="algo"]').selectOption('rlhf-ppo');
      await expect.poll(() => page.locator('select[name="env"]').inputValue()).toBe('text');
      await expect.poll(() => page.locator('#field-rewardModel option').allTextContents(), LONG).toEqual(['— pick one —', "oracle (the task's true reward)", expect.stringMatching(/^rm e2e \(reward-model, step \d, \w+\)$/), 'run id…']);
      await page.locator('#field-rewardModel').selectOption('oracle');
      await page.locator('#field-init').selectOption(sftId);
      await fill({ rolloutPrompts: '4', miniBatches: '2', ppoEpochs: '2', maxNewTokens: '8', evalPrompts: '6', evalInterval: '2', checkpointInterval: '2' });
      await page.locator('input[name="totalSteps"]').fill('4');
      await page.locator('input[name="name"]').fill('rlhf e2e');
    }, 'prefs-02-launch-rlhf');
    await expect.poll(() => page.getByTestId('fact-reward-model').textContent(), LONG).toMatch(/oracle/);
    await expect.poll(() => runStatus(page), LONG).toBe('finished');
    await expect.poll(() => page.getByTestId('fact-evals').textContent(), LONG).toMatch(/oracleScore/);
    await screenshot(page, 'prefs-03-rlhf-overview');
    await go(`#/run/${runIds.dpo}`);
    await expect.poll(() => runStatus(page), LONG).toBe('finished');
    const runs = await apiCall<RunInfo[]>(app, 'runs:list');
    expect(runs.find((r) => r.id === runIds.dpo)).toMatchObject({ algo: 'dpo', env: 'text', status: 'finished', config: { dataset: dataset.id, init: sftId, initStep: null } });
    expect(runs.find((r) => r.id === runIds.rlhf)).toMatchObject({ algo: 'rlhf-ppo', env: 'text', status: 'finished', config: { rewardModel: 'oracle', init: sftId } });
  });

  it('frontier: both runs, every evaluation, SFT as the origin', { timeout: 120_000 }, async () => {
    await page.getByRole('link', { name: 'Preferences', exact: true }).click();
    await expect.poll(() => page.getByTestId(`frontier-pick-${runIds.dpo}`).isVisible(), LONG).toBe(true);
    await page.getByRole('button', { name: 'All', exact: true }).click();
    const chart = page.getByTestId('frontier-chart');
    await expect.poll(() => chart.getAttribute('data-lines'), LONG).toBe('2');
    // DPO evaluates at steps 0, 3, 6; RLHF at 0, 2, 4: six points, one shared SFT origin (same init).
    await expect.poll(() => chart.getAttribute('data-points'), LONG).toBe('6');
    expect(await chart.getAttribute('data-origins')).toBe('1');
    const rows = page.locator('[data-testid="frontier-table"] tbody tr');
    expect(await rows.count()).toBe(2);
    expect(await rows.allTextContents()).toEqual([expect.stringMatching(/rlhf e2e \(rlhf-ppo\)3/), expect.stringMatching(/dpo e2e \(dpo\)3/)]);
    expect(page.url()).toContain(encodeURIComponent(runIds.dpo));
    await screenshot(page, 'prefs-04-frontier');
  });

  it('sample viewer: side-by-side answers and the oracle win-rate table', { timeout: 300_000 }, async () => {
    await page.getByRole('link', { name: 'Samples', exact: true }).click();
    await expect.poll(() => page.locator('select[name="reference-run"]').inputValue(), LONG).toBe(sftId);
    await expect.poll(() => page.locator('[data-testid="compare-policy"]').count()).toBe(2);
    expect(await page.locator('select[name="policy-0-run"]').inputValue()).toBe(runIds.rlhf);
    expect(await page.locator('select[name="policy-1-run"]').inputValue()).toBe(runIds.dpo);
    await expect.poll(async () => (await apiCall<RunInfo>(app, 'runs:get', { id: runIds.rm })).status, LONG).toBe('finished');
    await page.locator('select[name="reward-model-run"]').selectOption(runIds.rm!);
    await expect.poll(() => page.locator('select[name="reward-model-step"] option').allTextContents(), LONG).toEqual(['latest (step 4)', 'step 4', 'step 2']);
    await page.locator('input[name="prompts"]').fill('8');
    await page.locator('input[name="max-new-tokens"]').fill('16');
    await page.getByTestId('compare-start').click();
    await expect.poll(() => page.getByTestId('compare-status').getAttribute('data-status'), LONG).toBe('done');
    const rates = page.locator('[data-testid="win-rates"] tbody tr');
    expect(await rates.count()).toBe(3);
    const text = await rates.allTextContents();
    expect(text[0]).toMatch(/^rlhf e2e \(rlhf-ppo, step 4\)SFT · sft fixture \(sft, step 100\)\d+\.\d%\d+\.\d% – \d+\.\d%.*\d+ \/ \d+ \/ \d+8$/);
    expect(text[1]).toMatch(/^dpo e2e \(dpo, step 6\)SFT · sft fixture/);
    expect(text[2]).toMatch(/^rlhf e2e \(rlhf-ppo, step 4\)dpo e2e \(dpo, step 6\)/);
    // 8 prompts × (SFT + 2 policies) answers, each with its oracle score; the first 8 shown.
    await expect.poll(() => page.locator('[data-testid="answers"] .answer').count()).toBe(24);
    expect(await page.locator('[data-testid="answers"] .answer .score').first().textContent()).toMatch(/^oracle -?\d+(\.\d+)? · r_φ -?\d/);
    expect(await page.locator('[data-testid="compare-means"] thead').textContent()).toMatch(/Mean reward-model score/);
    await expect.poll(() => page.getByText(/^Reward model: rm e2e step 4\.$/).count()).toBe(1);
    await screenshot(page, 'prefs-05-samples');
  });

  it('"Generate pairs from it" opens the pair generator on that policy', { timeout: 120_000 }, async () => {
    await page.locator('[data-testid="compare-means"] tbody tr', { hasText: 'dpo e2e' }).getByRole('link', { name: 'Generate pairs from it…' }).click();
    await expect.poll(() => page.url()).toMatch(/#\/datasets$/);
    await go(`#/datasets/${dataset.id}/label`);
    await expect.poll(() => page.locator('select[name="model-kind"]').inputValue(), LONG).toBe('run');
    await expect.poll(() => page.locator('select[name="run-id"]').inputValue(), LONG).toBe(runIds.dpo);
    await expect.poll(() => page.locator('select[name="step"]').inputValue(), LONG).toBe('6');
    const options = await page.locator('select[name="run-id"] option').allTextContents();
    expect(options).toEqual(['rlhf e2e (rlhf-ppo)', 'dpo e2e (dpo)', 'sft fixture (sft)']);
    await screenshot(page, 'prefs-06-generate-from-policy');
    expect(consoleErrors).toEqual([]);
  });
});
