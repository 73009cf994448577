/**
 * DD-PPO presets: PPO's tuned settings (core/algos/ppo/presets.ts) with the rollout split over the workers, so one
 * update sees the same batch as the single-process PPO preset (workers × numEnvs = PPO's numEnvs).
 */
import type { DdppoConfig } from './config.js';

export const DDPPO_PRESETS: Record<string, Partial<DdppoConfig>> = {
  'CartPole-v1': {
    workers: 2,
    numEnvs: 4,
    numSteps: 32,
    numMinibatches: 4,
    updateEpochs: 4,
    gamma: 0.98,
    gaeLambda: 0.8,
    lr: 3e-3,
    annealLr: true,
    annealClipCoef: true,
    entCoef: 0,
    syncFraction: 1,
  },
};

export const DDPPO_PRESET_STEPS: Record<string, number> = { 'CartPole-v1': 100_000 };
