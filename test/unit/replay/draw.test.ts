import { describe, expect, it } from 'vitest';
import { drawState, REPLAY_PALETTES } from '../../../renderer/src/replay/draw.js';
import { describeAction, REPLAY_ENV_IDS, replayFps } from '../../../renderer/src/replay/envs.js';
import type { Canvas2D } from '../../../renderer/src/replay/types.js';
import { contrastRatio } from '../../../renderer/src/analysis/colours.js';

/** A LunarLander state (33 numbers): the helipad flat between x = 8 and 12, the lander at (x, y) tilted by `angle`. */
function landerState(x = 10, y = 8, angle = 0.2): number[] {
  const terrain = [2.1, 4.4, 3.0, 3.4, 10 / 3, 10 / 3, 10 / 3, 3.5, 1.2, 2.8, 4.0];
  const body = (dx: number, dy: number, a: number) => [x + dx, y + dy, a, 0.1, -0.5, 0];
  return [...terrain, ...body(0, 0, angle), ...body(-0.6, -0.55, angle + 0.3), ...body(0.6, -0.55, angle - 0.3), 0, 0, 0, -80];
}

type Call = { op: string; args: number[]; fill?: unknown; stroke?: unknown };

/** A 2D context that records what would be drawn. */
class RecordingContext implements Canvas2D {
  fillStyle: unknown = '#000000';
  strokeStyle: unknown = '#000000';
  lineWidth = 1;
  lineCap = 'butt';
  lineJoin = 'miter';
  calls: Call[] = [];
  depth = 0;
  #path: number[][] = [];
  paths: { points: number[][]; fill?: unknown; stroke?: unknown }[] = [];
  save() { this.depth++; }
  restore() { this.depth--; }
  beginPath() { this.#path = []; }
  closePath() {}
  moveTo(x: number, y: number) { this.#path.push([x, y]); }
  lineTo(x: number, y: number) { this.#path.push([x, y]); }
  arc(x: number, y: number, r: number, a0: number, a1: number) {
    this.calls.push({ op: 'arc', args: [x, y, r, a0, a1] });
    this.#path.push([x, y]);
  }
  fill() { this.paths.push({ points: this.#path, fill: this.fillStyle }); }
  stroke() { this.paths.push({ points: this.#path, stroke: this.strokeStyle }); }
  fillRect(x: number, y: number, w: number, h: number) { this.calls.push({ op: 'fillRect', args: [x, y, w, h], fill: this.fillStyle }); }
  setLineDash() {}
}

describe('drawState', () => {
  it('clears to the theme background and balances save/restore', () => {
    for (const dark of [false, true]) {
      const ctx = new RecordingContext();
      drawState(ctx, 'CartPole-v1', [0, 0, 0.1, 0], { width: 320, height: 200, dark });
      expect(ctx.calls[0]).toEqual({ op: 'fillRect', args: [0, 0, 320, 200], fill: REPLAY_PALETTES[dark ? 'dark' : 'light'].background });
      expect(ctx.depth).toBe(0);
    }
  });

  it('draws every env with finite coordinates inside the canvas', () => {
    const states: Record<string, number[]> = {
      'CartPole-v1': [0.5, 0.1, -0.2, 0],
      'Acrobot-v1': [2.0, -1.0, 0, 0],
      'MountainCar-v0': [-0.5, 0.01],
      'MountainCarContinuous-v0': [0.3, 0.02],
      'Pendulum-v1': [1.0, 0.5],
      'LunarLander-v2': landerState(),
      'LunarLanderContinuous-v2': landerState(4, 6, -0.4),
      'InvertedPendulum-v4': [0.9, -0.3, 0.1, 0.2],
      'HalfCheetah-v4': [12.5, 0.1, 0.4, -0.5, 0.7, 0.3, 0.6, -1, 0.4, ...new Array(9).fill(0.5)],
      'Hopper-v4': [-3.2, 1.4, -0.3, -0.8, -1.2, 0.6, ...new Array(6).fill(-0.2)],
    };
    const actions: Record<string, number | number[]> = {
      'Pendulum-v1': 1.5,
      'LunarLanderContinuous-v2': [0.5, -0.8],
      'InvertedPendulum-v4': [3],
      'HalfCheetah-v4': [1, -1, 0.5, 0, 0.2, -0.3],
      'Hopper-v4': [1, -1, 0.5],
    };
    for (const id of REPLAY_ENV_IDS) {
      const ctx = new RecordingContext();
      drawState(ctx, id, states[id], { width: 400, height: 300, action: actions[id] ?? 1 });
      expect(ctx.paths.length, id).toBeGreaterThan(2);
      for (const path of ctx.paths) {
        for (const [x, y] of path.points) {
          expect(Number.isFinite(x) && Number.isFinite(y), id).toBe(true);
          expect(x, id).toBeGreaterThanOrEqual(-1);
          expect(x, id).toBeLessThanOrEqual(401);
          expect(y, id).toBeGreaterThanOrEqual(-1);
          expect(y, id).toBeLessThanOrEqual(301);
        }
      }
    }
  });

  it('moves the drawing when the state changes', () => {
    const a = new RecordingContext();
    const b = new RecordingContext();
    drawState(a, 'Pendulum-v1', [0, 0], { width: 200, height: 200 });
    drawState(b, 'Pendulum-v1', [0.5, 0], { width: 200, height: 200 });
    expect(b.paths[0].points).not.toEqual(a.paths[0].points);
  });

  it('fills the CartPole pole with the pole colour', () => {
    const ctx = new RecordingContext();
    drawState(ctx, 'CartPole-v1', [0, 0, 0, 0], { width: 600, height: 400 });
    const pole = ctx.paths.find((p) => p.fill === REPLAY_PALETTES.light.pole);
    expect(pole?.points).toHaveLength(4);
  });

  it('draws the LunarLander hull where the state puts it, turned by its angle', () => {
    const hullOf = (state: number[]) => {
      const ctx = new RecordingContext();
      drawState(ctx, 'LunarLander-v2', state, { width: 600, height: 400 });
      const hulls = ctx.paths.filter((p) => p.fill === REPLAY_PALETTES.light.hull && p.points.length === 6);
      expect(hulls).toHaveLength(1);
      return hulls[0].points;
    };
    const level = hullOf(landerState(10, 8, 0));
    // 600×400 is Gymnasium's screen (30 px per unit, y down): the hull's top corners (±14, 17) px from (300, 160).
    expect(level[0][0]).toBeCloseTo(300 - 14, 9);
    expect(level[0][1]).toBeCloseTo(400 - 8 * 30 - 17, 9);
    const moved = hullOf(landerState(12, 5, 0));
    for (const [i, [x, y]] of moved.entries()) {
      expect(x - level[i][0]).toBeCloseTo(60, 9);
      expect(y - level[i][1]).toBeCloseTo(90, 9);
    }
    // Turned a quarter counter-clockwise: body +y (up) points to screen left.
    const turned = hullOf(landerState(10, 8, Math.PI / 2));
    expect(turned[0][0]).toBeCloseTo(300 - 17, 9);
    expect(turned[0][1]).toBeCloseTo(160 + 14, 9);
  });

  it('draws an engine flame only when an engine fires, on the side that fires', () => {
    const flames = (id: string, action: number | number[] | null) => {
      const ctx = new RecordingContext();
      drawState(ctx, id, landerState(10, 8, 0), { width: 600, height: 400, action });
      return ctx.paths.filter((p) => p.fill === REPLAY_PALETTES.light.flame).map((p) => p.points);
    };
    expect(flames('LunarLander-v2', null)).toEqual([]);
    expect(flames('LunarLander-v2', 0)).toEqual([]);
    // Main: under the hull (its bottom at y = 160 + 10), pointing down.
    const [main] = flames('LunarLander-v2', 2);
    expect(Math.max(...main.map(([, y]) => y))).toBeCloseTo(170 + 24, 9);
    expect(main.every(([x]) => Math.abs(x - 300) <= 6)).toBe(true);
    // 1 (direction −1): the nozzle 12 px right of the centre, 14 px up, particles flying right; 3 the mirror image.
    const [left] = flames('LunarLander-v2', 1);
    expect(Math.max(...left.map(([x]) => x))).toBeCloseTo(312 + 24, 9);
    expect(Math.min(...left.map(([x]) => x))).toBeCloseTo(312, 9);
    const [right] = flames('LunarLander-v2', 3);
    expect(Math.min(...right.map(([x]) => x))).toBeCloseTo(288 - 24, 9);
    // Continuous: main fires above 0 (throttle 50–100 %), a side engine past |lateral| 0.5.
    expect(flames('LunarLanderContinuous-v2', [0, 0.5])).toEqual([]);
    expect(flames('LunarLanderContinuous-v2', [-1, 0.4])).toEqual([]);
    const [half] = flames('LunarLanderContinuous-v2', [0.01, 0]);
    expect(Math.max(...half.map(([, y]) => y))).toBeCloseTo(170 + 24 * 0.505, 9);
    const both = flames('LunarLanderContinuous-v2', [1, 0.75]);
    expect(both).toHaveLength(2);
    expect(Math.min(...both[1].map(([x]) => x))).toBeCloseTo(288 - 24 * 0.75, 9);
  });

  it('draws the MuJoCo bodies as round-capped strokes in their part colours, the torso on top', () => {
    const P = REPLAY_PALETTES.light;
    const strokes = (id: string, state: number[], action?: number[]) => {
      const ctx = new RecordingContext();
      drawState(ctx, id, state, { width: 480, height: 320, action });
      return ctx.paths.filter((p) => p.stroke !== undefined).map((p) => p.stroke);
    };
    const cheetah = strokes('HalfCheetah-v4', new Array(18).fill(0));
    // Floor line, then six limb capsules, then the torso and the head.
    expect(cheetah).toEqual([P.ink, P.limb, P.shin, P.shin, P.limb, P.shin, P.shin, P.torso, P.head]);
    expect(strokes('Hopper-v4', [0, 1.25, 0, 0, 0, 0, ...new Array(6).fill(0)])).toEqual([P.ink, P.limb, P.shin, P.shin, P.torso]);
    expect(strokes('InvertedPendulum-v4', [0, 0, 0, 0])).toEqual([P.rail, P.cart, P.link]);
    // A push arrow (its shaft a stroke) only when the force is not zero.
    expect(strokes('InvertedPendulum-v4', [0, 0, 0, 0], [-2])).toEqual([P.rail, P.cart, P.link, P.action]);
    expect(strokes('InvertedPendulum-v4', [0, 0, 0, 0], [0])).toEqual([P.rail, P.cart, P.link]);
  });

  it('rejects unknown envs and short states by name', () => {
    const ctx = new RecordingContext();
    expect(() => drawState(ctx, 'LunarLander-v3', [0], { width: 10, height: 10 })).toThrow('no replay renderer for env "LunarLander-v3"');
    expect(() => drawState(ctx, 'Pendulum-v1', [0], { width: 10, height: 10 })).toThrow('Pendulum-v1 state must have 2 numbers, got 1');
  });

  it('keeps every drawn colour readable on what it is drawn on (≥ 2:1; ink ≥ 7:1)', () => {
    // LunarLander draws on its own black sky (as Gymnasium does); the flags are drawn there and by MountainCar.
    const onSky = new Set(['moon', 'hull', 'hullEdge', 'flame']);
    for (const palette of Object.values(REPLAY_PALETTES)) {
      for (const [name, colour] of Object.entries(palette)) {
        if (name === 'background' || name === 'sky') continue;
        const grounds = name === 'flag' ? [palette.sky, palette.background] : onSky.has(name) ? [palette.sky] : [palette.background];
        for (const ground of grounds) expect(contrastRatio(colour, ground), name).toBeGreaterThanOrEqual(name === 'ink' ? 7 : 2);
      }
      // A landed lander stands on the ground.
      expect(contrastRatio(palette.hull, palette.moon), 'hull on moon').toBeGreaterThanOrEqual(2);
    }
  });
});

describe('env metadata', () => {
  it('uses Gymnasium render_fps and readable action names', () => {
    expect(replayFps('CartPole-v1')).toBe(50);
    expect(replayFps('Unknown-v0')).toBe(30);
    expect(describeAction('CartPole-v1', 1)).toBe('1 (push right)');
    expect(describeAction('MountainCar-v0', 0)).toBe('0 (accelerate left)');
    expect(describeAction('Pendulum-v1', [-1.23456])).toBe('torque −1.235');
    expect(describeAction('MountainCarContinuous-v0', 0.5)).toBe('force 0.5');
    expect(describeAction('CartPole-v1', null)).toBe('—');
    expect(replayFps('LunarLander-v2')).toBe(50);
    expect(describeAction('LunarLander-v2', 2)).toBe('2 (main engine)');
    expect(describeAction('LunarLanderContinuous-v2', [0.7341, -0.6])).toBe('main 0.734, lateral −0.6');
    expect(replayFps('InvertedPendulum-v4')).toBe(25);
    expect(replayFps('HalfCheetah-v4')).toBe(20);
    expect(replayFps('Hopper-v4')).toBe(125);
    expect(describeAction('InvertedPendulum-v4', [-2.5])).toBe('force −2.5');
    expect(describeAction('Hopper-v4', [0.1, -1, 0])).toBe('thigh 0.1, leg −1, foot 0');
    expect(describeAction('HalfCheetah-v4', [1, 0, 0, 0, 0, -0.25])).toBe('bthigh 1, bshin 0, bfoot 0, fthigh 0, fshin 0, ffoot −0.25');
  });
});
