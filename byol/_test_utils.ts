// Test helpers: a tiny encoder and heads (images and weight snapshots are internal/testing.ts's).
import type * as tf from "@tensorflow/tfjs";
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
