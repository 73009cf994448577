/**
 * npm run bench -- ddppo: DD-PPO over the local transport on CartPole-v1 — SPS with 1 and 2 workers, the mean
 * gradient all-reduce time per iteration, and the preempted share of the rollout with worker 1 slowed by injected
 * per-step latency (syncFraction 1.0 vs 0.5). Short runs (a few seconds each); the load is printed with them.
 */
import { loadavg } from 'node:os';
import { ddppoConfigSchema } from '../../core/algos/ddppo/config.js';
import { DDPPO_METRIC, type WorkerFaults } from '../../core/algos/ddppo/ddppo.js';
import { runLocal } from '../../core/algos/ddppo/threads.js';

async function one(workers: number, syncFraction: number, faults: Record<number, WorkerFaults> = {}): Promise<{ sps: number; allReduceMs: number; preempted: number }> {
  const config = ddppoConfigSchema.parse({ workers, numEnvs: 4, numSteps: 64, numMinibatches: 4, updateEpochs: 4, syncFraction, evalInterval: 0, checkpointInterval: 0 });
  const total = 40 * workers * 4 * 64;
  let allReduce = 0;
  let preempted = 0;
  let n = 0;
  const t = performance.now();
  const results = await runLocal({
    env: 'CartPole-v1',
    config,
    seed: 1,
    totalSteps: total,
    faults,
    onIteration: (rank, _it, _step, m) => {
      if (rank !== 0) return;
      allReduce += m[DDPPO_METRIC.allReduceMs] ?? 0;
      preempted += m[DDPPO_METRIC.preemptedFraction] ?? 0;
      n++;
    },
  });
  return { sps: results[0].globalStep / ((performance.now() - t) / 1000), allReduceMs: allReduce / n, preempted: preempted / n };
}

export async function bench(): Promise<void> {
  console.log(`ddppo (CartPole-v1, 4 envs × 64 steps per worker, 40 iterations, load ${loadavg().map((x) => x.toFixed(2)).join(' ')})`);
  for (const w of [1, 2]) {
    const r = await one(w, 1);
    console.log(`  workers ${w}: ${r.sps.toFixed(0)} SPS (incl. thread start), all-reduce ${r.allReduceMs.toFixed(2)} ms/iteration`);
  }
  // With 2 workers, 0.6 · 2 = 1.2 rounds up to both workers done (never a cut): 0.5 is the fraction that cuts.
  for (const sf of [1, 0.5]) {
    const r = await one(2, sf, { 1: { stepDelayMs: 0.5 } });
    console.log(`  straggler (worker 1 +0.5 ms/step), syncFraction ${sf}: ${r.sps.toFixed(0)} SPS, preempted ${(100 * r.preempted).toFixed(1)}% of the rollout`);
  }
}
