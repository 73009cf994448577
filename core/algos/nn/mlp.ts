/**
 * A fully connected network evaluated and differentiated in plain JS, on weights that live in a caller-owned
 * Float32Array (a view into one flat parameter vector, so one optimizer and one gradient-norm clip cover every
 * network of an agent).
 *
 * Parameter layout, layer by layer: kernel [in, out] row-major (tfjs Dense's layout), then bias [out] — the order
 * of `core/common/networks.ts` `Mlp.getWeights()`, so weights move between the two by plain copies.
 *
 * `forward` keeps the activations of its batch; `backward` (reverse mode, accumulating into a gradient vector of the
 * same layout) and `jvp` (forward mode: d outputs / d params · v, for TRPO's Fisher-vector products) reuse them.
 * Nothing allocates per call once the workspace has grown to the largest batch seen.
 */
import { transpose } from './gemm.js';
import { affine, gradW, gradX, type Activation } from './linalg.js';

export { fastTanh, type Activation } from './linalg.js';


/** Number of parameters of an MLP with these layer sizes ([in, hidden…, out]). */
export function mlpParamCount(sizes: readonly number[]): number {
  let n = 0;
  for (let l = 0; l + 1 < sizes.length; l++) n += sizes[l] * sizes[l + 1] + sizes[l + 1];
  return n;
}

export class MlpNet {
  readonly sizes: readonly number[];
  readonly activation: Activation;
  readonly numParams: number;
  /** The flat parameter view this network reads (and an optimizer writes). */
  readonly params: Float32Array;
  readonly kernels: Float32Array[] = [];
  readonly biases: Float32Array[] = [];
  /** Per layer, the transposed parameter block [out, in + 1] (kernel columns, then the bias as a last column). */
  readonly #blocksT: Float32Array[] = [];
  #blocksTStale = true;
  #capacity = 0;
  #batch = 0;
  #input: Float32Array = new Float32Array(0);
  /** Post-activation output of each layer (the last is the network output, no activation). */
  #outs: Float32Array[] = [];
  /** Scratch: dZ per layer, and tangents for jvp. */
  #dz: Float32Array[] = [];
  #tangent: Float32Array[] = [];
  #dirT: Float32Array[] = [];

  constructor(sizes: readonly number[], activation: Activation, params: Float32Array) {
    if (sizes.length < 2 || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
      throw new Error(`MlpNet: sizes must be ≥ 2 positive integers, got [${sizes.join(', ')}]`);
    }
    this.sizes = [...sizes];
    this.activation = activation;
    this.numParams = mlpParamCount(sizes);
    if (params.length !== this.numParams) throw new Error(`MlpNet: params has ${params.length} floats, sizes [${sizes.join(', ')}] need ${this.numParams}`);
    this.params = params;
    let o = 0;
    for (let l = 0; l + 1 < sizes.length; l++) {
      const nin = sizes[l];
      const nout = sizes[l + 1];
      this.kernels.push(params.subarray(o, o + nin * nout));
      o += nin * nout;
      this.biases.push(params.subarray(o, o + nout));
      o += nout;
      this.#blocksT.push(new Float32Array((nin + 1) * nout));
      this.#dirT.push(new Float32Array((nin + 1) * nout));
    }
  }

  get inputDim(): number {
    return this.sizes[0];
  }

  get outputDim(): number {
    return this.sizes[this.sizes.length - 1];
  }

  get numLayers(): number {
    return this.sizes.length - 1;
  }

  /** Call after the parameters changed (optimizer step, restore): the transposed kernel copies are rebuilt lazily. */
  paramsChanged(): void {
    this.#blocksTStale = true;
  }

