/**
 * APG presets per differentiable env and the run length each was tuned for. The defaults (config.ts) are the
 * Pendulum-v1 tuning: 2 copies × 32-step windows, relu [128, 128], Adam 3e-3 (β 0.7/0.95) annealed, clip 1 — seeds 1–5
 * reached an evaluation return of −200 in 10–12k env steps and stayed near −150 at 40k (`npm run bench -- apg`).
 * MountainCarContinuous-v0 has no preset: its only reward gradient is −0.2·a (the goal bonus is a step function of
 * the state), so APG learns to stand still there — a finding the README's APG section shows, not a tuning gap.
 * PointReach-v0 (no registered env id, so no preset key) trains with the defaults: about −10 per episode after 20k
 * steps, from about −120 untrained (`npm run bench -- apg`).
 */
import type { ApgConfig } from './config.js';

export const APG_PRESETS: Record<string, Partial<ApgConfig>> = {
  'Pendulum-v1': { numEnvs: 2, windowLength: 32, hiddenSizes: [128, 128], activation: 'relu', lr: 3e-3, annealLr: true },
};

export const APG_PRESET_STEPS: Record<string, number> = {
  'Pendulum-v1': 40_000,
};
