/**
 * Policies rebuilt from checkpoints of real short PPO runs, and live rollouts of them in their own processes:
 * a deterministic rollout on an evaluation episode's seed reproduces that recorded episode (so the policy, its
 * observation normaliser and the env agree with training exactly), stochastic rollouts are seeded, and the
 * rollout channels stream frames, stop, cap concurrency and refuse what does not exist.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EpisodeData, EpisodeInfo, RolloutFrame, RolloutStarted } from '../../../core/api/contract.js';
import { Rng } from '../../../core/common/rng.js';
import { makeEnv } from '../../../core/envs/index.js';
import { loadPolicy } from '../../../core/runner/policy-loader.js';
import { openAppBackend, type AppBackend } from '../../../core/runner/service.js';
import { listCheckpoints, saveCheckpoint } from '../../../core/store/index.js';
import { call, EventLog, tempHome } from '../../unit/runner/helpers.js';
import { trainShortRun, type TrainedRun } from './trained-runs.js';

let backend: AppBackend;
let log: EventLog;
let cleanup: () => void;
let cartpole: TrainedRun;
let pendulum: TrainedRun;

beforeAll(async () => {
  const t = tempHome();
  cleanup = t.cleanup;
  backend = await openAppBackend({ home: t.home, transport: 'browser', maxRollouts: 2 });
  log = new EventLog(backend);
  cartpole = await trainShortRun(backend.store, { env: 'CartPole-v1', totalSteps: 2048, interval: 1024, overrides: { normalizeObs: true } });
  // One PPO iteration on Pendulum (its preset collects more than 1024 steps per update).
  pendulum = await trainShortRun(backend.store, { env: 'Pendulum-v1', totalSteps: 1024, interval: 1024, overrides: { normalizeObs: true } });
  expect(cartpole.steps).toEqual([1024, 2048]);
});

afterAll(async () => {
  await backend?.close();
  cleanup?.();
});

/** Plays a policy on one seeded episode in this process. */
async function playEpisode(run: TrainedRun, step: number, seed: number, deterministic: boolean) {
  const policy = await loadPolicy({ runDir: run.runDir, env: run.env, config: run.config, step });
  try {
    const env = makeEnv(run.env, { seed });
    const rng = new Rng(seed);
    let obs: ArrayLike<number> = env.reset(seed).obs;
    const states = [env.getState()];
    const actions: (number | number[])[] = [];
    for (;;) {
      const action = policy.act(obs, deterministic, rng);
      const r = env.step(action);
      actions.push(action);
      states.push(env.getState());
      obs = r.obs;
      if (r.terminated || r.truncated) break;
    }
    return { states, actions, policy };
  } finally {
    policy.dispose();
  }
}

describe('policy loader', () => {
  it('reproduces every recorded evaluation episode of a CartPole run from its checkpoint (normalised observations)', async () => {
    const episodes = await call<EpisodeInfo[]>(backend, 'episodes:list', { id: cartpole.id });
    expect(episodes.map((e) => e.step)).toEqual([1024, 2048]);
    for (const info of episodes) {
      const recorded = await call<EpisodeData>(backend, 'episodes:get', { id: cartpole.id, step: info.step });
      expect(recorded.states).toHaveLength(recorded.length + 1);
      const played = await playEpisode(cartpole, info.step, recorded.seed, true);
      expect(played.policy.normalizesObs).toBe(true);
      expect(played.actions).toEqual(recorded.actions);
      expect(played.states).toEqual(recorded.states);
    }
  });

  it('rebuilds a Gaussian policy: the mean reproduces the recorded episode, samples are seeded and differ from it', async () => {
    const step = pendulum.steps.at(-1)!;
    const recorded = await call<EpisodeData>(backend, 'episodes:get', { id: pendulum.id, step });
    const det = await playEpisode(pendulum, step, recorded.seed, true);
    expect(det.policy.canSample).toBe(true);
    expect(det.actions).toHaveLength(recorded.actions.length);
    det.actions.forEach((a, i) => {
      const want = recorded.actions[i] as number[];
      (a as number[]).forEach((v, j) => expect(v).toBeCloseTo(want[j]!, 4));
      expect(Math.abs((a as number[])[0]!)).toBeLessThanOrEqual(2); // clipped to Pendulum's torque bounds
    });
    const s1 = await playEpisode(pendulum, step, 7, false);
    const s2 = await playEpisode(pendulum, step, 7, false);
    const d7 = await playEpisode(pendulum, step, 7, true);
    expect(s1.actions).toEqual(s2.actions);
    expect(s1.actions).not.toEqual(d7.actions);
  });

  it('names what is wrong with a checkpoint it cannot use', async () => {
    await expect(loadPolicy({ runDir: cartpole.runDir, env: 'Acrobot-v1', config: {}, step: 2048 })).rejects.toThrow(
      /trained on CartPole-v1, not Acrobot-v1/,
    );
    await expect(loadPolicy({ runDir: cartpole.runDir, env: 'CartPole-v1', config: {}, step: 5 })).rejects.toThrow(/5/);
    await saveCheckpoint(cartpole.runDir, { step: 9_999_999, state: { step: 1 } }, { keepLast: 10 });
    await expect(loadPolicy({ runDir: cartpole.runDir, env: 'CartPole-v1', config: {}, step: 9_999_999 })).rejects.toThrow(
      /has no actor model/,
    );
  });
});

