/**
 * Return estimators over a time-major rollout: arrays of length T·numEnvs, entry `t * numEnvs + e` is
 * step t of env e. Plain JS, no tensors; sums accumulate in float64 and are stored as float32.
 *
 * What each step bootstraps from — the value of the state that follows step t, written nextValue(t) below:
 *  - `terminated[t]`            → 0 (a true end: nothing follows);
 *  - else `truncated[t]`        → `finalValues[t]` (time limit: V(final observation) — the episode would go on);
 *  - else t = T − 1             → `lastValues[e]` (the rollout stops here, the episode does not);
 *  - else                       → `values[t + 1]` (same episode, next step).
 * A terminated or truncated step ends its episode: no estimator looks past it. (Both set → terminated wins.)
 *
 * Definitions, with r_t the reward of step t and γ the discount:
 *  - discountedReturns:  G_t = r_t + γ·(continues(t) ? G_{t+1} : nextValue(t))   (reward-to-go; Monte Carlo within
 *    the episode, bootstrapped only where the data stops: truncation or rollout end. Leave finalValues/lastValues out
 *    — they default to 0 — for a pure Monte-Carlo sum.)
 *  - totalReturns:       every step of an episode segment gets G at the segment's first step
 *    (REINFORCE's "total return" weighting; a segment starts at t = 0 or after a finished episode).
 *  - nStepReturns(n):    R_t^(n) = Σ_{k<n} γ^k r_{t+k} + γ^n V(s_{t+n}), cut short at the episode/rollout end,
 *    where it bootstraps nextValue of that last step (0 when terminated).
 *  - lambdaReturns(λ):   G_t^λ = r_t + γ·(continues(t) ? (1 − λ)·values[t+1] + λ·G_{t+1}^λ : nextValue(t)),
 *    the backward form of R_t(λ) = (1 − λ) Σ_{n≥1} λ^{n−1} R_t^(n) (weights past the end fall on the full return).
 *  - gae(λ):             δ_t = r_t + γ·nextValue(t) − values[t];  A_t = δ_t + γλ·continues(t)·A_{t+1};
 *    returns = A + values (equal to lambdaReturns(λ)).
 * where continues(t) = !terminated[t] && !truncated[t] && t < T − 1.
 */

/** Inputs shared by the estimators (time-major, length T·numEnvs unless noted). */
export interface ReturnInputs {
  rewards: Float32Array;
  /** V(s_t): the critic's value of the observation at step t. */
  values: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  /** V(final observation) at truncated steps (ignored elsewhere). */
  finalValues: Float32Array;
  /** V(s_T) per env: the value of the observation after the last rollout step. Length numEnvs. */
  lastValues: Float32Array;
  numEnvs: number;
  gamma: number;
}

/** Monte-Carlo estimators need no critic: values are unused and missing bootstraps count as 0. */
export type MonteCarloInputs = Pick<ReturnInputs, 'rewards' | 'terminated' | 'truncated' | 'numEnvs' | 'gamma'> &
  Partial<Pick<ReturnInputs, 'finalValues' | 'lastValues'>>;

export interface GaeResult {
  advantages: Float32Array;
  returns: Float32Array;
}

function checkGamma(gamma: number): void {
  if (!(gamma >= 0 && gamma <= 1)) throw new Error(`returns: gamma must be in [0, 1], got ${gamma}`);
}

function checkLambda(lambda: number): void {
  if (!(lambda >= 0 && lambda <= 1)) throw new Error(`returns: lambda must be in [0, 1], got ${lambda}`);
}

/** Validates shapes and returns T. */
function stepsOf(inputs: MonteCarloInputs & { values?: Float32Array }, needsValues: boolean): number {
  const { rewards, terminated, truncated, numEnvs, finalValues, lastValues, values } = inputs;
  if (!Number.isInteger(numEnvs) || numEnvs <= 0) throw new Error(`returns: numEnvs must be a positive integer, got ${numEnvs}`);
  checkGamma(inputs.gamma);
  const len = rewards.length;
  if (len % numEnvs !== 0) throw new Error(`returns: rewards length ${len} is not a multiple of numEnvs ${numEnvs}`);
  const check = (name: string, a: { length: number } | undefined, expected: number): void => {
    if (a !== undefined && a.length !== expected) throw new Error(`returns: ${name} has length ${a.length}, expected ${expected}`);
  };
  check('terminated', terminated, len);
  check('truncated', truncated, len);
  check('finalValues', finalValues, len);
  check('lastValues', lastValues, numEnvs);
  if (needsValues) {
    if (values === undefined) throw new Error('returns: values are required for this estimator');
    if (finalValues === undefined) throw new Error('returns: finalValues are required for this estimator');
    if (lastValues === undefined) throw new Error('returns: lastValues are required for this estimator');
    check('values', values, len);
  }
  return len / numEnvs;
}

function output(out: Float32Array | undefined, len: number, name: string): Float32Array {
  if (out === undefined) return new Float32Array(len);
  if (out.length !== len) throw new Error(`returns: ${name} output has length ${out.length}, expected ${len}`);
  return out;
}

/** Bootstrap value after step i (time t, env e) when the episode does not continue inside the rollout. */
function endValue(inputs: MonteCarloInputs, i: number, t: number, T: number, e: number): number {
  if (inputs.terminated[i]) return 0;
  if (inputs.truncated[i]) return inputs.finalValues ? inputs.finalValues[i] : 0;
  if (t === T - 1) return inputs.lastValues ? inputs.lastValues[e] : 0;
  throw new Error('unreachable: endValue called on a continuing step');
}

