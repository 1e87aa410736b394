// Test helpers: a tiny encoder and heads, images, and snapshots of weights.
import * as tf from "@tensorflow/tfjs";
import { smallConvNet } from "@selfsup/encoders";
import { byolPredictor, byolProjector } from "@selfsup/heads";

/** A one-stage ConvNet (conv 3x3 -> batch norm -> ReLU -> average pool) on 8x8x1: D = 4. */
export function tinyEncoder(seed = 1, inputShape: [number, number, number] = [8, 8, 1]) {
  return smallConvNet({ inputShape, filters: [4], seed });
}

/** A BYOL projector 4 -> 8 -> 6 and predictor 6 -> 8 -> 6. */
export function tinyHeads(seed = 1): { projector: tf.LayersModel; predictor: tf.LayersModel } {
  return {
    projector: byolProjector({ inputDim: 4, hiddenDim: 8, outputDim: 6, seed }),
    predictor: byolPredictor({ inputDim: 6, hiddenDim: 8, outputDim: 6, seed }),
  };
}

/** Uniform images in [0, 1]. */
export function images(n: number, size = 8, channels = 1, seed = 5): tf.Tensor4D {
  return tf.randomUniform([n, size, size, channels], 0, 1, "float32", seed) as tf.Tensor4D;
}

/** Copies of every weight of the models (moving statistics included). */
export function snapshot(...models: tf.LayersModel[]): Float32Array[] {
  return models.flatMap((m) => m.weights.map((w) => Float32Array.from(w.read().dataSync())));
}

/** Whether two snapshots are bit-identical. */
export function sameBits(a: Float32Array[], b: Float32Array[]): boolean {
  const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);
  return a.length === b.length && a.every((x, i) => {
    const [p, q] = [bits(x), bits(b[i])];
    return p.length === q.length && p.every((v, j) => v === q[j]);
  });
}
