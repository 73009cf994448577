/**
 * The MuJoCo physics behind Gymnasium's MuJoCo tasks: Google DeepMind's official WebAssembly build
 * (`@mujoco/mujoco`, MuJoCo 3.x compiled with Emscripten), loaded once per process, and `MujocoCore`, the
 * `EnvCore` base the tasks share.
 *
 * - **Loading is asynchronous** (an Emscripten module can only be instantiated with `await`), and an `EnvCore`
 *   is synchronous. Every process that makes a MuJoCo env first awaits `loadMujoco()` (through the registry's
 *   `prepareEnv(id)`); after that, envs are made and stepped synchronously. Making one before gives an error
 *   that says so.
 * - **State** lives in the env's slot, never in MuJoCo: a slot holds Gymnasium's `state_vector()` (qpos, then
 *   qvel) followed by the solver's warm start (`qacc_warmstart`, hidden). Before each step the core writes the
 *   slot into one shared `mjData` per model and reads it back after; this is all of MuJoCo's physics state for
 *   these models (no actuator activations, mocap bodies or applied forces), so a vector env's copies share one
 *   `mjData`, and a snapshot restores an episode bit for bit without replaying it.
 * - **Step** follows Gymnasium 0.29.1's `MujocoEnv.do_simulation`: `ctrl[:] = action`, then `frame_skip` calls of
 *   `mj_step`. MuJoCo clamps the controls to each actuator's `ctrlrange` itself; the tasks' control costs use the
 *   action as given, as Gymnasium's do. (Gymnasium then calls `mj_rnePostConstraint`, which only fills
 *   `cacc`/`cfrc_*` for the contact-force terms of Ant and Humanoid; these tasks never read them.)
 */
import type { MainModule, MjData, MjModel } from '@mujoco/mujoco';
import type { Rng } from '../../common/rng.js';
import type { BoxSpace } from '../env.js';
import type { EnvCore, HiddenVariable } from '../classic/core.js';

/** The package name, held in a variable so bundlers do not pull the 10 MB WebAssembly file into the renderer. */
const MUJOCO_PACKAGE = '@mujoco/mujoco';

let module: MainModule | null = null;
let loading: Promise<MainModule> | null = null;

/** Loads MuJoCo's WebAssembly module (once per process; later calls return the same promise). */
export function loadMujoco(): Promise<MainModule> {
  loading ??= (import(/* @vite-ignore */ MUJOCO_PACKAGE) as Promise<{ default: (options?: unknown) => Promise<MainModule> }>)
    .then((m) => m.default())
    .then((m) => (module = m))
    .catch((err: unknown) => {
      loading = null;
      throw new Error(`MuJoCo's WebAssembly module (${MUJOCO_PACKAGE}) failed to load: ${err instanceof Error ? err.message : String(err)}`);
    });
  return loading;
}

/** Whether `loadMujoco()` has finished in this process. */
export function mujocoReady(): boolean {
  return module !== null;
}

/** MuJoCo's version string ("3.x.y"), once loaded. */
export function mujocoVersion(): string {
  return loaded('MuJoCo').mj_versionString();
}

function loaded(id: string): MainModule {
  if (module === null) {
    throw new Error(`${id} runs on MuJoCo (WebAssembly), which loads asynchronously: await prepareEnv('${id}') in this process before making the env`);
  }
  return module;
}

/** One compiled model and the `mjData` every core of that model in this process shares. */
export class Sim {
  readonly nq: number;
  readonly nv: number;
  readonly nu: number;
  /** `model.opt.timestep`. */
  readonly timestep: number;
  /** `model.qpos0`: Gymnasium's `init_qpos`. */
  readonly qpos0: Float64Array;
  /** `model.actuator_ctrlrange` (nu × 2). */
  readonly ctrlRange: Float64Array;
  #qpos!: Float64Array;
  #qvel!: Float64Array;
  #warm!: Float64Array;
  #ctrl!: Float64Array;

  constructor(
    readonly mj: MainModule,
    readonly model: MjModel,
    readonly data: MjData,
  ) {
    this.nq = model.nq;
    this.nv = model.nv;
    this.nu = model.nu;
    this.timestep = model.opt.timestep;
    this.qpos0 = Float64Array.from(model.qpos0 as Float64Array);
    this.ctrlRange = Float64Array.from(model.actuator_ctrlrange as Float64Array);
    this.#views();
  }

