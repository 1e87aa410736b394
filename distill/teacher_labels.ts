import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "@selfsup/data";
import { toImageTensor } from "@selfsup/data";
import {
  checkBoolean,
  checkInteger,
  checkKeys,
  checkNumber,
  checkOptions,
} from "@selfsup/internal";
import { checkImages, checkUnitRange, inputSize } from "./_images.ts";
import { classCount } from "./_models.ts";

/** Options of {@linkcode teacherLabels} and {@linkcode teacherLabelBatches}. */
export interface TeacherLabelsOptions {
  /** Temperature T of the softmax, a finite number > 0. Default 1 (SimCLRv2). */
  temperature?: number;
  /** Images per forward pass, an integer >= 1. Default 256. */
  batchSize?: number;
  /** Read float images back once to check they lie in [0, 1]. Default true. */
  checkValues?: boolean;
}

/** One batch of {@linkcode teacherLabelBatches}. */
export interface TeacherLabelBatch {
  /** Index of the batch's first image in the images given. */
  start: number;
  /** `softmax(logits / T)` of the batch's images, `[n, K]`; the caller disposes it. */
  probabilities: tf.Tensor2D;
}

const OPTIONS = ["temperature", "batchSize", "checkValues"] as const;

/**
 * The teacher's temperature-softened class probabilities, `softmax(logits / T)`, for every
 * image, one batch at a time: SimCLRv2's teacher labels for distillation ("Big
 * Self-Supervised Models are Strong Semi-Supervised Learners", Chen et al. 2020,
 * arXiv:2006.10029, equation 2). The teacher runs in inference mode (batch norm on its moving
 * statistics, nothing updated) and receives no gradient. Only one batch of images is on the
 * backend at a time, so a whole uint8 dataset can be labelled in bounded memory.
 *
 * Arguments are checked when called, before the first batch.
 *
 * @param teacher A model from images to logits `[N, K]` (e.g. a fine-tuned
 *   `FineTuneLearner.model`).
 * @param images A float32 `[N, H, W, C]` tensor in [0, 1] or a uint8 `Dataset` of
 *   `@selfsup/data`, of the teacher's input size.
 * @param options Temperature, batch size and the value check.
 * @returns A generator of `{ start, probabilities }`, in order, covering every image.
 * @throws {TypeError} If an argument has the wrong type or an option an unknown name.
 * @throws {RangeError} If the images do not fit the teacher, hold values outside [0, 1] (when
 *   checked), the temperature is not a finite number > 0 or the batch size not an integer >= 1.
 *
 * @example Stream the labels of a dataset
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { fromArrays } from "@selfsup/data";
 * import { classifierModel, teacherLabelBatches } from "@selfsup/distill";
 * import { smallConvNet } from "@selfsup/encoders";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 1 });
 * const teacher = classifierModel({ encoder, numClasses: 3, seed: 2 });
 * const unlabelled = fromArrays(new Uint8Array(5 * 64).fill(128), [5, 8, 8, 1]);
 * const starts = [];
 * const stream = teacherLabelBatches(teacher, unlabelled, { batchSize: 2 });
 * for (const { start, probabilities } of stream) {
 *   starts.push(start);
 *   const sums = probabilities.sum(1).dataSync();
 *   assert.ok(sums.every((s) => Math.abs(s - 1) < 1e-5));
 *   probabilities.dispose();
 * }
 * assert.deepEqual(starts, [0, 2, 4]);
 * teacher.dispose();
 * encoder.dispose();
 * ```
 */
export function teacherLabelBatches(
  teacher: tf.LayersModel,
  images: tf.Tensor4D | Dataset,
  options: TeacherLabelsOptions = {},
): Generator<TeacherLabelBatch> {
  const { temperature, batchSize } = checkArguments(
    "teacherLabelBatches",
    teacher,
    images,
    options,
  );
  return labelBatches(teacher, images, temperature, batchSize);
}

