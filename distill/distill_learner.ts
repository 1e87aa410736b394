import * as tf from "@tensorflow/tfjs";
import type { Dataset } from "@selfsup/data";
import {
  checkBoolean,
  checkKeys,
  checkNumber,
  checkOptions,
  checkProbability,
  checkSeed,
  deriveSeed,
  typeError,
} from "@selfsup/internal";
import { crossEntropy, distillationLoss } from "@selfsup/losses";
import { sqrtScaledLr } from "@selfsup/optim";
import { checkCropScale, cropFlip, DEFAULT_CROP_SCALE } from "./_crop_flip.ts";
import { rangeErrorAs, shapeText, typeErrorAs } from "./_errors.ts";
import {
  checkImages,
  checkUnitRange,
  type ImageInput,
  imageTensor,
  inputSize,
  isDataset,
} from "./_images.ts";
import { checkLabels, type Labels, labelTensor } from "./_labels.ts";
import { classCount } from "./_models.ts";
import {
  defaultOptimizer,
  distillSchedule,
  type LearningRate,
  Trainer,
  type TrainerState,
} from "./_trainer.ts";

/** Options of {@linkcode distillLearner}. */
export interface DistillLearnerOptions {
  /**
   * The teacher: a model from images to logits `[N, K]`, e.g. the fine-tuned
   * `FineTuneLearner.model`. It runs in inference mode and is never changed.
   */
  teacher: tf.LayersModel;
  /**
   * The student: a model from the same images to logits `[N, K]` with the teacher's K, e.g.
   * `classifierModel({ encoder, numClasses, seed })` on an encoder of the teacher's
   * architecture (self-distillation) or a smaller one. Trained in place; it must share no
   * weight with the teacher.
   */
  student: tf.LayersModel;
  /** Integer seed of every step's crops and flips. */
  seed: number;
  /** Temperature T of both softmaxes in `distillationLoss`, > 0. Default 1 (SimCLRv2). */
  temperature?: number;
  /**
   * Weight of the distillation loss in [0, 1]; the labelled cross-entropy gets `1 - alpha`
   * (SimCLRv2, section 2.3). Default 1: distillation on unlabelled images alone, the paper's
   * main setting. Below 1 every step needs a labelled batch.
   */
  alpha?: number;
  /**
   * Any `tf.Optimizer`; it stays the caller's. Default: LARS of `@selfsup/optim` with momentum
   * 0.9, weight decay 1e-4 and trust coefficient 0.001, batch-norm parameters, biases and the
   * student's output layer excluded from both (google-research/simclr); the learner owns it.
   */
  optimizer?: tf.Optimizer;
  /**
   * A constant, or a function from the step to the rate (a finite number >= 0). When omitted
   * with the default optimizer: SimCLRv2's pretraining schedule, which distillation reuses
   * (section 4): linear warmup over 5% of the steps to `0.1 * sqrt(batchSize)` (6.4 at its
   * batch of 4096), then cosine decay; it needs `batchSize` and `totalSteps`. When omitted
   * with an optimizer passed in: that optimizer keeps its own rate.
   */
  learningRate?: LearningRate;
  /** Unlabelled images per batch: scales the default schedule's peak rate. */
  batchSize?: number;
  /** Length of the default schedule: the cosine reaches 0 at this step. */
  totalSteps?: number;
  /** Linear warmup steps of the default schedule. Default `round(totalSteps / 20)` (5%). */
  warmupSteps?: number;
  /** Area range of the random crop. Default `[0.08, 1]` (SimCLR's crop). */
  cropScale?: [number, number];
  /**
   * Read float images (and label tensors) back once per step to check their range. Uint8
   * batches need no check. Default true; a loop on a GPU may pass false.
   */
  checkValues?: boolean;
}

/** A labelled batch for the `alpha` mix: a labelled Dataset / Batch, or images and labels. */
export type LabelledBatch = Dataset | { images: tf.Tensor4D | Dataset; labels?: Labels };

/** Options of {@linkcode DistillLearner.step}. */
export interface DistillStepOptions {
  /**
   * The labelled batch, required when `alpha < 1` and refused when `alpha` is 1. Labels
   * default to those of the Dataset given.
   */
  labelled?: LabelledBatch;
  /**
   * The step's index, an integer >= 0: it seeds the crops and flips
   * (`deriveSeed(seed, step, 0)` for the unlabelled images, `deriveSeed(seed, step, 1)` for
   * the labelled ones) and sets the scheduled learning rate. Default: `steps`.
   */
  step?: number;
}

