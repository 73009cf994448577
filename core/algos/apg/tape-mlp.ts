/**
 * An MLP that remembers every forward pass of a window (a "tape"): rows are appended block by block (one block per
 * time step), and the backward pass runs block by block in reverse, returning the gradient with respect to each
 * block's INPUT — what differentiating through an environment needs (the policy's input is the state, and the state
 * came from the previous action). core/algos/nn's MlpNet keeps one batch and stops at the first layer's weights, so
 * this class drives the same kernels (core/algos/nn/linalg.ts: affine, gradW, gradX over WebAssembly SIMD) with its
 * own bookkeeping. Weight gradients are deferred: the pre-activation gradients of every block are kept, and
 * `accumulateParamGrads` adds [X | 1]ᵀ·dZ for the whole window in one product per layer.
 *
 * Parameters are read from a caller-owned flat view in mlp.ts's layout (per layer: kernel [in, out] row-major, then
 * bias [out]), so the actor and critic of an ActorCritic are used in place. Call `refresh()` after they change.
 */
import { transpose } from '../nn/gemm.js';
import { affine, gradW, gradX, type Activation } from '../nn/linalg.js';
import { mlpParamCount } from '../nn/mlp.js';

export class TapeMlp {
  readonly sizes: readonly number[];
  readonly numLayers: number;
  readonly #blocksT: Float32Array[] = [];
  readonly #kernels: Float32Array[] = [];
  /** Per layer: its input rows (layer 0: a copy of the network input) and its pre-activation gradients. */
  readonly #inputs: Float32Array[] = [];
  readonly #dz: Float32Array[] = [];
  readonly #out: Float32Array;

  constructor(
    sizes: readonly number[],
    readonly activation: Activation,
    readonly params: Float32Array,
    readonly maxRows: number,
  ) {
    if (params.length !== mlpParamCount(sizes)) throw new Error(`TapeMlp: params has ${params.length} floats, sizes [${sizes.join(', ')}] need ${mlpParamCount(sizes)}`);
    this.sizes = [...sizes];
    this.numLayers = sizes.length - 1;
    let o = 0;
    for (let l = 0; l < this.numLayers; l++) {
      const nin = sizes[l];
      const nout = sizes[l + 1];
      this.#kernels.push(params.subarray(o, o + nin * nout));
      o += (nin + 1) * nout;
      this.#blocksT.push(new Float32Array((nin + 1) * nout));
      this.#inputs.push(new Float32Array(maxRows * nin));
      this.#dz.push(new Float32Array(maxRows * nout));
    }
    this.#out = new Float32Array(maxRows * sizes[this.numLayers]);
    this.refresh();
  }

  get inputDim(): number {
    return this.sizes[0];
  }

  get outputDim(): number {
    return this.sizes[this.numLayers];
  }

  /** Re-reads the parameters (after an optimizer step or a restore). */
  refresh(): void {
    let o = 0;
    for (let l = 0; l < this.numLayers; l++) {
      const size = (this.sizes[l] + 1) * this.sizes[l + 1];
      transpose(this.params.subarray(o, o + size), this.sizes[l] + 1, this.sizes[l + 1], this.#blocksT[l]);
      o += size;
    }
  }

  /** Forward pass of `rows` inputs stored as tape rows [row0, row0 + rows); returns a view of their outputs. */
  forward(input: Float32Array, row0: number, rows: number): Float32Array {
    if (row0 + rows > this.maxRows) throw new Error(`TapeMlp.forward: rows ${row0}..${row0 + rows} exceed the tape's ${this.maxRows}`);
    const L = this.numLayers;
    this.#inputs[0].set(input.subarray(0, rows * this.inputDim), row0 * this.inputDim);
    for (let l = 0; l < L; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const x = this.#inputs[l].subarray(row0 * nin, (row0 + rows) * nin);
      const h = l < L - 1 ? this.#inputs[l + 1].subarray(row0 * nout, (row0 + rows) * nout) : this.#out.subarray(row0 * nout, (row0 + rows) * nout);
      affine(x, rows, nin, 1, this.#blocksT[l], nout, h, false, l < L - 1 ? this.activation : null);
    }
    return this.#out.subarray(row0 * this.outputDim, (row0 + rows) * this.outputDim);
  }

  /**
   * Reverse pass for tape rows [row0, row0 + rows): given dOut = ∂L/∂outputs ([rows, outputDim]), writes
   * ∂L/∂inputs into `dInput` ([rows, inputDim]) and keeps the pre-activation gradients for `accumulateParamGrads`.
   */
  backward(row0: number, rows: number, dOut: ArrayLike<number>, dInput: Float32Array | null): void {
    const L = this.numLayers;
    const last = this.#dz[L - 1];
    const nOut = this.outputDim;
    for (let i = 0; i < rows * nOut; i++) last[row0 * nOut + i] = dOut[i];
    for (let l = L - 1; l >= 0; l--) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const dz = this.#dz[l].subarray(row0 * nout, (row0 + rows) * nout);
      if (l === 0) {
        if (dInput) gradX(dz, this.#kernels[0], rows, nin, nout, dInput);
        break;
      }
      const prev = this.#dz[l - 1].subarray(row0 * nin, (row0 + rows) * nin);
      gradX(dz, this.#kernels[l], rows, nin, nout, prev);
      const h = this.#inputs[l].subarray(row0 * nin, (row0 + rows) * nin);
      const n = rows * nin;
      if (this.activation === 'tanh') for (let i = 0; i < n; i++) prev[i] *= 1 - h[i] * h[i];
      else for (let i = 0; i < n; i++) if (h[i] <= 0) prev[i] = 0;
    }
  }

  /** grad += ∂L/∂params over tape rows [0, rows), from the backward passes since the last forward of those rows. */
  accumulateParamGrads(rows: number, grad: Float32Array): void {
    if (grad.length !== this.params.length) throw new Error(`TapeMlp.accumulateParamGrads: grad has ${grad.length} floats, expected ${this.params.length}`);
    let o = 0;
    for (let l = 0; l < this.numLayers; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const size = (nin + 1) * nout;
      gradW(this.#inputs[l].subarray(0, rows * nin), this.#dz[l].subarray(0, rows * nout), rows, nin, nout, grad.subarray(o, o + size));
      o += size;
    }
  }

  /** Outputs of tape rows [row0, row0 + rows) from the last forward (a view). */
  outputs(row0: number, rows: number): Float32Array {
    return this.#out.subarray(row0 * this.outputDim, (row0 + rows) * this.outputDim);
  }
}
