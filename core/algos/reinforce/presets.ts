/** REINFORCE presets per env: reward-to-go with a learned baseline is the variant that learns in reasonable time. */
import type { ReinforceConfig } from './config.js';

export const REINFORCE_PRESETS: Record<string, Partial<ReinforceConfig>> = {
  // Tuned here: seeds 1–5 reach a 20-episode mean of 475 in 33k–48k steps and stay above 475.
  'CartPole-v1': { episodesPerUpdate: 4, return: 'rewardToGo', baseline: 'learnedValue', lr: 3e-3, gamma: 0.99, valueSteps: 10 },
  'Acrobot-v1': { episodesPerUpdate: 8, return: 'rewardToGo', baseline: 'learnedValue', lr: 1e-3, normalizeObs: true },
};

export const REINFORCE_PRESET_STEPS: Record<string, number> = {
  'CartPole-v1': 150_000,
  'Acrobot-v1': 500_000,
};
