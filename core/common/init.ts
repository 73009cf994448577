/**
 * Orthogonal weight initialisation from our seeded Rng, following torch.nn.init.orthogonal_
 * (Saxe et al., 2014): fill a [rows, cols] matrix with N(0, 1) (row-major, as torch's `normal_`),
 * transpose it when rows < cols, take Q of its QR decomposition with R's diagonal made positive,
 * transpose back and scale by `gain`. The result has orthonormal rows or columns (whichever are fewer),
 * times `gain`. QR by modified Gram–Schmidt in float64 with one re-orthogonalisation pass ("twice is enough",
 * Giraud et al., 2005); Gram–Schmidt's R has a positive diagonal, which is exactly torch's sign correction.
 */
import type { Rng } from './rng.js';

/**
 * A [rows, cols] row-major float64 matrix with orthonormal rows (rows ≤ cols) or columns (rows ≥ cols), × gain.
 * For a torch `Linear(in, out)` weight, rows = out and cols = in.
 */
export function orthogonalMatrix(rows: number, cols: number, gain: number, rng: Rng): Float64Array {
  if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0) {
    throw new Error(`orthogonalMatrix: rows and cols must be positive integers, got ${rows} × ${cols}`);
  }
  if (!Number.isFinite(gain)) throw new Error(`orthogonalMatrix: gain must be finite, got ${gain}`);
  const flat = new Float64Array(rows * cols);
  for (let i = 0; i < flat.length; i++) flat[i] = rng.normal();
  // Work on an m × n matrix A with m ≥ n, stored column by column (a[j] is column j, length m).
  const transpose = rows < cols;
  const m = transpose ? cols : rows;
  const n = transpose ? rows : cols;
  const columns: Float64Array[] = [];
  for (let j = 0; j < n; j++) {
    const col = new Float64Array(m);
    // A = flat (rows × cols) or flatᵀ; column j of flat is flat[i*cols + j]; column j of flatᵀ is row j of flat.
    for (let i = 0; i < m; i++) col[i] = transpose ? flat[j * cols + i] : flat[i * cols + j];
    columns.push(col);
  }
  for (let j = 0; j < n; j++) {
    const v = columns[j];
    for (let pass = 0; pass < 2; pass++) {
      for (let k = 0; k < j; k++) {
        const q = columns[k];
        let dot = 0;
        for (let i = 0; i < m; i++) dot += q[i] * v[i];
        for (let i = 0; i < m; i++) v[i] -= dot * q[i];
      }
    }
    let norm = 0;
    for (let i = 0; i < m; i++) norm += v[i] * v[i];
    norm = Math.sqrt(norm);
    if (!(norm > 1e-12)) throw new Error('orthogonalMatrix: Gaussian sample was rank-deficient (try another seed)');
    for (let i = 0; i < m; i++) v[i] /= norm;
  }
  // Q is m × n (columns above). Result = gain · Q, or gain · Qᵀ when we transposed.
  const out = new Float64Array(rows * cols);
  for (let j = 0; j < n; j++) {
    const q = columns[j];
    for (let i = 0; i < m; i++) {
      if (transpose) out[j * cols + i] = gain * q[i];
      else out[i * cols + j] = gain * q[i];
    }
  }
  return out;
}

/**
 * A dense-layer kernel in tfjs layout [inputDim, outputDim] (row-major), initialised as torch's
 * `orthogonal_(Linear(inputDim, outputDim).weight, gain)` — i.e. the transpose of torch's [out, in] weight.
 */
export function orthogonalKernel(inputDim: number, outputDim: number, gain: number, rng: Rng): Float32Array {
  const w = orthogonalMatrix(outputDim, inputDim, gain, rng); // torch layout [out, in]
  const kernel = new Float32Array(inputDim * outputDim);
  for (let o = 0; o < outputDim; o++) {
    for (let i = 0; i < inputDim; i++) kernel[i * outputDim + o] = w[o * inputDim + i];
  }
  return kernel;
}
