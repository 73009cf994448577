/**
 * The renderer keeps its own copy of LunarLander's constants and state labels (core/envs/box2d/lunar-lander.ts pulls
 * in planck, which the renderer bundle must not): this pins the copies to the core's exports.
 */
import { describe, expect, it } from 'vitest';
import { CHUNKS, HELIPAD_X1, HELIPAD_X2, HELIPAD_Y, LANDER_H, LANDER_OUTLINE, LANDER_STATE_SIZE, LANDER_W, LEG_HALF, S, STATE_LABELS } from '../../../core/envs/box2d/lunar-lander.js';
import { makeEnv } from '../../../core/envs/index.js';
import { REPLAY_ENVS } from '../../../renderer/src/replay/envs.js';
import { LUNAR_LANDER } from '../../../renderer/src/replay/geometry.js';

describe('LunarLander constants in the renderer', () => {
  it('equal the core env’s', () => {
    const L = LUNAR_LANDER;
    expect(L.chunks).toBe(CHUNKS);
    expect(L.worldWidth).toBeCloseTo(LANDER_W, 12);
    expect(L.worldHeight).toBeCloseTo(LANDER_H, 12);
    expect(L.helipadX1).toBeCloseTo(HELIPAD_X1, 12);
    expect(L.helipadX2).toBeCloseTo(HELIPAD_X2, 12);
    expect(L.helipadY).toBeCloseTo(HELIPAD_Y, 12);
    expect(L.outline).toEqual(LANDER_OUTLINE);
    expect(L.legHalf).toEqual(LEG_HALF);
    expect(L.at).toEqual({ lander: S.lander, leg0: S.leg0, leg1: S.leg1 });
    expect(L.stateSize).toBe(LANDER_STATE_SIZE);
    expect(L.screenWidth / L.scale).toBeCloseTo(LANDER_W, 12);
  });

  it('label and size the state the env records', () => {
    for (const id of ['LunarLander-v2', 'LunarLanderContinuous-v2'] as const) {
      expect(REPLAY_ENVS[id].stateLabels).toEqual(STATE_LABELS);
      expect(REPLAY_ENVS[id].stateSize).toBe(LANDER_STATE_SIZE);
      const env = makeEnv(id, { seed: 3 });
      env.reset(3);
      expect(env.getState()).toHaveLength(LANDER_STATE_SIZE);
    }
  });
});