/** What {@linkcode DistillLearner.step} returns: plain numbers, read back in one transfer. */
export interface DistillStepResult {
  /** The step that ran. */
  step: number;
  /** The loss minimised: `alpha * distillationLoss + (1 - alpha) * labelledLoss`. */
  loss: number;
  /** The learning rate the step used. */
  learningRate: number;
  /**
   * `distillationLoss` on the unlabelled batch (T^2 times the cross-entropy of the tempered
   * softmaxes): at least T^2 times the teacher's mean tempered entropy, reached when the
   * student matches the teacher.
   */
  distillationLoss: number;
  /** Share of the unlabelled batch where the student's top class is the teacher's. */
  agreement: number;
  /** Cross-entropy on the labelled batch, when one was given. */
  labelledLoss?: number;
}

/** A serialisable snapshot of a {@linkcode DistillLearner}. */
export type DistillState = TrainerState<"distill">;

const OPTIONS = [
  "teacher",
  "student",
  "seed",
  "temperature",
  "alpha",
  "optimizer",
  "learningRate",
  "batchSize",
  "totalSteps",
  "warmupSteps",
  "cropScale",
  "checkValues",
] as const;
const UNLABELLED = 0, LABELLED = 1;

/**
 * SimCLRv2's distillation stage, driven by the caller's own loop; build one with
 * {@linkcode distillLearner}.
 *
 * "Big Self-Supervised Models are Strong Semi-Supervised Learners" (Chen, Kornblith, Swersky,
 * Norouzi and Hinton, 2020, arXiv:2006.10029), section 2.3: a fine-tuned teacher labels
 * unlabelled images with its temperature-softened class probabilities and a student (the same
 * architecture for self-distillation, or a smaller one) learns to match them with
 * `distillationLoss` of `@selfsup/losses` (Hinton et al. 2015, arXiv:1503.02531; T = 1 in the
 * paper), optionally mixed with the labelled cross-entropy: `alpha * distillation + (1 -
 * alpha) * cross-entropy`. As in the paper, the student sees only random crops and horizontal
 * flips; the teacher labels the very crops the student sees, in inference mode.
 *
 * The teacher never receives a gradient and is never changed (its batch-norm statistics
 * included): only the student's trainable variables are updated. With a labelled batch, the
 * unlabelled and labelled crops go through the student as one batch (one set of batch-norm
 * statistics).
 *
 * Ownership: the teacher and student are the caller's; {@linkcode DistillLearner.dispose}
 * frees the optimizer the learner built.
 */
export class DistillLearner {
  /** The teacher (the caller's, never changed). */
  readonly teacher: tf.LayersModel;
  /** The student (the caller's, trained in place). */
  readonly student: tf.LayersModel;
  /** The number of classes of both. */
  readonly numClasses: number;
  /** The distillation temperature. */
  readonly temperature: number;
  /** The weight of the distillation loss; `1 - alpha` weighs the labelled loss. */
  readonly alpha: number;
  /** The learner's seed. */
  readonly seed: number;

  readonly #trainer: Trainer<"distill">;
  readonly #cropScale: [number, number];
  readonly #checkValues: boolean;

