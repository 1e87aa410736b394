/**
 * SimCLR's explanation of why h beats z (Chen et al. 2020, arXiv:2002.05709, section 4.2 and
 * table 3): the projection head learns to discard what the views change, so a classifier on h
 * can tell which transformation an image went through and one on z much less well. Each task
 * takes held-out images, applies one transformation to a seeded, balanced share of them (for
 * rotation: 0, 90, 180 or 270 degrees, a quarter each), and fits the linear probe of
 * `@selfsup/eval` on h = encoder(x) and on z = head(h) (inference mode) of half the images,
 * scoring it on the other half.
 *
 * The paper trains an MLP on ImageNet features and predicts colour vs grayscale, rotation,
 * original vs corrupted and original vs Sobel-filtered. Here: a linear probe (the project's
 * evaluation protocol); corruption is the study's Gaussian noise; blur and colour jitter are
 * added (the views' other transformations); colour vs grayscale only for colour images (on
 * grey ones grayscale changes nothing), and rotation only for square ones.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import {
  gaussianNoise,
  grayscale,
  randomColorJitter,
  randomGaussianBlur,
  sobelFilter,
} from "@selfsup/augment";
import { type Dataset, toImageTensor } from "@selfsup/data";
import { extractFeatures, linearProbe } from "@selfsup/eval";
import { deriveSeed, permutation } from "@selfsup/internal";

/** One row of the table: a task's probe accuracy on h and on z. */
export interface PredictionRow {
  /** What is predicted, e.g. "rotation (0, 90, 180, 270 degrees)". */
  task: string;
  classes: number;
  /** Accuracy of always guessing one class (balanced classes: 1 / classes). */
  chance: number;
  /** Linear-probe accuracy on h and on z. */
  h: number;
  z: number;
  /** Images the probe was fitted on, and scored on. */
  trainImages: number;
  testImages: number;
}

/** Options of {@linkcode transformationPrediction}. */
export interface PredictionOptions {
  /** Seed of the labels, the split, the transformations' draws and the probe. */
  seed: number;
  /** Epochs of the linear probe. */
  probeEpochs: number;
  /** Colour-distortion strength of the run's views (jitter 0.8 s, 0.8 s, 0.8 s, 0.2 s). */
  colorStrength: number;
}

/** A task: its classes and how a class-`k` image is made from the original. */
interface Task {
  task: string;
  classes: number;
  /** The images of class k (k > 0; class 0 is the original). */
  transform(images: tf.Tensor4D, k: number, seed: number): tf.Tensor4D;
}

/** `k` quarter turns counter-clockwise of square images (as `tf.image.rot90`). */
function rot90(x: tf.Tensor4D, k: number): tf.Tensor4D {
  if (k === 2) return tf.reverse(x, [1, 2]);
  return tf.reverse(tf.transpose(x, [0, 2, 1, 3]), k === 1 ? 1 : 2);
}

function tasks(shape: number[], strength: number): Task[] {
  const [, h, w, c] = shape;
  const list: Task[] = [];
  if (c === 3) {
    list.push({ task: "colour vs grayscale", classes: 2, transform: (x) => grayscale(x) });
  }
  if (h === w) {
    list.push({
      task: "rotation (0, 90, 180, 270 degrees)",
      classes: 4,
      transform: (x, k) => rot90(x, k),
    });
  }
  list.push(
    {
      task: "original vs Gaussian noise (sigma uniform in [0, 0.1])",
      classes: 2,
      transform: (x, _, seed) => gaussianNoise(x, { seed, p: 1 }),
    },
    {
      task: "original vs Sobel-filtered",
      classes: 2,
      transform: (x) => sobelFilter(x, { p: 1 }),
    },
    {
      task: "original vs blurred (sigma uniform in [0.1, 2])",
      classes: 2,
      transform: (x, _, seed) => randomGaussianBlur(x, { seed, p: 1 }),
    },
    {
      task: `original vs colour-jittered (strength ${strength})`,
      classes: 2,
      transform: (x, _, seed) =>
        randomColorJitter(x, {
          seed,
          p: 1,
          brightness: 0.8 * strength,
          contrast: 0.8 * strength,
          saturation: 0.8 * strength,
          hue: 0.2 * strength,
        }),
    },
  );
  return list;
}

/**
 * The transformation-prediction table of SimCLR (table 3) for an encoder and its projection
 * head, on held-out images.
 *
 * @param encoder Images `[N, H, W, C]` in [0, 1] -> h `[N, D]`.
 * @param head h -> z.
 * @param images Held-out labelled or unlabelled images (their labels are not used); at least
 *   two per class of every task.
 * @param options Seed, probe epochs and the views' colour strength.
 * @returns One row per task.
 */
export async function transformationPrediction(
  encoder: tf.LayersModel,
  head: tf.LayersModel,
  images: Dataset,
  options: PredictionOptions,
): Promise<PredictionRow[]> {
  const x = toImageTensor(images);
  const n = x.shape[0];
  const half = Math.floor(n / 2);
  const rows: PredictionRow[] = [];
  try {
    for (const [t, task] of tasks(x.shape, options.colorStrength).entries()) {
      const seed = deriveSeed(options.seed, t);
      // Balanced labels over a seeded order; the first half of that order fits the probe.
      const order = permutation(n, deriveSeed(seed, 1));
      const labels = new Int32Array(n);
      order.forEach((image, i) => (labels[image] = i % task.classes));
      const transformed = tf.tidy(() => {
        let out: tf.Tensor4D = x;
        for (let k = 1; k < task.classes; k++) {
          const mask = tf.tensor4d(labels.map((l) => (l === k ? 1 : 0)), [n, 1, 1, 1], "bool");
          out = tf.where(
            mask.tile([1, ...x.shape.slice(1)]),
            task.transform(x, k, deriveSeed(seed, 2, k)),
            out,
          );
        }
        return out;
      });
      const hAll = await extractFeatures(encoder, transformed);
      transformed.dispose();
      const zAll = tf.tidy(() => head.predict(hAll, { batchSize: 256 }) as tf.Tensor2D);
      const split = (features: tf.Tensor2D, part: Int32Array | number[]) => ({
        features: tf.gather(features, Array.from(part)) as tf.Tensor2D,
        labels: Int32Array.from(part, (i) => labels[i]),
      });
      const [trainIdx, testIdx] = [order.slice(0, half), order.slice(half)];
      const accuracyOn = async (features: tf.Tensor2D) => {
        const [train, test] = [split(features, trainIdx), split(features, testIdx)];
        try {
          const probe = await linearProbe(train, test, {
            epochs: options.probeEpochs,
            seed: deriveSeed(seed, 3),
            numClasses: task.classes,
            checkValues: false,
          });
          return probe.accuracy;
        } finally {
          tf.dispose([train.features, test.features]);
        }
      };
      try {
        rows.push({
          task: task.task,
          classes: task.classes,
          chance: 1 / task.classes,
          h: await accuracyOn(hAll),
          z: await accuracyOn(zAll),
          trainImages: trainIdx.length,
          testImages: testIdx.length,
        });
      } finally {
        tf.dispose([hAll, zAll]);
      }
    }
  } finally {
    x.dispose();
  }
  return rows;
}

/** The table as markdown. */
export function predictionTable(rows: PredictionRow[]): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return [
    "| what the probe predicts | chance | probe on h | probe on z | images (fit / scored) |",
    "| --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.task} | ${pct(r.chance)} | ${pct(r.h)} | ${pct(r.z)} | ${r.trainImages} / ` +
      `${r.testImages} |`
    ),
  ].join("\n") + "\n";
}
