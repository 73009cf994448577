/**
 * `npm run bench -- rlhf`: an RLHF-PPO run from the sentiment SFT fixture (test/fixtures/lm/sentiment-sft: 2 layers ×
 * 64, context 64) with the task's oracle as the reward (the synthetic upper-bound ablation): tokens/s of the rollout
 * (KV-cache sampling + the policy, reference and value forwards) and of the PPO update (forward + backward
 * positions), the held-out oracle score before and after, the KL to the SFT policy reached, and wall time. Seeded;
 * the numbers depend on the machine's load, printed with them. Not a test: nothing here fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TrainRunOptions } from '../../core/algos/loop.js';
import { trainRlhfPpo } from '../../core/algos/rlhf-ppo/train.js';

const FIXTURE = join(process.cwd(), 'test/fixtures/lm/sentiment-sft');
const ITERATIONS = 30;
const SEED = 1;

const BASE = { init: FIXTURE, rewardModel: 'oracle', rolloutPrompts: 32, miniBatches: 4, ppoEpochs: 4, maxNewTokens: 32, evalInterval: 10, evalPrompts: 50, checkpointInterval: 0 };

export async function bench(): Promise<void> {
  await one('fixed β = 0.05', BASE);
  // Ziegler et al.'s controller with a horizon short enough to act within 30 iterations of 32 responses.
  await one('adaptive β from 0.05, target KL 6 nats, horizon 100 responses', { ...BASE, adaptiveKl: true, targetKl: 6, klHorizon: 100 });
}

async function one(label: string, config: Record<string, unknown>): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'policylab-bench-rlhf-'));
  const rows: [number, Record<string, number>][] = [];
  console.log(`rlhf-ppo from the sentiment SFT fixture, reward = oracle (synthetic), ${label}: ${ITERATIONS} iterations × ${config.rolloutPrompts as number} responses, seed ${SEED}; ${cpus().length} cores, load ${loadavg().map((x) => x.toFixed(2)).join(' ')}`);
  const t0 = performance.now();
  try {
    await trainRlhfPpo({
      runDir: join(root, 'runs', 'bench'),
      runId: 'bench',
      algo: 'rlhf-ppo' as TrainRunOptions['algo'],
      env: 'text' as TrainRunOptions['env'],
      config,
      seed: SEED,
      totalSteps: ITERATIONS,
      signal: new AbortController().signal,
      events: { metrics: (s, v) => rows.push([s, v]) },
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  const wall = (performance.now() - t0) / 1000;
  const train = rows.filter(([s]) => s > 0).map(([, v]) => v);
  const mean = (k: string): number => train.reduce((a, v) => a + v[k]!, 0) / train.length;
  for (const [s, v] of rows) {
    if (v['eval/oracleScore'] !== undefined) console.log(`  step ${String(s).padStart(3)}: eval/oracleScore ${v['eval/oracleScore']!.toFixed(2)}, eval/kl ${v['eval/kl']!.toFixed(2)} nats`);
  }
  const evals = rows.filter(([, v]) => v['eval/oracleScore'] !== undefined).map(([, v]) => v);
  const first = evals[0]!;
  const last = evals[evals.length - 1]!;
  console.log(`  oracle score ${first['eval/oracleScore']!.toFixed(2)} (SFT) → ${last['eval/oracleScore']!.toFixed(2)} (${(last['eval/oracleScore']! - first['eval/oracleScore']!).toFixed(2)}), KL reached ${last['eval/kl']!.toFixed(2)} nats (rollout objective/kl, last iteration: ${train[train.length - 1]!['objective/kl']!.toFixed(2)})`);
  console.log(`  rollout ${mean('time/rolloutTokensPerSecond').toFixed(0)} response tokens/s, update ${mean('time/updateTokensPerSecond').toFixed(0)} positions/s (fwd + bwd), overall ${train[train.length - 1]!['time/tokensPerSecond']!.toFixed(0)} response tokens/s incl. evaluation`);
  console.log(`  β ${train[0]!['objective/klCoef']!.toFixed(4)} → ${train[train.length - 1]!['objective/klCoef']!.toFixed(4)}`);
  console.log(`  wall ${wall.toFixed(1)} s (${(wall / ITERATIONS).toFixed(2)} s per iteration incl. ${evals.length} evaluations)`);
}