  /** Views onto the WebAssembly heap; a heap growth detaches them (length 0), so they are re-read then. */
  #views(): void {
    this.#qpos = this.data.qpos as Float64Array;
    this.#qvel = this.data.qvel as Float64Array;
    this.#warm = this.data.qacc_warmstart as Float64Array;
    this.#ctrl = this.data.ctrl as Float64Array;
  }

  /** Writes qpos, qvel and the warm start from slot `s` (layout: qpos, qvel, qacc_warmstart). */
  load(state: Float64Array, s: number): void {
    if (this.#qpos.length === 0) this.#views();
    const { nq, nv } = this;
    for (let i = 0; i < nq; i++) this.#qpos[i] = state[s + i];
    for (let i = 0; i < nv; i++) this.#qvel[i] = state[s + nq + i];
    for (let i = 0; i < nv; i++) this.#warm[i] = state[s + nq + nv + i];
    this.data.time = 0;
  }

  /** Reads qpos, qvel and the warm start back into slot `s`. */
  store(state: Float64Array, s: number): void {
    const { nq, nv } = this;
    for (let i = 0; i < nq; i++) state[s + i] = this.#qpos[i];
    for (let i = 0; i < nv; i++) state[s + nq + i] = this.#qvel[i];
    for (let i = 0; i < nv; i++) state[s + nq + nv + i] = this.#warm[i];
  }

  /** Gymnasium's `do_simulation(action, frame_skip)` on the loaded state. */
  simulate(actions: ArrayLike<number>, a: number, frameSkip: number): void {
    for (let j = 0; j < this.nu; j++) this.#ctrl[j] = Math.fround(actions[a + j]);
    for (let k = 0; k < frameSkip; k++) this.mj.mj_step(this.model, this.data);
  }

  /**
   * Gymnasium's `reset`: `mj_resetData`, then `set_state(qpos, qvel)` (which runs `mj_forward`); stores the
   * result, warm start included, in slot `s`.
   */
  resetTo(state: Float64Array, s: number): void {
    const { nq, nv } = this;
    this.mj.mj_resetData(this.model, this.data);
    if (this.#qpos.length === 0) this.#views();
    for (let i = 0; i < nq; i++) this.#qpos[i] = state[s + i];
    for (let i = 0; i < nv; i++) this.#qvel[i] = state[s + nq + i];
    this.mj.mj_forward(this.model, this.data);
    this.store(state, s);
  }
}

const sims = new Map<string, Sim>();

/** The process's shared simulation of a model XML (compiled on first use). */
export function simFor(id: string, xml: string): Sim {
  let sim = sims.get(xml);
  if (sim === undefined) {
    const mj = loaded(id);
    const model = mj.MjModel.from_xml_string(xml);
    sim = new Sim(mj, model, new mj.MjData(model));
    sims.set(xml, sim);
  }
  return sim;
}

/** What a MuJoCo task defines on top of the shared machinery. */
export interface MujocoTask {
  id: string;
  xml: string;
  /** Gymnasium's `frame_skip`. */
  frameSkip: number;
  observationSpace: BoxSpace;
  actionSpace: BoxSpace;
}

/** Hidden slot entries for the warm start (`qacc_warmstart0…`): any finite number, 0 after `mj_resetData`. */
function warmStartVariables(nv: number): HiddenVariable[] {
  return Array.from({ length: nv }, (_, i) => ({ name: `qacc_warmstart${i}`, initial: 0, integer: false, min: -Infinity }));
}

/**
 * The shared part of the MuJoCo tasks: the slot layout, loading and storing the simulation around a step, and
 * reset. A task implements its reset noise (`noise`), reward, termination and observation.
 */
export abstract class MujocoCore implements EnvCore {
  readonly id: string;
  readonly observationSpace: BoxSpace;
  readonly actionSpace: BoxSpace;
  readonly stateSize: number;
  readonly hidden: readonly HiddenVariable[];
  readonly slotSize: number;
  /** Seconds per env step: `timestep · frame_skip` (Gymnasium's `dt`). */
  readonly dt: number;
  protected readonly sim: Sim;
  protected readonly frameSkip: number;

  constructor(task: MujocoTask) {
    this.id = task.id;
    this.sim = simFor(task.id, task.xml);
    this.frameSkip = task.frameSkip;
    this.observationSpace = task.observationSpace;
    this.actionSpace = task.actionSpace;
    const { nq, nv, nu } = this.sim;
    if (nu !== task.actionSpace.low.length) throw new Error(`${task.id}: the model has ${nu} actuators, the action space ${task.actionSpace.low.length}`);
    this.stateSize = nq + nv;
    this.hidden = warmStartVariables(nv);
    this.slotSize = nq + 2 * nv;
    this.dt = this.sim.timestep * task.frameSkip;
  }

  /** Writes Gymnasium's `reset_model` draw (qpos then qvel, around `init_qpos`/`init_qvel`) into the slot. */
  protected abstract noise(state: Float64Array, s: number, rng: Rng): void;

  /** Reward, termination and observation of a step from `x0` (qpos[0] before it), once the slot is updated. */
  protected abstract finish(state: Float64Array, s: number, x0: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number;

  abstract observe(state: Float64Array, s: number, obs: Float32Array, o: number): void;

  reset(state: Float64Array, s: number, rng: Rng): void {
    this.noise(state, s, rng);
    this.sim.resetTo(state, s);
  }

  step(state: Float64Array, s: number, actions: ArrayLike<number>, a: number, obs: Float32Array, o: number, rewards: Float64Array, r: number): number {
    const x0 = state[s];
    this.sim.load(state, s);
    this.sim.simulate(actions, a, this.frameSkip);
    this.sim.store(state, s);
    return this.finish(state, s, x0, actions, a, obs, o, rewards, r);
  }

  /** Σ action² of the float32 action (Gymnasium's `np.sum(np.square(action))`). */
  protected squaredAction(actions: ArrayLike<number>, a: number): number {
    let sum = 0;
    for (let j = 0; j < this.sim.nu; j++) {
      const u = Math.fround(actions[a + j]);
      sum += u * u;
    }
    return sum;
  }
}
