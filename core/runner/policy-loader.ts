/**
 * Rebuilds the acting policy of a checkpoint, for live rollouts outside training. Reads what core/algos
 * saves (core/algos/checkpoint.ts) through core/store only:
 *   models.actor   tfjs layers-model artifacts of the actor MLP → `Mlp.fromArtifacts` (plain-JS forward pass);
 *   arrays.params  the agent's flat parameter vector [actor | logStd | critic] (core/algos/model.ts) — read only
 *                  for the Gaussian log-std of continuous actions, after checking its actor block equals the
 *                  actor artifacts (so a layout change fails loudly instead of sampling with wrong noise);
 *   state.obsRms   observation statistics when the run normalised observations (frozen here, clipped to
 *                  ±config.clipObs), exactly as the loop's evaluation uses them.
 * Deterministic acting is the mode (argmax logits / Gaussian mean), as evaluation; stochastic samples from
 * the policy with the caller's Rng. Continuous actions are clipped to the bounds when config.clipActions; a checkpoint
 * whose state says `actionSquash: 'tanh'` (APG) maps the Gaussian's value into the bounds with low + (high − low)·(tanh + 1)/2.
 * A damaged checkpoint is refused, never played: the store verifies every file against the checksums saved with it
 * (core/store/checkpoints.ts), and weights that are not finite numbers are refused here too (checkpoints written
 * before checksums existed cannot be verified otherwise).
 */
import { categoricalModeJs, sampleCategoricalJs } from '../common/distributions-js.js';
import { actionDim, Mlp } from '../common/networks.js';
import { RunningMeanStd, type RunningMeanStdState } from '../common/normalizer.js';
import type { Rng } from '../common/rng.js';
import { envSpec, isEnvId, type EnvId, type Space } from '../envs/index.js';
import { DamagedFileError, loadCheckpoint, type LoadedCheckpoint, StoreError } from '../store/index.js';

/** The parts of the training loop's checkpoint state a policy needs (the rest is for resuming). */
interface PolicyState {
  env?: unknown;
  /** 'tanh': actions are squashed into the Box (core/algos/apg), not clipped. */
  actionSquash?: unknown;
  obsRms?: RunningMeanStdState | null;
}

export interface PolicySource {
  runDir: string;
  env: string;
  /** The run's stored config: clipObs and clipActions are read from it (defaults 10 and true). */
  config: Record<string, unknown>;
  step: number | 'latest';
}

export class LoadedPolicy {
  readonly envId: EnvId;
  readonly step: number;
  readonly discrete: boolean;
  readonly obsDim: number;
  /** Discrete: number of actions; Box: action size. */
  readonly numActions: number;
  readonly normalizesObs: boolean;
  readonly #actor: Mlp;
  readonly #obsRms: RunningMeanStd | null;
  readonly #logStd: Float32Array | null;
  readonly #clip: { low: Float32Array; high: Float32Array } | null;
  readonly #squash: { low: Float32Array; high: Float32Array } | null;
  readonly #input: Float32Array;
  readonly #output: Float32Array;

  constructor(args: {
    envId: EnvId;
    step: number;
    actor: Mlp;
    actionSpace: Space;
    obsRms: RunningMeanStd | null;
    logStd: Float32Array | null;
    clipActions: boolean;
    /** Squash continuous actions into the bounds with tanh (APG) instead of using them as they are. */
    squashActions?: boolean;
  }) {
    this.envId = args.envId;
    this.step = args.step;
    this.#actor = args.actor;
    this.discrete = args.actionSpace.kind === 'discrete';
    this.numActions = actionDim(args.actionSpace);
    this.obsDim = args.actor.spec.inputDim;
    this.#obsRms = args.obsRms;
    this.normalizesObs = args.obsRms !== null;
    this.#logStd = args.logStd;
    const space = args.actionSpace;
    this.#clip = space.kind === 'box' && args.clipActions ? { low: space.low, high: space.high } : null;
    this.#squash = space.kind === 'box' && args.squashActions === true ? { low: space.low, high: space.high } : null;
    this.#input = new Float32Array(this.obsDim);
    this.#output = new Float32Array(this.numActions);
  }

  /** Whether stochastic acting is possible (continuous policies need the log-std from the checkpoint). */
  get canSample(): boolean {
    return this.discrete || this.#logStd !== null;
  }

