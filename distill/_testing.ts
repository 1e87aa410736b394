// Test helpers: tiny encoders (with and without batch norm), images, and weight snapshots.
import * as tf from "@tensorflow/tfjs";
import { smallConvNet } from "@selfsup/encoders";
import { projectionHead } from "@selfsup/heads";

/** A one-stage ConvNet on 8x8x1 (conv 3x3 -> batch norm -> ReLU -> average pool): D = 4. */
export function convEncoder(seed = 1, filters = [4]): tf.LayersModel {
  return smallConvNet({ inputShape: [8, 8, 1], filters, seed });
}

/**
 * An encoder without batch norm (flatten -> dense -> tanh), so training and inference mode
 * give the same output: D = `width`.
 */
export function plainEncoder(seed = 1, width = 6, size = 4): tf.LayersModel {
  const input = tf.input({ shape: [size, size, 1] });
  const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
  const h = tf.layers.dense({
    units: width,
    activation: "tanh",
    kernelInitializer: tf.initializers.glorotNormal({ seed }),
  }).apply(flat) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h });
}

/** SimCLRv2's 3-layer head on width `inputDim`, with distinct middle and output widths. */
export function head3(inputDim = 4, seed = 2): tf.LayersModel {
  return projectionHead({ inputDim, hiddenDim: 6, outputDim: 3, layers: 3, seed });
}

/** Uniform images in [0, 1]. */
export function images(n: number, size = 8, seed = 5): tf.Tensor4D {
  return tf.randomUniform([n, size, size, 1], 0, 1, "float32", seed) as tf.Tensor4D;
}

/** Copies of every weight of the models (moving statistics included). */
export function snapshot(...models: tf.LayersModel[]): Float32Array[] {
  return models.flatMap((m) => m.weights.map((w) => Float32Array.from(w.read().dataSync())));
}

/** Whether two snapshots are bit-identical (and not empty). */
export function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
  return a.length > 0 && a.length === b.length && a.every((x, i) => {
    const [p, q] = [bits(x), bits(b[i])];
    return p.length === q.length && p.every((v, j) => v === q[j]);
  });
}

/** Largest |a - b| over two snapshots of the same shapes. */
export function maxDifference(a: Float32Array[], b: Float32Array[]): number {
  if (a.length === 0 || a.length !== b.length) throw new Error("snapshots do not match");
  let worst = 0;
  a.forEach((x, i) => x.forEach((v, j) => worst = Math.max(worst, Math.abs(v - b[i][j]))));
  return worst;
}
