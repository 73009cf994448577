/**
 * RolloutManager: live rollouts of a checkpoint's policy, each in a short-lived process (rollout-worker.ts,
 * started through the same SpawnWorker as training processes: a Node fork, or an Electron utility process).
 * `start` resolves once the process has loaded the policy (so a bad checkpoint is the caller's error, not an
 * event); frames and the end are fanned out as `rollout:frame` / `rollout:end` events. At most `maxActive`
 * rollouts run at once; each is bounded by its env's time limit (or maxSteps). A rollout may be tied to its
 * client (`owner`, aborted when the client goes away): then it is stopped like `stop` does, or, still loading,
 * its process is killed and `start` rejects.
 */
import { randomBytes } from 'node:crypto';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ApiFailure, type ApiEvent, type RolloutStarted } from '../api/contract.js';
import { isWorkerMessage, type RolloutMessage } from './protocol.js';
import type { SpawnWorker, WorkerProcess } from './spawn.js';

/** Gymnasium's `metadata["render_fps"]` of each classic-control env: the pace a live rollout streams at. */
export const RENDER_FPS: Readonly<Record<string, number>> = {
  'CartPole-v1': 50,
  'Acrobot-v1': 15,
  'MountainCar-v0': 30,
  'MountainCarContinuous-v0': 30,
  'Pendulum-v1': 30,
  'LunarLander-v2': 50,
  'LunarLanderContinuous-v2': 50,
  'InvertedPendulum-v4': 25,
  'HalfCheetah-v4': 20,
  'Hopper-v4': 125,
};
const DEFAULT_FPS = 30;

/** How long a rollout process may take to load its policy. */
const START_TIMEOUT_MS = 60_000;
/** After a stop, how long the process may take to post its last frames before it is killed. */
const STOP_GRACE_MS = 2_000;
/** Ended rollout ids remembered, so a stop that races the end is not an error. */
const ENDED_MEMORY = 256;

export function defaultRolloutWorkerPath(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const js = join(here, 'rollout-worker.js');
  return existsSync(js) ? js : join(here, 'rollout-worker.ts');
}

export interface RolloutRequest {
  runDir: string;
  env: string;
  config: Record<string, unknown>;
  checkpointStep: number;
  seed: number;
  deterministic: boolean;
  maxSteps?: number;
  /** Frames per second; the env's render fps when omitted. */
  fps?: number;
  /** False streams as fast as frames are computed. */
  realtime: boolean;
}

export interface RolloutManagerOptions {
  spawn: SpawnWorker;
  workerPath?: string;
  env?: NodeJS.ProcessEnv;
  maxActive?: number;
  emit: (event: ApiEvent) => void;
}

interface Active {
  proc: WorkerProcess;
  stopTimer: ReturnType<typeof setTimeout> | null;
}

export interface RolloutStartOptions {
  /** Aborted when the client that asked for the rollout goes away; the rollout stops then. */
  owner?: AbortSignal;
}

export class RolloutManager {
  readonly maxActive: number;
  readonly #spawn: SpawnWorker;
  readonly #workerPath: string;
  readonly #env: NodeJS.ProcessEnv;
  readonly #emit: (event: ApiEvent) => void;
  readonly #active = new Map<string, Active>();
  readonly #ended: string[] = [];
  #closing = false;

  constructor(options: RolloutManagerOptions) {
    this.#spawn = options.spawn;
    this.#workerPath = options.workerPath ?? defaultRolloutWorkerPath();
    this.#env = options.env ?? process.env;
    this.#emit = options.emit;
    this.maxActive = options.maxActive ?? 4;
    if (!Number.isInteger(this.maxActive) || this.maxActive < 1) throw new Error(`maxActive must be an integer ≥ 1, got ${this.maxActive}`);
  }

  get activeCount(): number {
    return this.#active.size;
  }

