/**
 * Builders and checks for the two space kinds (Gymnasium's `Discrete` and float32 `Box`),
 * plus the action validation every env and the vector env share, so errors read the same everywhere:
 * `CartPole-v1: action must be an integer in [0, 2), got 3`.
 */
import type { Action, BoxSpace, DiscreteSpace, Space } from './env.js';

export function discreteSpace(n: number): DiscreteSpace {
  if (!Number.isInteger(n) || n <= 0) throw new Error(`Discrete space needs a positive integer n, got ${n}`);
  return Object.freeze({ kind: 'discrete', n });
}

/** A float32 Box (bounds are rounded to float32, as numpy does for `Box(..., dtype=np.float32)`). */
export function boxSpace(low: readonly number[], high: readonly number[]): BoxSpace {
  if (low.length !== high.length) {
    throw new Error(`Box bounds must have the same length, got low ${low.length} and high ${high.length}`);
  }
  const lowF = Float32Array.from(low);
  const highF = Float32Array.from(high);
  for (let i = 0; i < lowF.length; i++) {
    if (!(lowF[i] <= highF[i])) throw new Error(`Box bound ${i}: low ${low[i]} must be <= high ${high[i]}`);
  }
  return Object.freeze({ kind: 'box', shape: Object.freeze([low.length]), low: lowF, high: highF });
}

/** Numbers one action occupies in a flat action buffer: 1 for Discrete, the Box size otherwise. */
export function actionSize(space: Space): number {
  return space.kind === 'discrete' ? 1 : space.shape.reduce((a, b) => a * b, 1);
}

/** Gymnasium's `Space.contains`: an integer in range for Discrete; right size, finite and within bounds for Box. */
export function spaceContains(space: Space, value: Action): boolean {
  if (space.kind === 'discrete') {
    return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < space.n;
  }
  if (typeof value === 'number' || value.length !== space.low.length) return false;
  for (let i = 0; i < value.length; i++) {
    const v = Math.fround(value[i]);
    if (!(v >= space.low[i] && v <= space.high[i])) return false;
  }
  return true;
}

/** How a bad value is shown in an error message. */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (value === null || value === undefined) return String(value);
  if (ArrayBuffer.isView(value) || Array.isArray(value)) {
    const arr = value as ArrayLike<unknown>;
    const items = Array.from({ length: Math.min(arr.length, 4) }, (_, i) => String(arr[i]));
    return `an array of length ${arr.length} [${items.join(', ')}${arr.length > 4 ? ', …' : ''}]`;
  }
  return `${typeof value} ${JSON.stringify(value) ?? String(value)}`;
}

export function discreteActionMessage(who: string, n: number, value: unknown): string {
  return `${who}: action must be an integer in [0, ${n}), got ${describeValue(value)}`;
}

/** Validates a discrete action; returns it. */
export function checkDiscreteAction(who: string, n: number, action: unknown): number {
  if (typeof action !== 'number' || !Number.isInteger(action) || action < 0 || action >= n) {
    throw new Error(discreteActionMessage(who, n, action));
  }
  return action;
}

/**
 * Validates a Box action (right length, every value finite) and writes it into `out` at `offset`,
 * which rounds it to float32 — the Box's dtype, as Gymnasium's agents pass it. Out-of-bounds values are
 * allowed: the envs clip them exactly where Gymnasium does.
 */
export function checkBoxAction(who: string, space: BoxSpace, action: unknown, out: Float32Array, offset = 0): void {
  const size = space.low.length;
  const isArrayLike =
    action !== null && typeof action === 'object' && typeof (action as { length?: unknown }).length === 'number';
  if (!isArrayLike || (action as ArrayLike<unknown>).length !== size) {
    throw new Error(
      `${who}: action must be an array of ${size} finite number${size === 1 ? '' : 's'} (shape [${space.shape.join(', ')}]), got ${describeValue(action)}`,
    );
  }
  const values = action as ArrayLike<unknown>;
  for (let i = 0; i < size; i++) {
    const v = values[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`${who}: action[${i}] must be a finite number, got ${describeValue(v)}`);
    }
    out[offset + i] = v;
  }
}
