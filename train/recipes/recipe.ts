import * as tf from "@tensorflow/tfjs";
import type { Batch, Dataset } from "@selfsup/data";
import { resNet18, resNet34, resNet50, smallConvNet } from "@selfsup/encoders";
import { lars, warmupCosine } from "@selfsup/optim";
import { parseEncoderSpec, type Settings } from "../settings.ts";

/** What one training step reports to the loop: plain numbers. */
export interface StepMetrics {
  loss: number;
  learningRate: number;
  /** LARS momentum, or BYOL's target momentum tau. */
  momentum: number;
  /** Method-specific monitors (contrastive accuracy, cosine, ...). */
  [monitor: string]: number;
}

/** A stage's learner as the loop drives it. */
export interface StageLearner {
  step(batch: Batch, step: number): Promise<StepMetrics>;
  getState(): Promise<unknown>;
  setState(state: unknown): Promise<void>;
  /** The encoder the periodic kNN watches (null: no kNN in this stage). */
  monitorEncoder: tf.LayersModel | null;
  dispose(): void;
}

/** One stage of a recipe (SimCLRv2 has three; the others one). */
export interface StagePlan {
  name: string;
  /** The images the stage draws its batches from. */
  data: Dataset;
  batchSize: number;
  /** Stage length when no --minutes budget applies to it. */
  epochs: number;
  /** Whether --minutes sizes this stage (the (pre)training stage). */
  budgeted: boolean;
  /**
   * Builds the learner for `totalSteps` steps. `previous` are the final states of the stages
   * before (from this process or a checkpoint).
   */
  build(totalSteps: number, previous: unknown[]): Promise<StageLearner>;
}

/** A recipe: its stages and what it adds to results.json. */
export interface Recipe {
  stages: StagePlan[];
  /** Labelled training images the recipe trains with (0 for SimCLR and BYOL). */
  labelledImages: number;
  /**
   * The representation encoder as the recipe builds it before its first step (same
   * architecture, seed and stream): the `random-encoder` baseline. The caller disposes it.
   */
  initialEncoder(): tf.LayersModel;
  /**
   * The representation encoder to evaluate and export, rebuilt from the stages' final states.
   * The caller disposes it.
   */
  finalEncoder(states: unknown[]): Promise<tf.LayersModel>;
  /**
   * The projection head the representation was trained with (SimCLR's head, BYOL's online
   * projector), rebuilt from the stages' final states: exported beside the encoder and, with
   * `--evaluate-projection`, evaluated on z = head(encoder(x)). Null when the method has none
   * (supervised) or it is the identity (`--head-layers 0`: z = h). The caller disposes it.
   */
  finalHead(states: unknown[]): Promise<tf.LayersModel | null>;
  /**
   * Extra results scored on `scored` (the test split or the validation slice): SimCLRv2's
   * fine-tuned and distilled accuracy, the supervised classifier's accuracy.
   */
  extraResults(states: unknown[], scored: Dataset): Promise<Record<string, unknown>>;
  /** The views preset, for the report's grid of augmented views. */
  views(images: tf.Tensor4D, seed: number): [tf.Tensor4D, tf.Tensor4D];
}

/** The image shape `[H, W, C]` of a dataset. */
export function imageShape(data: Dataset): [number, number, number] {
  const [, h, w, c] = data.shape;
  return [h, w, c];
}

/**
 * Builds an encoder from its spec (`resnet18x0.25`, `convnet`): ResNets of
 * `@selfsup/encoders` (small-image stem at <= 32 px), or the small ConvNet with filters
 * [32, 64, 128] times the width multiplier.
 */
export function buildEncoder(
  spec: string,
  inputShape: [number, number, number],
  seed: number,
): tf.LayersModel {
  const { family, width } = parseEncoderSpec(spec);
  switch (family) {
    case "resnet18":
      return resNet18({ inputShape, widthMultiplier: width, seed });
    case "resnet34":
      return resNet34({ inputShape, widthMultiplier: width, seed });
    case "resnet50":
      return resNet50({ inputShape, widthMultiplier: width, seed });
    default:
      return smallConvNet({
        inputShape,
        filters: [32, 64, 128].map((f) => Math.max(1, Math.floor(f * width))),
        seed,
      });
  }
}

/** The pretraining optimizer: LARS with the run's momentum, weight decay and trust coefficient. */
export function pretrainOptimizer(settings: Settings): tf.Optimizer {
  return lars({
    learningRate: 0,
    momentum: settings.momentum,
    weightDecay: settings.weightDecay,
    eta: settings.larsEta,
  });
}

/** The (pre)training rate: warmup over `--warmup` of the steps, then cosine decay to 0. */
export function pretrainSchedule(settings: Settings, totalSteps: number): (step: number) => number {
  return warmupCosine({
    baseLr: settings.learningRate!,
    warmupSteps: Math.round(settings.warmup * totalSteps),
    totalSteps,
  });
}

/** Steps per epoch of a stage (whole batches only). */
export function stepsPerEpoch(plan: Pick<StagePlan, "data" | "batchSize">): number {
  return Math.max(1, Math.floor(plan.data.shape[0] / plan.batchSize));
}

/**
 * Accuracy of a classifier (images -> logits) on a labelled dataset, in inference mode, in
 * batches.
 */
export function classifierAccuracy(model: tf.LayersModel, data: Dataset, batchSize = 256): number {
  const n = data.shape[0];
  const [, h, w, c] = data.shape;
  const pixels = h * w * c;
  let correct = 0;
  for (let start = 0; start < n; start += batchSize) {
    const end = Math.min(n, start + batchSize);
    const predicted = tf.tidy(() => {
      const x = tf.tensor4d(data.images.subarray(start * pixels, end * pixels), [
        end - start,
        h,
        w,
        c,
      ], "int32")
        .toFloat().div(255);
      return (model.predict(x) as tf.Tensor).argMax(1);
    });
    const p = predicted.dataSync();
    predicted.dispose();
    for (let i = 0; i < p.length; i++) if (p[i] === data.labels![start + i]) correct++;
  }
  return correct / n;
}