  /** The env action for one observation: an integer (discrete) or a vector (continuous). */
  act(obs: ArrayLike<number>, deterministic: boolean, rng: Rng): number | number[] {
    if (obs.length !== this.obsDim) throw new Error(`policy expects observations of ${this.obsDim} values, got ${obs.length}`);
    const x = this.#input;
    for (let i = 0; i < x.length; i++) x[i] = obs[i];
    this.#obsRms?.normalize(x);
    const out = this.#actor.forwardJs(x, 1, this.#output);
    const n = this.numActions;
    if (this.discrete) return deterministic ? categoricalModeJs(out, 0, n) : sampleCategoricalJs(out, 0, n, rng);
    if (!deterministic && !this.#logStd) {
      throw new Error(`the checkpoint at step ${this.step} has no log-std for sampling continuous actions; act deterministically`);
    }
    const action = new Array<number>(n);
    for (let j = 0; j < n; j++) {
      let a = deterministic ? out[j] : out[j] + Math.exp(this.#logStd![j]) * rng.normal();
      if (this.#squash) a = this.#squash.low[j] + (this.#squash.high[j] - this.#squash.low[j]) * (Math.tanh(a) + 1) / 2;
      if (this.#clip) a = Math.min(this.#clip.high[j], Math.max(this.#clip.low[j], a));
      action[j] = a;
    }
    return action;
  }

  dispose(): void {
    this.#actor.dispose();
  }
}

function numberOr(value: unknown, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : fallback;
}

/**
 * The actor block of `params` must equal the actor artifacts' weights (kernel row-major, then bias, layer by
 * layer); then the Box log-std follows it. Returns null when the vector does not have that layout.
 */
function logStdFromParams(params: unknown, actor: Mlp, actDim: number): Float32Array | null {
  if (!(params instanceof Float32Array)) return null;
  const weights = actor.getWeights();
  let offset = 0;
  for (const w of weights) {
    if (offset + w.length > params.length) return null;
    for (let i = 0; i < w.length; i++) if (params[offset + i] !== w[i]) return null;
    offset += w.length;
  }
  if (offset + actDim > params.length) return null;
  return params.slice(offset, offset + actDim);
}

/** The checkpoint, every file verified; damage becomes an error naming the checkpoint and the file. */
async function loadVerified(source: PolicySource): Promise<LoadedCheckpoint<PolicyState>> {
  try {
    return await loadCheckpoint<PolicyState>(source.runDir, source.step);
  } catch (error) {
    if (error instanceof DamagedFileError) {
      throw new Error(`refusing to play the checkpoint at step ${String(source.step)}: ${error.file} is damaged (${error.reason})`, { cause: error });
    }
    if (error instanceof StoreError && error.code === 'CORRUPT') throw new Error(`refusing to play a damaged checkpoint: ${error.message}`, { cause: error });
    throw error;
  }
}

/** Loads the policy of checkpoint `step` of a run; errors name the checkpoint and what is missing. */
export async function loadPolicy(source: PolicySource): Promise<LoadedPolicy> {
  if (!isEnvId(source.env)) throw new Error(`unknown env ${JSON.stringify(source.env)}`);
  const envId = source.env;
  const ckpt = await loadVerified(source);
  const where = `the checkpoint at step ${ckpt.step}`;
  const artifacts = ckpt.models?.actor;
  if (!artifacts) throw new Error(`${where} has no actor model (models: ${Object.keys(ckpt.models ?? {}).join(', ') || 'none'})`);
  const state: PolicyState = ckpt.state && typeof ckpt.state === 'object' ? ckpt.state : {};
  if (typeof state.env === 'string' && state.env !== envId) throw new Error(`${where} was trained on ${state.env}, not ${envId}`);
  const spec = envSpec(envId);
  const actor = Mlp.fromArtifacts(artifacts);
  try {
    const bad = actor.getWeights().findIndex((w) => w.some((x) => !Number.isFinite(x)));
    if (bad >= 0) {
      throw new Error(`refusing to play ${where}: ${ckpt.dir}/actor/weights.bin holds non-finite weights (tensor ${bad}); it is damaged or training diverged`);
    }
    const outputs = actionDim(spec.actionSpace);
    if (actor.spec.inputDim !== spec.obsDim || actor.spec.outputDim !== outputs) {
      throw new Error(
        `${where}: the actor maps ${actor.spec.inputDim} → ${actor.spec.outputDim}, but ${envId} needs ${spec.obsDim} → ${outputs}`,
      );
    }
    let obsRms: RunningMeanStd | null = null;
    if (state.obsRms) {
      obsRms = new RunningMeanStd(spec.obsDim, { clip: numberOr(source.config.clipObs, 10) });
      obsRms.setState(state.obsRms);
    } else if (source.config.normalizeObs === true) {
      throw new Error(`${where} has no observation statistics, but the run normalised observations`);
    }
    const logStd = spec.actionSpace.kind === 'box' ? logStdFromParams(ckpt.arrays?.params, actor, outputs) : null;
    return new LoadedPolicy({
      envId,
      step: ckpt.step,
      actor,
      actionSpace: spec.actionSpace,
      obsRms,
      logStd,
      clipActions: source.config.clipActions !== false,
      squashActions: state.actionSquash === 'tanh',
    });
  } catch (error) {
    actor.dispose();
    throw error;
  }
}
