/** Replay: canvas renderers for classic-control, LunarLander and planar MuJoCo states, a frame player and its components. */
export { default as ReplayCanvas } from './ReplayCanvas.svelte';
export { default as ReplayControls } from './ReplayControls.svelte';
export { default as ReplayStats } from './ReplayStats.svelte';
export { default as EpisodeReplay } from './EpisodeReplay.svelte';
export { default as SideBySide } from './SideBySide.svelte';
export { drawState, replayPalette, REPLAY_PALETTES, type ReplayPalette } from './draw.js';
export * from './geometry.js';
export * from './mujoco-geometry.js';
export { describeAction, isReplayEnvId, REPLAY_ENV_IDS, REPLAY_ENVS, replayFps, type ReplayEnvId } from './envs.js';
export {
  animationFrameScheduler,
  MAX_SPEED,
  MIN_SPEED,
  REPLAY_SPEEDS,
  ReplayPlayer,
  validateEpisode,
  type FrameScheduler,
  type ReplayPlayerOptions,
} from './replay-player.svelte.js';
export type { Canvas2D, DrawOptions, ReplayAction, ReplayEpisode } from './types.js';