  /**
   * Builds a learner; {@linkcode distillLearner} is the same as `new DistillLearner(options)`.
   *
   * @param options See {@linkcode DistillLearnerOptions}.
   * @throws {TypeError} If an option has the wrong type or an unknown name, the student shares
   *   weights with the teacher, or a schedule option is given with `learningRate` /
   *   `optimizer` (or missing without them).
   * @throws {RangeError} If the student's class count or input differs from the teacher's,
   *   `temperature` is not > 0, `alpha` is outside [0, 1], or another number is out of range.
   */
  constructor(options: DistillLearnerOptions) {
    const fn = "distillLearner";
    checkOptions(fn, options);
    checkKeys(fn, options, OPTIONS);
    const { teacher, student } = options;
    const k = classCount(fn, "teacher", teacher);
    const studentK = classCount(fn, "student", student);
    if (studentK !== k) {
      throw rangeErrorAs(
        fn,
        "student",
        `a model with the teacher's ${k} classes`,
        `${studentK} classes`,
      );
    }
    const [teacherIn, studentIn] = [inputSize(teacher), inputSize(student)];
    if (teacherIn.some((d, i) => d !== null && studentIn[i] !== null && d !== studentIn[i])) {
      throw rangeErrorAs(
        fn,
        "student",
        `a model taking the teacher's input ${shapeText([null, ...teacherIn])}`,
        shapeText([null, ...studentIn]),
      );
    }
    const teacherVariables = new Set(teacher.weights.map((w) => w.read()));
    if (student.weights.some((w) => teacherVariables.has(w.read()))) {
      throw typeErrorAs(fn, "student", "a model that shares no weight with teacher", "one");
    }
    if (student.trainableWeights.length === 0) {
      throw rangeErrorAs(fn, "student", "a model with trainable weights", "none");
    }
    this.seed = checkSeed(fn, options.seed);
    this.temperature = checkNumber(fn, "temperature", options.temperature ?? 1, { above: 0 });
    this.alpha = checkProbability(fn, "alpha", options.alpha ?? 1);
    this.#cropScale = checkCropScale(fn, options.cropScale ?? [...DEFAULT_CROP_SCALE]);
    this.#checkValues = checkBoolean(fn, "checkValues", options.checkValues ?? true);
    if (options.optimizer !== undefined && !(options.optimizer instanceof tf.Optimizer)) {
      throw typeError(fn, "optimizer", "a tf.Optimizer", options.optimizer);
    }
    const schedule = distillSchedule(fn, options, {
      baseLr: (batchSize) => sqrtScaledLr(0.1, batchSize),
      warmupFraction: 0.05,
    });
    this.teacher = teacher;
    this.student = student;
    this.numClasses = k;
    this.#trainer = new Trainer(
      "DistillLearner",
      "distill",
      { student },
      student,
      options.optimizer ?? defaultOptimizer(student, 1e-4),
      options.optimizer === undefined,
      schedule,
    );
  }

  /** The optimizer. */
  get optimizer(): tf.Optimizer {
    return this.#trainer.optimizer;
  }

  /** Steps taken: the default index of the next step (restored by `setState`). */
  get steps(): number {
    return this.#trainer.steps;
  }

  /**
   * One distillation step: a crop + flip view of the unlabelled batch seeded from (seed,
   * step), the teacher's logits on it in inference mode, the student's in training mode,
   * `distillationLoss` at the learner's temperature (mixed with the cross-entropy of a
   * labelled batch when `alpha < 1`), one update of the student. Every input is checked
   * before anything changes; inside the step nothing is read back but the result.
   *
   * @param images The unlabelled batch: a float32 `[N, H, W, C]` tensor in [0, 1] (not
   *   disposed) or a uint8 `Dataset` / `Batch` of `@selfsup/data`, N >= 2. Labels it carries
   *   are ignored.
   * @param options The labelled batch (required when `alpha < 1`) and the step.
   * @returns The losses, learning rate and agreement as plain numbers.
   * @throws {TypeError} If an argument has the wrong type, `labelled` is missing when
   *   `alpha < 1` (or given when `alpha` is 1), or an option has an unknown name.
   * @throws {RangeError} If a batch does not fit the models, N < 2, labels are not one integer
   *   in [0, K) per labelled image, a float value is outside [0, 1] (when checked), `step` is
   *   not an integer >= 0, or the step's learning rate is not a finite number >= 0.
   * @throws {Error} If the learner was disposed or a previous step has not finished.
   *
   * @example A student that is a copy of the teacher sits at the minimum
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import assert from "node:assert/strict";
   * import { classifierModel, distillLearner } from "@selfsup/distill";
   *
   * // Models without batch norm, so training and inference mode give the same logits.
   * const encoder = () =>
   *   tf.sequential({
   *     layers: [tf.layers.flatten({ inputShape: [4, 4, 1] }), tf.layers.dense({ units: 6 })],
   *   });
   * const teacher = classifierModel({ encoder: encoder(), numClasses: 3, seed: 1 });
   * const student = classifierModel({ encoder: encoder(), numClasses: 3, seed: 2 });
   * student.setWeights(teacher.getWeights());
   * const learner = distillLearner({ teacher, student, seed: 3, learningRate: 0.1 });
   * const images = tf.randomUniform([8, 4, 4, 1], 0, 1, "float32", 4) as tf.Tensor4D;
   * const { agreement } = await learner.step(images);
   * assert.equal(agreement, 1);
   * images.dispose();
   * learner.dispose();
   * teacher.dispose();
   * student.dispose();
   * ```
   */
  async step(images: ImageInput, options: DistillStepOptions = {}): Promise<DistillStepResult> {
    const fn = "DistillLearner.step";
    const step = this.#trainer.resolveStep(fn, options, ["labelled", "step"]);
    const size = inputSize(this.student);
    checkImages(fn, "images", images, size, 2);
    const labelled = this.#checkLabelled(fn, options.labelled, size);
    if (this.#checkValues) {
      checkUnitRange(fn, "images", images);
      if (labelled) checkUnitRange(fn, "labelled.images", labelled.images);
    }
    const learningRate = this.#trainer.learningRate(fn, step);

    const unlabelledImages = imageTensor(images);
    const labelledImages = labelled ? imageTensor(labelled.images) : undefined;
    // The crops and the teacher's logits, made before the gradient: no tape records them.
    const fixed = tf.tidy(() => {
      const view = cropFlip(
        unlabelledImages.tensor,
        deriveSeed(this.seed, step, UNLABELLED),
        this.#cropScale,
      );
      const target = this.teacher.apply(view, { training: false }) as tf.Tensor2D; // [N, K]
      const extra = labelledImages && cropFlip(
        labelledImages.tensor,
        deriveSeed(this.seed, step, LABELLED),
        this.#cropScale,
      );
      const batch = extra ? tf.concat([view, extra], 0) : view; // [N (+ M), H, W, C]
      return { batch, target };
    });
    try {
      const n = fixed.target.shape[0];
      const values = await this.#trainer.update(learningRate, () => {
        const logits = this.student.apply(fixed.batch, { training: true }) as tf.Tensor2D;
        const own = labelled ? tf.slice(logits, [0, 0], [n, -1]) : logits; // [N, K]
        const distill = distillationLoss(own, fixed.target, {
          temperature: this.temperature,
          checkValues: false,
        });
        const agree = tf.mean(
          tf.cast(tf.equal(tf.argMax(own, 1), tf.argMax(fixed.target, 1)), "float32"),
        ) as tf.Scalar;
        if (!labelled) return [distill, distill, agree];
        const labelledLogits = tf.slice(logits, [n, 0], [-1, -1]); // [M, K]
        const classes = labelTensor(labelled.labels); // [M]; a tensor given stays the caller's
        const cross = crossEntropy(labelledLogits, classes, { checkValues: false });
        const total = tf.add(tf.mul(distill, this.alpha), tf.mul(cross, 1 - this.alpha));
        return [total as tf.Scalar, distill, agree, cross];
      });
      const [loss, distillation, agreement, labelledLoss] = values;
      return labelled
        ? { step, loss, learningRate, distillationLoss: distillation, agreement, labelledLoss }
        : { step, loss, learningRate, distillationLoss: distillation, agreement };
    } finally {
      tf.dispose(fixed);
      if (unlabelledImages.owned) unlabelledImages.tensor.dispose();
      if (labelledImages?.owned) labelledImages.tensor.dispose();
    }
  }

  // The labelled batch: required when alpha < 1, refused at alpha 1; images fit the student
  // and labels are one class per image.
  #checkLabelled(
    fn: string,
    labelled: unknown,
    size: readonly (number | null)[],
  ): { images: ImageInput; labels: Labels } | undefined {
    if (this.alpha === 1) {
      if (labelled !== undefined) {
        throw typeError(fn, "labelled", "omitted when alpha is 1 (pure distillation)", labelled);
      }
      return undefined;
    }
    if (labelled === undefined) {
      throw typeError(
        fn,
        "labelled",
        `a labelled batch when alpha < 1 (alpha is ${this.alpha})`,
        labelled,
      );
    }
    const pair = isDataset(labelled)
      ? { images: labelled, labels: labelled.labels }
      : checkOptions(fn, labelled as { images: unknown; labels?: Labels }, "labelled");
    if (!isDataset(labelled)) checkKeys(fn, pair, ["images", "labels"]);
    const m = checkImages(fn, "labelled.images", pair.images, size, 1);
    const given = pair.labels ?? (isDataset(pair.images) ? pair.images.labels : undefined);
    if (given === undefined) {
      throw typeError(fn, "labelled.labels", "given (or carried by the Dataset)", given);
    }
    const labels = checkLabels(
      fn,
      "labelled.labels",
      given,
      m,
      this.numClasses,
      this.#checkValues,
    );
    return { images: pair.images as ImageInput, labels };
  }

  /**
   * The learner's state as plain data: the step counter, every weight of the student (moving
   * statistics included) and the optimizer's state; the teacher, which never changes, is not
   * in it. Structured-cloneable; restore it with `setState` into a learner built the same way
   * (with the same teacher) to continue bit-identically on the same backend.
   */
  getState(): Promise<DistillState> {
    return this.#trainer.getState();
  }

  /**
   * Restores a state made by {@linkcode DistillLearner.getState}: the student's weights in
   * place, the optimizer's state and the step counter. A state that does not fit throws and
   * changes nothing.
   *
   * @param state The state; it is copied, not kept.
   * @throws {TypeError} If `state` or a part of it has the wrong type.
   * @throws {RangeError} If it is not a distillation state or its records do not fit.
   */
  setState(state: DistillState): Promise<void> {
    return this.#trainer.setState(state);
  }

  /**
   * Frees the optimizer the learner built (one passed in stays the caller's); the teacher and
   * student are the caller's. Calling it twice does nothing; the learner cannot be used
   * afterwards.
   */
  dispose(): void {
    this.#trainer.dispose();
  }
}

