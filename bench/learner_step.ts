/**
 * The learners' whole step on the reference model, for `deno task bench --learner`: views from
 * uint8 batches, encoder and head(s), loss, update (and BYOL's target forward and EMA), as
 * `@selfsup/simclr` and `@selfsup/byol` run it, so its cost can be compared with the bare
 * reference step of `reference_step.ts` (fixed views, no augmentation) in the same run.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { byolLearner } from "../byol/mod.ts";
import { type Dataset, fromArrays } from "../data/mod.ts";
import { batchNormalization } from "../encoders/mod.ts";
import { Random } from "../internal/mod.ts";
import { simclrLearner } from "../simclr/mod.ts";
import {
  buildReferenceModels,
  forwardFlopsPerImage,
  mlpHead,
  type ReferenceStep,
  type ReferenceStepOptions,
} from "./reference_step.ts";

/** Which learner the step runs. */
export type LearnerName = "simclr" | "byol";

/** Options of {@linkcode buildLearnerStep}. */
export interface LearnerStepOptions extends ReferenceStepOptions {
  /** The learner. */
  learner: LearnerName;
  /**
   * `"adam"` (default): Adam 1e-3, the bare reference step's optimizer, so the ratio measures
   * what the learner adds (views, monitors, BYOL's target); `"default"`: the learner's own
   * default (LARS with warmup-cosine).
   */
  optimizer?: "adam" | "default";
}

// A fixed batch of random uint8 images: a data batch as `@selfsup/data` yields them.
function randomImages(batch: number, shape: number[], seed: number): Dataset {
  const random = new Random(seed);
  const size = batch * shape.reduce((a, b) => a * b, 1);
  const pixels = Uint8Array.from({ length: size }, () => random.integer(256));
  return fromArrays(pixels, [batch, shape[0]!, shape[1]!, shape[2]!]);
}

/**
 * Builds a learner's step on the reference model with the current backend.
 *
 * @returns The step (resolving to its loss), its FLOP estimate and a disposer.
 */
export function buildLearnerStep(options: LearnerStepOptions): ReferenceStep {
  const { batch = 128, seed = 0, learner: which, optimizer: optimizerChoice = "adam" } = options;
  const { encoder, head } = buildReferenceModels(options);
  const inputShape = encoder.inputs[0]!.shape.slice(1) as number[];
  const images = randomImages(batch, inputShape, seed + 200);
  const optimizer = optimizerChoice === "adam" ? tf.train.adam(1e-3) : undefined;
  const schedule = optimizerChoice === "adam"
    ? {}
    : { batchSize: batch, totalSteps: 1000, warmupSteps: 100 };
  const headFlops = forwardFlopsPerImage(head);
  let flopsPerImage = forwardFlopsPerImage(encoder) + headFlops;
  let predictor: tf.LayersModel | undefined;
  let run: () => Promise<number>;
  let disposeLearner: () => void;
  if (which === "simclr") {
    const learner = simclrLearner({ encoder, head, seed: seed + 1, optimizer, ...schedule });
    run = async () => (await learner.step(images)).loss;
    disposeLearner = () => learner.dispose();
  } else {
    const outputDim = head.outputs[0]!.shape[1] as number;
    predictor = mlpHead(outputDim, 128, outputDim, seed + 300, batchNormalization);
    // The online predictor, then the target's forward (no backward) on both views.
    flopsPerImage += forwardFlopsPerImage(predictor) +
      (forwardFlopsPerImage(encoder) + headFlops) / 3;
    const learner = byolLearner({
      encoder,
      projector: head,
      predictor,
      seed: seed + 1,
      optimizer,
      // The momentum schedule needs the run's length even when the learning rate is Adam's.
      ...(optimizer === undefined ? schedule : { totalSteps: 1000 }),
    });
    run = async () => (await learner.step(images)).loss;
    disposeLearner = () => learner.dispose();
  }
  return {
    step: run,
    dispose() {
      disposeLearner();
      optimizer?.dispose();
      encoder.dispose();
      head.dispose();
      predictor?.dispose();
    },
    flopsPerStep: 3 * 2 * batch * flopsPerImage,
    imagesPerStep: 2 * batch,
  };
}