  #refreshTransposed(): void {
    if (!this.#blocksTStale) return;
    let o = 0;
    for (let l = 0; l < this.numLayers; l++) {
      const size = (this.sizes[l] + 1) * this.sizes[l + 1];
      transpose(this.params.subarray(o, o + size), this.sizes[l] + 1, this.sizes[l + 1], this.#blocksT[l]);
      o += size;
    }
    this.#blocksTStale = false;
  }

  #ensureCapacity(batch: number): void {
    if (batch <= this.#capacity) return;
    const cap = Math.max(batch, this.#capacity * 2);
    const L = this.numLayers;
    this.#outs = [];
    this.#dz = [];
    this.#tangent = [];
    for (let l = 0; l < L; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      this.#outs.push(new Float32Array(cap * nout));
      this.#dz.push(new Float32Array(cap * nin));
      this.#tangent.push(new Float32Array(cap * nout));
    }
    this.#capacity = cap;
  }

  /**
   * Outputs for `batch` rows of `input` ([batch, inputDim] row-major). Returns a view [batch, outputDim] that
   * stays valid until the next forward. `input` must not change before `backward`/`jvp` for this batch.
   */
  forward(input: Float32Array, batch: number): Float32Array {
    if (input.length < batch * this.inputDim) throw new Error(`MlpNet.forward: input holds ${input.length} floats, needs ${batch * this.inputDim}`);
    this.#ensureCapacity(batch);
    this.#refreshTransposed();
    this.#batch = batch;
    this.#input = input;
    const L = this.numLayers;
    let x = input;
    for (let l = 0; l < L; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const h = this.#outs[l];
      affine(x, batch, nin, 1, this.#blocksT[l], nout, h, false, l < L - 1 ? this.activation : null);
      x = h;
    }
    return this.#outs[L - 1].subarray(0, batch * this.outputDim);
  }

  /** The post-activation output of hidden layer `layer` (0-based) of the last forward pass ([batch, sizes[layer + 1]]). */
  lastHidden(layer: number, batch: number): Float32Array {
    if (batch !== this.#batch) throw new Error(`MlpNet.lastHidden: last forward had batch ${this.#batch}, asked for ${batch}`);
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.numLayers - 1) throw new Error(`MlpNet.lastHidden: no hidden layer ${layer}`);
    return this.#outs[layer].subarray(0, batch * this.sizes[layer + 1]);
  }

  /** The output of the last forward pass ([batch, outputDim]); `batch` must be that pass's batch. */
  lastOutput(batch: number): Float32Array {
    if (batch !== this.#batch) throw new Error(`MlpNet.lastOutput: last forward had batch ${this.#batch}, asked for ${batch}`);
    return this.#outs[this.numLayers - 1].subarray(0, batch * this.outputDim);
  }

  /**
   * Reverse mode for the last forward batch: adds d(loss)/d(params) to `grad` (flat, this network's layout), given
   * `dOutput` = d(loss)/d(outputs) [batch, outputDim]. The caller zeroes `grad` when it wants a fresh gradient.
   */
  backward(dOutput: Float32Array, grad: Float32Array): void {
    const B = this.#batch;
    const L = this.numLayers;
    if (grad.length !== this.numParams) throw new Error(`MlpNet.backward: grad has ${grad.length} floats, expected ${this.numParams}`);
    let dz = dOutput;
    let o = this.numParams;
    for (let l = L - 1; l >= 0; l--) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const input = l === 0 ? this.#input : this.#outs[l - 1];
      o -= (nin + 1) * nout;
      // [dW; db] += [input | 1]ᵀ · dZ
      gradW(input, dz, B, nin, nout, grad.subarray(o, o + (nin + 1) * nout));
      if (l === 0) break;
      // d input = dZ · Wᵀ, then through the previous layer's activation.
      const dIn = this.#dz[l];
      gradX(dz, this.kernels[l], B, nin, nout, dIn);
      const h = this.#outs[l - 1];
      const n = B * nin;
      if (this.activation === 'tanh') {
        for (let i = 0; i < n; i++) dIn[i] *= 1 - h[i] * h[i];
      } else {
        for (let i = 0; i < n; i++) if (h[i] <= 0) dIn[i] = 0;
      }
      dz = dIn;
    }
  }

  /**
   * Forward mode for the last forward batch: d(outputs)/d(params) · direction, [batch, outputDim]
   * (`direction` is flat, this network's layout). Returns a view valid until the next jvp/forward.
   */
  jvp(direction: Float32Array): Float32Array {
    const B = this.#batch;
    const L = this.numLayers;
    if (direction.length !== this.numParams) throw new Error(`MlpNet.jvp: direction has ${direction.length} floats, expected ${this.numParams}`);
    let o = 0;
    let tIn: Float32Array | null = null; // tangent of the layer input (the network input has none)
    for (let l = 0; l < L; l++) {
      const nin = this.sizes[l];
      const nout = this.sizes[l + 1];
      const size = (nin + 1) * nout;
      const input = l === 0 ? this.#input : this.#outs[l - 1];
      const t = this.#tangent[l];
      // dz = [input | 1] · [dW; db] + tIn · W
      transpose(direction.subarray(o, o + size), nin + 1, nout, this.#dirT[l]);
      o += size;
      affine(input, B, nin, 1, this.#dirT[l], nout, t, false);
      if (tIn) affine(tIn, B, nin, 0, this.#blocksT[l], nout, t, true);
      if (l < L - 1) {
        const n = B * nout;
        const h = this.#outs[l];
        if (this.activation === 'tanh') {
          for (let i = 0; i < n; i++) t[i] *= 1 - h[i] * h[i];
        } else {
          for (let i = 0; i < n; i++) if (h[i] <= 0) t[i] = 0;
        }
      }
      tIn = t;
    }
    return this.#tangent[L - 1].subarray(0, B * this.outputDim);
  }
}
