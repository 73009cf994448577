/**
 * Actions squashed into the Box: a = mid + half·tanh(z), with mid = (high + low)/2 and half = (high − low)/2. The
 * squashed action never reaches the bounds, so the env's own action clip (Pendulum's torque, Mountain Car's force)
 * stays the identity and passes the whole gradient: da/dz = half·(1 − tanh² z) > 0 everywhere. (A clipped action
 * has derivative 0 once it saturates, and a policy pushed past the bound gets no signal to come back.)
 */

/** out[i] = squash(z[i]) for n rows of `low.length` numbers; keeps tanh(z) in `tanhOut` for the VJP. */
export function squashAction(
  z: ArrayLike<number>,
  n: number,
  low: readonly number[],
  high: readonly number[],
  out: Float64Array,
  tanhOut: Float64Array,
): void {
  const d = low.length;
  for (let i = 0; i < n * d; i++) {
    const j = i % d;
    const t = Math.tanh(z[i]);
    tanhOut[i] = t;
    out[i] = (high[j] + low[j]) / 2 + ((high[j] - low[j]) / 2) * t;
  }
}

/** dz[i] = dA[i] · half·(1 − tanh²), from the `tanhOut` of the forward pass. */
export function squashActionVjp(dA: ArrayLike<number>, tanh: ArrayLike<number>, n: number, low: readonly number[], high: readonly number[], dz: Float64Array): void {
  const d = low.length;
  for (let i = 0; i < n * d; i++) {
    const j = i % d;
    dz[i] = dA[i] * ((high[j] - low[j]) / 2) * (1 - tanh[i] * tanh[i]);
  }
}
