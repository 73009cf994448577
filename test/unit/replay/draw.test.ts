import { describe, expect, it } from 'vitest';
import { drawState, REPLAY_PALETTES } from '../../../renderer/src/replay/draw.js';
import { describeAction, REPLAY_ENV_IDS, replayFps } from '../../../renderer/src/replay/envs.js';
import type { Canvas2D } from '../../../renderer/src/replay/types.js';
import { contrastRatio } from '../../../renderer/src/analysis/colours.js';

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
    };
    for (const id of REPLAY_ENV_IDS) {
      const ctx = new RecordingContext();
      drawState(ctx, id, states[id], { width: 400, height: 300, action: id === 'Pendulum-v1' ? 1.5 : 1 });
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

  it('rejects unknown envs and short states by name', () => {
    const ctx = new RecordingContext();
    expect(() => drawState(ctx, 'LunarLander-v3', [0], { width: 10, height: 10 })).toThrow('no replay renderer for env "LunarLander-v3"');
    expect(() => drawState(ctx, 'Pendulum-v1', [0], { width: 10, height: 10 })).toThrow('Pendulum-v1 state must have 2 numbers, got 1');
  });

  it('keeps every drawn colour readable on its background (≥ 2:1; ink ≥ 7:1)', () => {
    for (const palette of Object.values(REPLAY_PALETTES)) {
      for (const [name, colour] of Object.entries(palette)) {
        if (name === 'background') continue;
        expect(contrastRatio(colour, palette.background), name).toBeGreaterThanOrEqual(name === 'ink' ? 7 : 2);
      }
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
  });
});
