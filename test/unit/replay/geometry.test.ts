import { describe, expect, it } from 'vitest';
import {
  acrobotGeometry,
  cartPoleGeometry,
  fitViewport,
  mountainCarGeometry,
  mountainCarGoal,
  mountainHeight,
  pendulumGeometry,
  rotate,
  toCanvas,
} from '../../../renderer/src/replay/geometry.js';

const close = (a: number, b: number, digits = 9) => expect(a).toBeCloseTo(b, digits);

describe('viewport', () => {
  it('fits the virtual screen with a uniform scale, centred, y flipped', () => {
    const vp = fitViewport(300, 300, 600, 400); // width-limited: scale 0.5, 200 px tall, 50 px bars
    expect(vp.scale).toBe(0.5);
    expect(vp.offsetX).toBe(0);
    expect(vp.offsetY).toBe(50);
    expect(toCanvas(vp, 0, 0)).toEqual({ x: 0, y: 250 });
    expect(toCanvas(vp, 600, 400)).toEqual({ x: 300, y: 50 });
    expect(() => fitViewport(0, 10, 1, 1)).toThrow('canvas size must be positive, got 0×10');
  });

  it('rotates counter-clockwise in y-up space', () => {
    const [x, y] = rotate(1, 0, Math.PI / 2);
    close(x, 0);
    close(y, 1);
  });
});

describe('CartPole geometry (Gymnasium 600×400 screen)', () => {
  it('centres the cart at x = 0 and stands the pole straight up at theta = 0', () => {
    const g = cartPoleGeometry([0, 0, 0, 0], 600, 400);
    expect(g.axle).toEqual({ x: 300, y: 400 - 107.5 }); // carty 100 + cartheight/4
    // pole length = scale(125 px/m) × 2 × 0.5 m = 125 px straight up
    close(g.poleTip.x, 300);
    close(g.poleTip.y, 400 - 107.5 - 125);
    expect(g.track[0].y).toBe(300);
    expect(g.cart.map((p) => p.x)).toEqual([275, 275, 325, 325]);
  });

  it('puts the cart at the screen edge at x = ±x_threshold and leans the pole right for theta > 0', () => {
    expect(cartPoleGeometry([2.4, 0, 0, 0], 600, 400).axle.x).toBe(600);
    expect(cartPoleGeometry([-2.4, 0, 0, 0], 600, 400).axle.x).toBe(0);
    const g = cartPoleGeometry([0, 0, Math.PI / 6, 0], 600, 400);
    close(g.poleTip.x, 300 + 125 * Math.sin(Math.PI / 6));
    close(g.poleTip.y, 292.5 - 125 * Math.cos(Math.PI / 6));
  });

  it('scales to the canvas', () => {
    const g = cartPoleGeometry([1, 0, 0, 0], 300, 200);
    expect(g.viewport.scale).toBe(0.5);
    expect(g.axle.x).toBe(150 + 125 * 0.5);
    expect(g.axleRadius).toBe(2.5);
  });

  it('names the env and the expected size for a short state', () => {
    expect(() => cartPoleGeometry([0, 0], 600, 400)).toThrow('CartPole-v1 state must have 4 numbers, got 2');
  });
});