  start(req: RolloutRequest, options: RolloutStartOptions = {}): Promise<RolloutStarted> {
    const { owner } = options;
    if (owner?.aborted) return Promise.reject(new ApiFailure('conflict', 'the client that asked for this rollout has gone away'));
    if (this.#closing) return Promise.reject(new ApiFailure('conflict', 'the app is shutting down; no new rollouts'));
    if (this.#active.size >= this.maxActive) {
      return Promise.reject(new ApiFailure('conflict', `${this.#active.size} live rollouts are running (at most ${this.maxActive}); stop one first`));
    }
    const rolloutId = `ro-${randomBytes(9).toString('base64url')}`;
    const fps = req.realtime ? (req.fps ?? RENDER_FPS[req.env] ?? DEFAULT_FPS) : 0;
    const message: RolloutMessage = {
      type: 'rollout',
      runDir: req.runDir,
      env: req.env,
      config: req.config,
      checkpointStep: req.checkpointStep,
      seed: req.seed,
      deterministic: req.deterministic,
      maxSteps: req.maxSteps ?? null,
      fps,
    };
    const proc = this.#spawn(this.#workerPath, this.#env);
    const active: Active = { proc, stopTimer: null };
    this.#active.set(rolloutId, active);
    const stderr: string[] = [];
    /** The caller has the id: from here on, the end is reported as an event. */
    let live = false;
    let ended = false;
    let steps = 0;
    let ret = 0;
    const forget = () => {
      owner?.removeEventListener('abort', onOwnerGone);
      if (this.#active.get(rolloutId) !== active) return;
      this.#active.delete(rolloutId);
      this.#ended.push(rolloutId);
      if (this.#ended.length > ENDED_MEMORY) this.#ended.shift();
    };
    /** Stops the rollout when its owner goes away (defined below, where `settle` is); unhooked by forget(). */
    let onOwnerGone = (): void => {};
    const end = (reason: 'terminated' | 'truncated' | 'max-steps' | 'stopped' | 'failed', error: string | null) => {
      if (ended || !live) return;
      ended = true;
      // Over as far as callers are concerned (a stop now is a no-op), even while the process is still exiting.
      forget();
      this.#emit({ event: 'rollout:end', payload: { rolloutId, reason, steps, return: ret, error } });
    };

    return new Promise<RolloutStarted>((resolve, reject) => {
      let settled = false;
      const settle = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(startTimer);
        fn();
      };
      const startTimer = setTimeout(() => {
        proc.kill();
        settle(() => reject(new Error(`the rollout process did not load the policy within ${START_TIMEOUT_MS / 1000} s`)));
      }, START_TIMEOUT_MS);

      proc.onOutput((stream, line) => {
        if (stream !== 'stderr') return;
        stderr.push(line);
        if (stderr.length > 20) stderr.shift();
      });
      proc.onMessage((msg) => {
        if (!isWorkerMessage(msg)) return;
        switch (msg.type) {
          case 'ready':
            proc.send(message);
            return;
          case 'rollout-started':
            if (settled) return; // gave up on it (owner gone, start timeout): it is being killed
            live = true;
            settle(() => resolve({ rolloutId, envId: msg.envId, checkpointStep: msg.checkpointStep, fps }));
            return;
          case 'frames': {
            if (!live || ended || msg.frames.length === 0) return;
            const last = msg.frames[msg.frames.length - 1]!;
            steps = last.step;
            ret = last.return;
            this.#emit({ event: 'rollout:frame', payload: { rolloutId, frames: msg.frames } });
            return;
          }
          case 'rollout-done':
            steps = msg.steps;
            ret = msg.return;
            end(msg.reason, null);
            return;
          case 'failed':
            if (live) end('failed', msg.message);
            else {
              forget(); // the process exits right after reporting
              settle(() => reject(new ApiFailure('invalid_request', `cannot roll out this checkpoint: ${msg.message}`)));
            }
            return;
          default:
            return;
        }
      });
      proc.onExit((code, signal) => {
        if (active.stopTimer) clearTimeout(active.stopTimer);
        forget();
        const why = `the rollout process ${signal ? `was killed by ${signal}` : `exited with code ${code}`}${stderr.length ? `: ${stderr.at(-1)}` : ''}`;
        settle(() => reject(new Error(why)));
        end(active.stopTimer ? 'stopped' : 'failed', active.stopTimer ? null : why);
      });
      onOwnerGone = () => {
        if (live) this.#requestStop(active);
        else {
          proc.kill();
          settle(() => reject(new ApiFailure('conflict', 'the client that asked for this rollout went away before it started')));
        }
      };
      owner?.addEventListener('abort', onOwnerGone, { once: true });
    });
  }

  /** Ends a rollout early (its last frames still arrive); `stopped: false` when it had already ended. */
  stop(rolloutId: string): { rolloutId: string; stopped: boolean } {
    const active = this.#active.get(rolloutId);
    if (!active) {
      if (this.#ended.includes(rolloutId)) return { rolloutId, stopped: false };
      throw new ApiFailure('not_found', `no live rollout ${rolloutId}`);
    }
    this.#requestStop(active);
    return { rolloutId, stopped: true };
  }

  #requestStop(active: Active): void {
    if (active.stopTimer) return;
    active.proc.send({ type: 'stop' });
    active.stopTimer = setTimeout(() => active.proc.kill(), STOP_GRACE_MS);
  }

  /** Kills every rollout process and waits for them to exit. */
  async close(): Promise<void> {
    this.#closing = true;
    const exits = [...this.#active.values()].map(
      (a) =>
        new Promise<void>((resolve) => {
          a.proc.onExit(() => resolve());
          a.proc.kill();
        }),
    );
    await Promise.all(exits);
  }
}