/** Starts a rollout and collects its frames until its end event. */
async function collect(payload: Record<string, unknown>) {
  const started = await call<RolloutStarted>(backend, 'rollout:start', payload);
  const end = await log.wait('rollout:end', (e) => e.rolloutId === started.rolloutId);
  const frames: RolloutFrame[] = log.of('rollout:frame').filter((f) => f.rolloutId === started.rolloutId).flatMap((f) => f.frames);
  return { started, end, frames };
}

describe('live rollouts in a separate process', () => {
  it('streams a deterministic episode that matches the recorded one, frame by frame', async () => {
    const recorded = await call<EpisodeData>(backend, 'episodes:get', { id: cartpole.id, step: 2048 });
    const { started, end, frames } = await collect({ id: cartpole.id, checkpointStep: 2048, seed: recorded.seed, realtime: false });
    expect(started).toMatchObject({ envId: 'CartPole-v1', checkpointStep: 2048, fps: 0 });
    expect(frames.map((f) => f.step)).toEqual(recorded.states.map((_, i) => i));
    expect(frames.map((f) => f.state)).toEqual(recorded.states);
    expect(frames.slice(1).map((f) => f.action)).toEqual(recorded.actions);
    expect(frames[0]).toMatchObject({ action: null, reward: null, return: 0, done: false });
    expect(frames.at(-1)!.done).toBe(true);
    expect(end).toMatchObject({ steps: recorded.length, error: null });
    expect(end.return).toBeCloseTo(recorded.return, 6);
    expect(['terminated', 'truncated']).toContain(end.reason);
  });

  it('paces frames at the requested fps in batches, honours maxSteps, and stops on request', async () => {
    const capped = await collect({ id: cartpole.id, checkpointStep: 1024, seed: 3, deterministic: false, fps: 240, maxSteps: 12 });
    expect(capped.started.fps).toBe(240);
    expect(capped.end.reason).toBe('max-steps');
    expect(capped.frames.map((f) => f.step)).toEqual([...Array(13).keys()]);
    expect(log.of('rollout:frame').filter((f) => f.rolloutId === capped.started.rolloutId).length).toBeGreaterThan(1);

    const slow = await call<RolloutStarted>(backend, 'rollout:start', { id: cartpole.id, checkpointStep: 1024, seed: 3, fps: 5 });
    expect(slow.fps).toBe(5);
    await log.wait('rollout:frame', (f) => f.rolloutId === slow.rolloutId);
    expect(await call(backend, 'rollout:stop', { rolloutId: slow.rolloutId })).toEqual({ rolloutId: slow.rolloutId, stopped: true });
    const end = await log.wait('rollout:end', (e) => e.rolloutId === slow.rolloutId);
    expect(end.reason).toBe('stopped');
    expect(end.steps).toBeLessThan(500);
    // A stop that races the end is not an error; an id that never existed is.
    expect(await call(backend, 'rollout:stop', { rolloutId: slow.rolloutId })).toEqual({ rolloutId: slow.rolloutId, stopped: false });
    const unknown = await backend.invoke('rollout:stop', { rolloutId: 'ro-nope' });
    expect(!unknown.ok && unknown.error.code).toBe('not_found');
  });

  it('caps concurrent rollouts and refuses runs and checkpoints that do not exist', async () => {
    const a = await call<RolloutStarted>(backend, 'rollout:start', { id: cartpole.id, checkpointStep: 2048, seed: 1, fps: 2 });
    const b = await call<RolloutStarted>(backend, 'rollout:start', { id: pendulum.id, checkpointStep: pendulum.steps.at(-1), seed: 1, fps: 2 });
    const third = await backend.invoke('rollout:start', { id: cartpole.id, checkpointStep: 2048, seed: 2 });
    expect(!third.ok && third.error).toMatchObject({ code: 'conflict', message: expect.stringMatching(/at most 2/) });
    await call(backend, 'rollout:stop', { rolloutId: a.rolloutId });
    await call(backend, 'rollout:stop', { rolloutId: b.rolloutId });
    await log.wait('rollout:end', (e) => e.rolloutId === a.rolloutId);
    await log.wait('rollout:end', (e) => e.rolloutId === b.rolloutId);

    const steps = (await listCheckpoints(cartpole.runDir)).map((c) => c.step);
    const missing = await backend.invoke('rollout:start', { id: cartpole.id, checkpointStep: 77, seed: 1 });
    expect(!missing.ok && missing.error).toMatchObject({ code: 'not_found', message: expect.stringContaining(`${steps[0]}`) });
    const noRun = await backend.invoke('rollout:start', { id: 'nope', checkpointStep: 0, seed: 1 });
    expect(!noRun.ok && noRun.error.code).toBe('not_found');
    const noActor = await backend.invoke('rollout:start', { id: cartpole.id, checkpointStep: 9_999_999, seed: 1 });
    expect(!noActor.ok && noActor.error.message).toMatch(/cannot roll out this checkpoint: .*no actor model/);
    expect(backend.rollouts.activeCount).toBe(0);
  });
});