/**
 * Builds a SimCLRv2 distillation learner (see {@linkcode DistillLearner}): a student learns
 * the teacher's temperature-softened probabilities on unlabelled images, optionally mixed with
 * labelled cross-entropy.
 *
 * @param options See {@linkcode DistillLearnerOptions}.
 * @returns The learner; call its `dispose()` when done.
 * @throws {TypeError} If an option has the wrong type or an unknown name, or the student
 *   shares weights with the teacher.
 * @throws {RangeError} If the student's class count or input differs from the teacher's,
 *   `temperature` is not > 0, `alpha` is outside [0, 1], or another number is out of range.
 *
 * @example Self-distillation with the paper's schedule
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { classifierModel, distillLearner } from "@selfsup/distill";
 * import { smallConvNet } from "@selfsup/encoders";
 *
 * const encoders = [1, 3].map((seed) =>
 *   smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed })
 * );
 * const teacher = classifierModel({ encoder: encoders[0], numClasses: 3, seed: 2 });
 * const student = classifierModel({ encoder: encoders[1], numClasses: 3, seed: 4 });
 * const learner = distillLearner({ teacher, student, seed: 5, batchSize: 4, totalSteps: 20 });
 * const images = tf.randomUniform([4, 8, 8, 1], 0, 1, "float32", 6) as tf.Tensor4D;
 * const { loss, learningRate } = await learner.step(images);
 * assert.ok(loss > 0);
 * assert.equal(learningRate, 0.2); // 0.1 * sqrt(4), reached after a 1-step warmup (5% of 20)
 * images.dispose();
 * learner.dispose();
 * for (const model of [teacher, student, ...encoders]) model.dispose();
 * ```
 *
 * @example Different class counts are refused
 * ```ts
 * import assert from "node:assert/strict";
 * import { classifierModel, distillLearner } from "@selfsup/distill";
 * import { smallConvNet } from "@selfsup/encoders";
 *
 * const encoders = [1, 3].map((seed) =>
 *   smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed })
 * );
 * const teacher = classifierModel({ encoder: encoders[0], numClasses: 10, seed: 2 });
 * const student = classifierModel({ encoder: encoders[1], numClasses: 5, seed: 4 });
 * assert.throws(() => distillLearner({ teacher, student, seed: 5, learningRate: 0.1 }), {
 *   name: "RangeError",
 *   message:
 *     "distillLearner(): student must be a model with the teacher's 10 classes, got 5 classes",
 * });
 * for (const model of [teacher, student, ...encoders]) model.dispose();
 * ```
 */
export function distillLearner(options: DistillLearnerOptions): DistillLearner {
  return new DistillLearner(options);
}
