/** What the replay needs to know about each env it draws (mirrors Gymnasium's metadata). */
import { jointNames, MUJOCO_MODELS, type MujocoEnvId } from './mujoco-geometry.js';

export const REPLAY_ENV_IDS = [
  'CartPole-v1',
  'Acrobot-v1',
  'MountainCar-v0',
  'MountainCarContinuous-v0',
  'Pendulum-v1',
  'LunarLander-v2',
  'LunarLanderContinuous-v2',
  'InvertedPendulum-v4',
  'HalfCheetah-v4',
  'Hopper-v4',
] as const;
export type ReplayEnvId = (typeof REPLAY_ENV_IDS)[number];

export interface ReplayEnvInfo {
  /** Length of `env.unwrapped.state` (LunarLander: PolicyLab's own layout, core's `STATE_LABELS`; MuJoCo: `state_vector()`). */
  stateSize: number;
  /** Gymnasium's `metadata["render_fps"]`: frames per second at 1× speed. */
  fps: number;
  /** Names of the state entries, for the frame read-out. */
  stateLabels: readonly string[];
}

/** core/envs/box2d/lunar-lander.ts `STATE_LABELS` (copied: that module pulls in planck; a unit test pins the copy). */
const LUNAR_LANDER_LABELS: readonly string[] = [
  ...Array.from({ length: 11 }, (_, i) => `terrain${i}`),
  ...['lander', 'leg0', 'leg1'].flatMap((b) => ['x', 'y', 'angle', 'vx', 'vy', 'ω'].map((k) => `${b}.${k}`)),
  'leg0.contact',
  'leg1.contact',
  'gameOver',
  'prevShaping',
];

/** MuJoCo envs record Gymnasium's `state_vector()`: qpos then qvel, one entry per (1-DoF) joint each. */
function mujocoLabels(envId: MujocoEnvId): readonly string[] {
  const joints = jointNames(MUJOCO_MODELS[envId]);
  return [...joints, ...joints.map((j) => `${j}.vel`)];
}

export const REPLAY_ENVS: Record<ReplayEnvId, ReplayEnvInfo> = {
  'CartPole-v1': { stateSize: 4, fps: 50, stateLabels: ['x', 'ẋ', 'θ', 'θ̇'] },
  'Acrobot-v1': { stateSize: 4, fps: 15, stateLabels: ['θ₁', 'θ₂', 'θ̇₁', 'θ̇₂'] },
  'MountainCar-v0': { stateSize: 2, fps: 30, stateLabels: ['position', 'velocity'] },
  'MountainCarContinuous-v0': { stateSize: 2, fps: 30, stateLabels: ['position', 'velocity'] },
  'Pendulum-v1': { stateSize: 2, fps: 30, stateLabels: ['θ', 'θ̇'] },
  'LunarLander-v2': { stateSize: 33, fps: 50, stateLabels: LUNAR_LANDER_LABELS },
  'LunarLanderContinuous-v2': { stateSize: 33, fps: 50, stateLabels: LUNAR_LANDER_LABELS },
  'InvertedPendulum-v4': { stateSize: 4, fps: 25, stateLabels: mujocoLabels('InvertedPendulum-v4') },
  'HalfCheetah-v4': { stateSize: 18, fps: 20, stateLabels: mujocoLabels('HalfCheetah-v4') },
  'Hopper-v4': { stateSize: 12, fps: 125, stateLabels: mujocoLabels('Hopper-v4') },
};

export const DEFAULT_REPLAY_FPS = 30;

export function isReplayEnvId(id: string): id is ReplayEnvId {
  return (REPLAY_ENV_IDS as readonly string[]).includes(id);
}

/** Frames per second at 1× for an env id (unknown ids play at 30 fps). */
export function replayFps(envId: string): number {
  return isReplayEnvId(envId) ? REPLAY_ENVS[envId].fps : DEFAULT_REPLAY_FPS;
}

const DISCRETE_ACTIONS: Partial<Record<ReplayEnvId, readonly string[]>> = {
  'CartPole-v1': ['push left', 'push right'],
  'Acrobot-v1': ['torque −1', 'torque 0', 'torque +1'],
  'MountainCar-v0': ['accelerate left', 'no push', 'accelerate right'],
  'LunarLander-v2': ['no-op', 'left engine', 'main engine', 'right engine'],
};

/** Box actions named per dimension (MuJoCo: the actuators, in the XML's order; Hopper's are named after their joints). */
const ACTION_NAMES: Partial<Record<ReplayEnvId, readonly string[]>> = {
  'LunarLanderContinuous-v2': ['main', 'lateral'],
  'HalfCheetah-v4': ['bthigh', 'bshin', 'bfoot', 'fthigh', 'fshin', 'ffoot'],
  'Hopper-v4': ['thigh', 'leg', 'foot'],
};

const number = (v: number): string => (Number.isFinite(v) ? (+v.toFixed(3)).toString().replace('-', '−') : String(v));

/** Readable action: `1 (push right)`, `force 0.734`, `torque −1.2`, `main 0.734, lateral −0.6`, `thigh 0.1, leg −1, foot 0`. */
export function describeAction(envId: string, action: number | readonly number[] | null | undefined): string {
  if (action === null || action === undefined) return '—';
  const names = isReplayEnvId(envId) ? DISCRETE_ACTIONS[envId] : undefined;
  if (typeof action === 'number' && names && Number.isInteger(action)) {
    return names[action] !== undefined ? `${action} (${names[action]})` : String(action);
  }
  const values = typeof action === 'number' ? [action] : [...action];
  const dims = isReplayEnvId(envId) ? ACTION_NAMES[envId] : undefined;
  if (dims && values.length === dims.length) return values.map((v, i) => `${dims[i]} ${number(v)}`).join(', ');
  const text = values.map(number).join(', ');
  if (envId === 'Pendulum-v1') return `torque ${text}`;
  if (envId === 'MountainCarContinuous-v0' || envId === 'InvertedPendulum-v4') return `force ${text}`;
  return values.length > 1 ? `[${text}]` : text;
}