describe('Acrobot geometry (500×500, links of length 1, bound 2.2)', () => {
  const s = 500 / 4.4;
  it('hangs straight down at rest', () => {
    const g = acrobotGeometry([0, 0, 0, 0], 500, 500);
    expect(g.pivot).toEqual({ x: 250, y: 250 });
    close(g.elbow.x, 250);
    close(g.elbow.y, 250 + s);
    close(g.tip.y, 250 + 2 * s);
    // target line one link length above the pivot, ±2.2 wide
    close(g.target[0].y, 250 - s);
    close(g.target[0].x, 250 - 2.2 * s);
    close(g.target[1].x, 250 + 2.2 * s);
  });

  it('swings link 1 to the right for theta1 = π/2 and folds link 2 relative to it', () => {
    const g = acrobotGeometry([Math.PI / 2, Math.PI / 2, 0, 0], 500, 500);
    close(g.elbow.x, 250 + s);
    close(g.elbow.y, 250);
    // theta1 + theta2 = π: link 2 points straight up from the elbow
    close(g.tip.x, 250 + s);
    close(g.tip.y, 250 - s);
    // link rectangle starts at the pivot and runs along the link, 0.2·s wide
    const [a, b, c] = g.links[0];
    close(Math.hypot(b.x - a.x, b.y - a.y), 0.2 * s);
    close(Math.hypot(c.x - b.x, c.y - b.y), s);
  });

  it('tip above the target line exactly when Gymnasium terminates (−cos θ1 − cos(θ1+θ2) > 1)', () => {
    for (const [t1, t2] of [[Math.PI, 0], [2.5, 0.4], [0.3, 0.2], [Math.PI / 2, 0.2]]) {
      const g = acrobotGeometry([t1, t2, 0, 0], 500, 500);
      const above = g.tip.y < g.target[0].y;
      expect(above).toBe(-Math.cos(t1) - Math.cos(t1 + t2) > 1);
    }
  });
});

describe('Mountain car geometry (600×400, positions −1.2…0.6)', () => {
  const s = 600 / 1.8;
  it('puts the hill on y = 0.45 sin(3x) + 0.55 across the full width', () => {
    const g = mountainCarGeometry([-0.5, 0], 600, 400);
    expect(g.curve).toHaveLength(100);
    close(g.curve[0].x, 0);
    close(g.curve[0].y, 400 - mountainHeight(-1.2) * s);
    close(g.curve[99].x, 600);
  });

  it('places the car on the curve, tilted by cos(3x), wheels on its base', () => {
    const pos = -0.3;
    const g = mountainCarGeometry([pos, 0], 600, 400);
    close(g.angle, Math.cos(3 * pos));
    const midBase = { x: (g.car[0].x + g.car[3].x) / 2, y: (g.car[0].y + g.car[3].y) / 2 };
    close(midBase.x, (pos + 1.2) * s);
    close(midBase.y, 400 - (10 + mountainHeight(pos) * s));
    close(Math.hypot(g.car[3].x - g.car[0].x, g.car[3].y - g.car[0].y), 40);
    // the base edge is tilted by the angle (canvas y is down)
    close(Math.atan2(-(g.car[3].y - g.car[0].y), g.car[3].x - g.car[0].x), g.angle);
    close((g.wheels[0].x + g.wheels[1].x) / 2, midBase.x);
    expect(g.wheelRadius).toBe(8);
  });

  it('plants the flag at the goal: 0.5 for v0, 0.45 for the continuous env', () => {
    expect(mountainCarGoal('MountainCar-v0')).toBe(0.5);
    expect(mountainCarGoal('MountainCarContinuous-v0')).toBe(0.45);
    const g = mountainCarGeometry([0, 0], 600, 400, 0.45);
    close(g.flagPole[0].x, (0.45 + 1.2) * s);
    close(g.flagPole[0].y, 400 - mountainHeight(0.45) * s);
    close(g.flagPole[0].y - g.flagPole[1].y, 50);
  });
});

describe('Pendulum geometry (500×500, rod length 1)', () => {
  const s = 500 / 4.4;
  it('points up at theta = 0 and turns counter-clockwise for theta > 0', () => {
    const up = pendulumGeometry([0, 0], 500, 500);
    close(up.tip.x, 250);
    close(up.tip.y, 250 - s);
    const left = pendulumGeometry([Math.PI / 2, 0], 500, 500);
    close(left.tip.x, 250 - s);
    close(left.tip.y, 250);
    const down = pendulumGeometry([Math.PI, 0], 500, 500);
    close(down.tip.y, 250 + s);
    close(up.rodWidth, 0.2 * s);
  });
});
