/**
 * The tfjs layers-model format for an Mlp: a Keras-style `Sequential` of `Dense` layers (the JSON that
 * tfjs-layers' own `model.save()` writes, tfjs-layers 4.x), weight specs `dense_<l>/kernel` [in, out] and
 * `dense_<l>/bias` [out] in float32, and one concatenated weight buffer. `tf.loadLayersModel` loads it as is.
 *
 * The kernel initializer written in the topology is tfjs's default (Glorot normal): it is what tfjs would use
 * to re-initialise a freshly built layer, never what PolicyLab trains from (weights are always loaded), and
 * unlike tfjs's Orthogonal initializer it does not warn on every 64×64 layer at load time.
 * The Mlp spec (gains included) also travels in `userDefinedMetadata.policylab` for an exact round trip.
 */
import * as tf from '@tensorflow/tfjs';
import type { Activation, MlpSpec } from './networks.js';

const FORMAT_NOTE = 'PolicyLab Mlp';

function denseLayer(name: string, units: number, activation: string, inputDim?: number): Record<string, unknown> {
  const config: Record<string, unknown> = {
    units,
    activation,
    use_bias: true,
    kernel_initializer: { class_name: 'VarianceScaling', config: { scale: 1, mode: 'fan_avg', distribution: 'normal', seed: null } },
    bias_initializer: { class_name: 'Zeros', config: {} },
    kernel_regularizer: null,
    bias_regularizer: null,
    activity_regularizer: null,
    kernel_constraint: null,
    bias_constraint: null,
    name,
    trainable: true,
  };
  if (inputDim !== undefined) config.batch_input_shape = [null, inputDim];
  config.dtype = 'float32';
  return { class_name: 'Dense', config };
}

