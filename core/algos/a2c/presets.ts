/** A2C presets per env (RL Zoo `hyperparams/a2c.yml` style: only what differs from the defaults). */
import type { A2cConfig } from './config.js';

export const A2C_PRESETS: Record<string, Partial<A2cConfig>> = {
  // SB3/RL Zoo's A2C CartPole settings with lr 1e-3 and γ 0.98 (tuned here: seeds 1–5 reach 475 in 48k–52k steps and stay above 475).
  'CartPole-v1': { numEnvs: 8, entCoef: 0, lr: 1e-3, gamma: 0.98 },
  // RL Zoo: 16 envs, VecNormalize (observations and rewards). Seed 1 reaches −100 at ~50k steps.
  'Acrobot-v1': { numEnvs: 16, entCoef: 0, normalizeObs: true, normalizeReward: true },
  // gSDE, from rl-baselines3-zoo `hyperparams/a2c.yml` (commit 02846e4; its Pendulum entry is still keyed Pendulum-v0):
  // each value names its key; SB3 A2C defaults fill the rest (RMSprop, gae_lambda 1, vf_coef 0.5, full_std, no expln).
  // Not tuned here.
  'Pendulum-v1': {
    numEnvs: 8, // a2c.yml Pendulum-v0.n_envs
    numSteps: 8, // Pendulum-v0.n_steps
    gaeLambda: 0.9, // Pendulum-v0.gae_lambda
    vfCoef: 0.4, // Pendulum-v0.vf_coef
    gamma: 0.99, // Pendulum-v0.gamma
    optimizer: 'rmsprop', // Pendulum-v0.use_rms_prop
    normAdv: false, // Pendulum-v0.normalize_advantage
    lr: 7e-4, // Pendulum-v0.learning_rate lin_7e-4 …
    annealLr: true, // … linear to 0
    entCoef: 0, // Pendulum-v0.ent_coef
    maxGradNorm: 0.5, // Pendulum-v0.max_grad_norm
    normalizeObs: true, // Pendulum-v0.normalize
    normalizeReward: true, // Pendulum-v0.normalize
    useSde: true, // Pendulum-v0.use_sde
    logStdInit: -2, // Pendulum-v0.policy_kwargs log_std_init
    orthoInit: false, // Pendulum-v0.policy_kwargs ortho_init
    evalInterval: 50_000,
  },
  'MountainCarContinuous-v0': {
    numEnvs: 4, // a2c.yml MountainCarContinuous-v0.n_envs
    numSteps: 100, // MountainCarContinuous-v0.n_steps
    entCoef: 0, // MountainCarContinuous-v0.ent_coef
    normalizeObs: true, // MountainCarContinuous-v0.normalize
    normalizeReward: true, // MountainCarContinuous-v0.normalize
    useSde: true, // MountainCarContinuous-v0.use_sde
    sdeSampleFreq: 16, // MountainCarContinuous-v0.sde_sample_freq
    logStdInit: 0, // MountainCarContinuous-v0.policy_kwargs log_std_init
    orthoInit: false, // MountainCarContinuous-v0.policy_kwargs ortho_init
    evalInterval: 20_000,
  },
  // rl-baselines3-zoo `hyperparams/a2c.yml` (commit c6c209e) LunarLander-v2; SB3 A2C defaults fill the rest. Not tuned here.
  'LunarLander-v2': {
    numEnvs: 8, // n_envs
    numSteps: 5, // n_steps
    gamma: 0.995, // gamma
    lr: 8.3e-4, // learning_rate lin_0.00083 …
    annealLr: true, // … linear to 0
    entCoef: 1e-5, // ent_coef
    evalInterval: 20_000,
  },
  // a2c.yml (commit 02846e4) LunarLanderContinuous-v2 (the later commit keys it LunarLanderContinuous-v3, same values):
  // the Zoo's tuned gSDE recipe. Not tuned here.
  'LunarLanderContinuous-v2': {
    numEnvs: 4, // n_envs
    numSteps: 8, // n_steps
    gaeLambda: 0.9, // gae_lambda
    vfCoef: 0.4, // vf_coef
    gamma: 0.99, // gamma
    optimizer: 'rmsprop', // use_rms_prop
    normAdv: false, // normalize_advantage
    lr: 7e-4, // learning_rate lin_7e-4 …
    annealLr: true, // … linear to 0
    entCoef: 0, // ent_coef
    maxGradNorm: 0.5, // max_grad_norm
    normalizeObs: true, // normalize
    normalizeReward: true, // normalize
    useSde: true, // use_sde
    logStdInit: -2, // policy_kwargs log_std_init
    orthoInit: false, // policy_kwargs ortho_init
    evalInterval: 100_000,
  },
  // a2c.yml (commit c6c209e) MountainCar-v0: 16 envs, VecNormalize, no entropy bonus; SB3 defaults otherwise.
  'MountainCar-v0': { numEnvs: 16, entCoef: 0, normalizeObs: true, normalizeReward: true, evalInterval: 50_000 },
  // a2c.yml (commit c6c209e) `mujoco-defaults` (HalfCheetah-v4, Hopper-v4): VecNormalize over SB3's A2C defaults,
  // with one env (the Zoo's n_envs default; PolicyLab's A2C default is 8). The Zoo has no InvertedPendulum entry for
  // A2C; it takes the same defaults. Not tuned here.
  'InvertedPendulum-v4': { numEnvs: 1, normalizeObs: true, normalizeReward: true, evalInterval: 25_000 },
  'HalfCheetah-v4': { numEnvs: 1, normalizeObs: true, normalizeReward: true, evalInterval: 50_000 },
  'Hopper-v4': { numEnvs: 1, normalizeObs: true, normalizeReward: true, evalInterval: 50_000 },
};

export const A2C_PRESET_STEPS: Record<string, number> = {
  'CartPole-v1': 100_000,
  'Acrobot-v1': 500_000,
  'Pendulum-v1': 1_000_000, // a2c.yml Pendulum-v0.n_timesteps
  'MountainCarContinuous-v0': 100_000, // a2c.yml MountainCarContinuous-v0.n_timesteps
  'LunarLander-v2': 200_000, // a2c.yml LunarLander-v2.n_timesteps
  'LunarLanderContinuous-v2': 5_000_000, // a2c.yml LunarLanderContinuous-v2.n_timesteps
  'MountainCar-v0': 1_000_000, // a2c.yml MountainCar-v0.n_timesteps
  'InvertedPendulum-v4': 1_000_000, // a2c.yml mujoco-defaults.n_timesteps
  'HalfCheetah-v4': 1_000_000, // a2c.yml HalfCheetah-v4.n_timesteps
  'Hopper-v4': 1_000_000, // a2c.yml Hopper-v4.n_timesteps
};
