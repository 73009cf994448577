/** tfjs helpers the autodiff twins share. */
import * as tf from '@tensorflow/tfjs';

type Arg = tf.Tensor | tf.GradSaveFunc;

const stopGradientOp = tf.customGrad((...args: Arg[]) => {
  const x = args[0] as tf.Tensor;
  return { value: tf.clone(x), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) };
});

/** sg[x]: x in the forward pass, a constant for gradients (tfjs has no stop_gradient op). */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  return stopGradientOp(x) as T;
}

/** Column j of a [n, k] tensor as [n, 1]. */
export function column(x: tf.Tensor2D, j: number): tf.Tensor2D {
  return tf.slice(x, [0, j], [-1, 1]);
}