/**
 * The teacher's temperature-softened class probabilities, `softmax(logits / T)`, for all the
 * images at once, as one `[N, K]` tensor (see {@linkcode teacherLabelBatches}, which streams
 * them). The teacher runs in inference mode, in batches, and receives no gradient.
 *
 * @param teacher A model from images to logits `[N, K]`.
 * @param images A float32 `[N, H, W, C]` tensor in [0, 1] or a uint8 `Dataset`.
 * @param options Temperature (default 1), batch size (default 256) and the value check.
 * @returns The probabilities `[N, K]`, rows summing to 1; the caller disposes them.
 * @throws {TypeError} If an argument has the wrong type or an option an unknown name.
 * @throws {RangeError} If the images do not fit the teacher, hold values outside [0, 1] (when
 *   checked), the temperature is not a finite number > 0 or the batch size not an integer >= 1.
 *
 * @example A higher temperature flattens the labels
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { teacherLabels } from "@selfsup/distill";
 *
 * // A "teacher" whose logits are fixed: [2, 0] for every image.
 * const input = tf.input({ shape: [1, 1, 1] });
 * const flat = tf.layers.flatten().apply(input) as tf.SymbolicTensor;
 * const logits = tf.layers.dense({
 *   units: 2, kernelInitializer: "zeros", biasInitializer: tf.initializers.constant({ value: 0 }),
 * }).apply(flat) as tf.SymbolicTensor;
 * const teacher = tf.model({ inputs: input, outputs: logits });
 * teacher.layers[2].setWeights([tf.zeros([1, 2]), tf.tensor1d([2, 0])]);
 * const images = tf.zeros([3, 1, 1, 1]) as tf.Tensor4D;
 * const soft = teacherLabels(teacher, images, { temperature: 2 });
 * const p = 1 / (1 + Math.exp(-1)); // softmax([2, 0] / 2)[0]
 * assert.ok(Math.abs(soft.dataSync()[0] - p) < 1e-6);
 * tf.dispose([soft, images]);
 * teacher.dispose();
 * ```
 */
export function teacherLabels(
  teacher: tf.LayersModel,
  images: tf.Tensor4D | Dataset,
  options: TeacherLabelsOptions = {},
): tf.Tensor2D {
  const { temperature, batchSize } = checkArguments("teacherLabels", teacher, images, options);
  const parts: tf.Tensor2D[] = [];
  let done = false;
  try {
    for (const { probabilities } of labelBatches(teacher, images, temperature, batchSize)) {
      parts.push(probabilities);
    }
    const all = parts.length === 1 ? parts[0] : tf.concat(parts, 0);
    done = true;
    return all;
  } finally {
    if (!done || parts.length > 1) tf.dispose(parts);
  }
}

function checkArguments(
  fn: string,
  teacher: unknown,
  images: unknown,
  options: TeacherLabelsOptions,
): { temperature: number; batchSize: number } {
  classCount(fn, "teacher", teacher);
  checkImages(fn, "images", images, inputSize(teacher as tf.LayersModel), 1);
  checkOptions(fn, options);
  checkKeys(fn, options, OPTIONS);
  const temperature = checkNumber(fn, "temperature", options.temperature ?? 1, { above: 0 });
  const batchSize = checkInteger(fn, "batchSize", options.batchSize ?? 256, { min: 1 });
  if (checkBoolean(fn, "checkValues", options.checkValues ?? true)) {
    checkUnitRange(fn, "images", images as tf.Tensor4D | Dataset);
  }
  return { temperature, batchSize };
}

function* labelBatches(
  teacher: tf.LayersModel,
  images: tf.Tensor4D | Dataset,
  temperature: number,
  batchSize: number,
): Generator<TeacherLabelBatch> {
  const n = images.shape[0];
  for (let start = 0; start < n; start += batchSize) {
    const count = Math.min(batchSize, n - start);
    const probabilities = tf.tidy(() => {
      const x = images instanceof tf.Tensor
        ? tf.slice(images, [start, 0, 0, 0], [count, -1, -1, -1])
        : toImageTensor(slice(images, start, count));
      const logits = teacher.apply(x, { training: false }) as tf.Tensor2D; // [n, K]
      return tf.softmax(tf.div(logits, temperature)) as tf.Tensor2D;
    });
    yield { start, probabilities };
  }
}

// Images start..start+count of a dataset, without copying the pixels.
function slice(dataset: Dataset, start: number, count: number): Dataset {
  const [, h, w, c] = dataset.shape;
  const size = h * w * c;
  return {
    images: dataset.images.subarray(start * size, (start + count) * size),
    shape: [count, h, w, c],
  };
}