function continues(inputs: MonteCarloInputs, i: number, t: number, T: number): boolean {
  return t < T - 1 && !inputs.terminated[i] && !inputs.truncated[i];
}

/** Reward-to-go G_t (see the module comment). */
export function discountedReturns(inputs: MonteCarloInputs, out?: Float32Array): Float32Array {
  const T = stepsOf(inputs, false);
  return discountedInto(inputs, T, output(out, inputs.rewards.length, 'discountedReturns'));
}

function discountedInto<A extends Float32Array | Float64Array>(inputs: MonteCarloInputs, T: number, result: A): A {
  const { numEnvs: N, gamma, rewards } = inputs;
  for (let e = 0; e < N; e++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + e;
      const g = rewards[i] + gamma * (continues(inputs, i, t, T) ? next : endValue(inputs, i, t, T, e));
      result[i] = g;
      next = g;
    }
  }
  return result;
}

/** Every step of an episode segment gets the segment's G_0 (see the module comment). */
export function totalReturns(inputs: MonteCarloInputs, out?: Float32Array): Float32Array {
  const T = stepsOf(inputs, false);
  const N = inputs.numEnvs;
  const g = discountedInto(inputs, T, new Float64Array(inputs.rewards.length));
  const result = output(out, inputs.rewards.length, 'totalReturns');
  for (let e = 0; e < N; e++) {
    let start = g[e];
    for (let t = 0; t < T; t++) {
      const i = t * N + e;
      result[i] = start;
      if (!continues(inputs, i, t, T) && t < T - 1) start = g[i + N];
    }
  }
  return result;
}

/** n-step bootstrapped returns R_t^(n), cut short at episode or rollout end. O(T·n). */
export function nStepReturns(inputs: ReturnInputs, n: number, out?: Float32Array): Float32Array {
  const T = stepsOf(inputs, true);
  if (!Number.isInteger(n) || n < 1) throw new Error(`nStepReturns: n must be a positive integer, got ${n}`);
  const { numEnvs: N, gamma, rewards, values } = inputs;
  const result = output(out, rewards.length, 'nStepReturns');
  for (let e = 0; e < N; e++) {
    for (let t = 0; t < T; t++) {
      let sum = 0;
      let discount = 1;
      for (let k = 0; ; k++) {
        const s = t + k;
        const i = s * N + e;
        sum += discount * rewards[i];
        discount *= gamma;
        if (!continues(inputs, i, s, T)) {
          sum += discount * endValue(inputs, i, s, T, e);
          break;
        }
        if (k === n - 1) {
          sum += discount * values[i + N];
          break;
        }
      }
      result[t * N + e] = sum;
    }
  }
  return result;
}

/** λ-returns by the backward recursion (see the module comment). λ = 0: one-step TD targets; λ = 1: reward-to-go. */
export function lambdaReturns(inputs: ReturnInputs, lambda: number, out?: Float32Array): Float32Array {
  const T = stepsOf(inputs, true);
  checkLambda(lambda);
  const { numEnvs: N, gamma, rewards, values } = inputs;
  const result = output(out, rewards.length, 'lambdaReturns');
  for (let e = 0; e < N; e++) {
    let next = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + e;
      const tail = continues(inputs, i, t, T)
        ? (1 - lambda) * values[i + N] + lambda * next
        : endValue(inputs, i, t, T, e);
      next = rewards[i] + gamma * tail;
      result[i] = next;
    }
  }
  return result;
}

/**
 * Generalized Advantage Estimation (Schulman et al., 2016). `returns = advantages + values` are the critic's
 * targets. Pass `out` to write into existing buffers (e.g. a RolloutBuffer's advantages/returns).
 */
export function gae(inputs: ReturnInputs, lambda: number, out?: Partial<GaeResult>): GaeResult {
  const T = stepsOf(inputs, true);
  checkLambda(lambda);
  const { numEnvs: N, gamma, rewards, values } = inputs;
  const advantages = output(out?.advantages, rewards.length, 'gae advantages');
  const returns = output(out?.returns, rewards.length, 'gae returns');
  for (let e = 0; e < N; e++) {
    let nextAdv = 0;
    for (let t = T - 1; t >= 0; t--) {
      const i = t * N + e;
      const cont = continues(inputs, i, t, T);
      const nextValue = cont ? values[i + N] : endValue(inputs, i, t, T, e);
      const delta = rewards[i] + gamma * nextValue - values[i];
      const adv = delta + (cont ? gamma * lambda * nextAdv : 0);
      advantages[i] = adv;
      returns[i] = adv + values[i];
      nextAdv = adv;
    }
  }
  return { advantages, returns };
}

/**
 * Advantage normalisation in place: (x − mean) / (std + eps) with the sample (n − 1) std, as CleanRL and SB3
 * do with torch's `std()`. With fewer than two entries it only subtracts the mean.
 */
export function normalizeInPlace(x: Float32Array, eps = 1e-8): Float32Array {
  const n = x.length;
  if (n === 0) return x;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += x[i];
  mean /= n;
  let v = 0;
  for (let i = 0; i < n; i++) v += (x[i] - mean) ** 2;
  const std = n > 1 ? Math.sqrt(v / (n - 1)) : 0;
  const inv = 1 / (std + eps);
  for (let i = 0; i < n; i++) x[i] = (x[i] - mean) * inv;
  return x;
}