export function artifactsFromWeights(spec: Required<MlpSpec>, weights: Float32Array[], name: string): tf.io.ModelArtifacts {
  const dims = [spec.inputDim, ...spec.hiddenSizes, spec.outputDim];
  const layers = dims.length - 1;
  const topologyLayers = [];
  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  let bytes = 0;
  for (let l = 0; l < layers; l++) {
    const activation = l === layers - 1 ? 'linear' : spec.activation;
    topologyLayers.push(denseLayer(`dense_${l}`, dims[l + 1], activation, l === 0 ? dims[0] : undefined));
    weightSpecs.push({ name: `dense_${l}/kernel`, shape: [dims[l], dims[l + 1]], dtype: 'float32' });
    weightSpecs.push({ name: `dense_${l}/bias`, shape: [dims[l + 1]], dtype: 'float32' });
  }
  for (const w of weights) bytes += w.byteLength;
  const data = new Float32Array(bytes / 4);
  let offset = 0;
  for (const w of weights) {
    data.set(w, offset);
    offset += w.length;
  }
  return {
    modelTopology: {
      class_name: 'Sequential',
      config: { name, layers: topologyLayers },
      keras_version: `tfjs-layers ${tf.version_layers}`,
      backend: 'tensor_flow.js',
    },
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers} (${FORMAT_NOTE})`,
    convertedBy: null,
    weightSpecs,
    weightData: data.buffer,
    userDefinedMetadata: { policylab: { kind: 'mlp', spec: { ...spec, hiddenSizes: [...spec.hiddenSizes] } } },
  };
}

interface DenseConfig {
  units: number;
  activation?: string;
  use_bias?: boolean;
  batch_input_shape?: (number | null)[];
  batchInputShape?: (number | null)[];
  name?: string;
}

/** Reads the Mlp spec from `userDefinedMetadata.policylab`, or infers it from a Sequential-of-Dense topology. */
export function specFromArtifacts(artifacts: tf.io.ModelArtifacts): MlpSpec {
  const topology = artifacts.modelTopology as { class_name?: string; config?: unknown; model_config?: unknown } | undefined;
  const inferred = inferSpec(topology);
  const meta = (artifacts.userDefinedMetadata as { policylab?: { kind?: string; spec?: MlpSpec } } | undefined)?.policylab;
  if (meta?.kind === 'mlp' && meta.spec) {
    const s = meta.spec;
    const same =
      s.inputDim === inferred.inputDim &&
      s.outputDim === inferred.outputDim &&
      s.activation === inferred.activation &&
      s.hiddenSizes.length === inferred.hiddenSizes.length &&
      s.hiddenSizes.every((h, i) => h === inferred.hiddenSizes[i]);
    if (!same) throw new Error('Mlp.fromArtifacts: userDefinedMetadata.policylab.spec disagrees with the model topology');
    return { ...s, hiddenSizes: [...s.hiddenSizes] };
  }
  return inferred;
}

function inferSpec(topology: { class_name?: string; config?: unknown; model_config?: unknown } | undefined): MlpSpec {
  // model.json files wrap the topology as { model_config: … } in some writers; accept both.
  const root = (topology?.model_config ?? topology) as { class_name?: string; config?: unknown } | undefined;
  if (!root || root.class_name !== 'Sequential') {
    throw new Error(`Mlp.fromArtifacts: expected a Sequential layers model, got ${JSON.stringify(root?.class_name ?? null)}`);
  }
  const cfg = root.config as { layers?: { class_name: string; config: DenseConfig }[] } | { class_name: string; config: DenseConfig }[];
  const layers = Array.isArray(cfg) ? cfg : cfg?.layers;
  if (!Array.isArray(layers) || layers.length === 0) throw new Error('Mlp.fromArtifacts: the Sequential model has no layers');
  let activation: Activation | undefined;
  const hiddenSizes: number[] = [];
  layers.forEach((layer, l) => {
    if (layer.class_name !== 'Dense') throw new Error(`Mlp.fromArtifacts: layer ${l} is ${layer.class_name}; only Dense layers are supported`);
    if (layer.config.use_bias === false) throw new Error(`Mlp.fromArtifacts: layer ${l} has no bias; Mlp layers always have one`);
    const act = layer.config.activation ?? 'linear';
    if (l === layers.length - 1) {
      if (act !== 'linear') throw new Error(`Mlp.fromArtifacts: the output layer must be linear, got ${act}`);
      return;
    }
    if (act !== 'tanh' && act !== 'relu') throw new Error(`Mlp.fromArtifacts: hidden activation must be tanh or relu, got ${act}`);
    if (activation !== undefined && act !== activation) throw new Error('Mlp.fromArtifacts: hidden layers use different activations');
    activation = act;
    hiddenSizes.push(layer.config.units);
  });
  const inputShape = layers[0].config.batch_input_shape ?? layers[0].config.batchInputShape;
  const inputDim = inputShape?.[inputShape.length - 1];
  if (typeof inputDim !== 'number') throw new Error('Mlp.fromArtifacts: the first layer has no batch_input_shape');
  return {
    inputDim,
    hiddenSizes,
    outputDim: layers[layers.length - 1].config.units,
    activation: activation ?? 'tanh',
    outputGain: 1,
  };
}

/** Weight arrays in Mlp `variables` order, found by name (`<layer>/kernel`, `<layer>/bias`) in the specs. */
export function weightsFromArtifacts(artifacts: tf.io.ModelArtifacts, dims: readonly number[]): Float32Array[] {
  const specs = artifacts.weightSpecs;
  if (!specs || artifacts.weightData === undefined) throw new Error('Mlp.fromArtifacts: artifacts carry no weights');
  const buffer = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const byName = new Map<string, Float32Array>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1);
    if (spec.dtype !== 'float32' || spec.quantization) {
      throw new Error(`Mlp.fromArtifacts: weight ${spec.name} is ${spec.quantization ? 'quantized' : spec.dtype}; only float32 is supported`);
    }
    if (offset + size * 4 > buffer.byteLength) throw new Error(`Mlp.fromArtifacts: weight data ends before ${spec.name}`);
    byName.set(spec.name, new Float32Array(buffer.slice(offset, offset + size * 4)));
    offset += size * 4;
  }
  // Layer names come from the topology so models saved by tfjs itself (dense_Dense1, …) load too.
  const topology = artifacts.modelTopology as { config?: { layers?: { config: { name?: string } }[] } };
  const names = topology?.config?.layers?.map((layer, l) => layer.config.name ?? `dense_${l}`) ?? [];
  const out: Float32Array[] = [];
  for (let l = 0; l < dims.length - 1; l++) {
    const layerName = names[l] ?? `dense_${l}`;
    for (const [suffix, size] of [['kernel', dims[l] * dims[l + 1]], ['bias', dims[l + 1]]] as const) {
      const w = byName.get(`${layerName}/${suffix}`);
      if (!w) throw new Error(`Mlp.fromArtifacts: missing weight ${layerName}/${suffix}`);
      if (w.length !== size) throw new Error(`Mlp.fromArtifacts: ${layerName}/${suffix} has ${w.length} values, expected ${size}`);
      out.push(w);
    }
  }
  return out;
}
