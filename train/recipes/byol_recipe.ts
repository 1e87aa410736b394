import type * as tf from "@tensorflow/tfjs";
import { byolRecipes, byolViews } from "@selfsup/augment";
import { augmentList, SMALL_IMAGE_PX } from "../settings.ts";
import { listedViews, type ViewsFn } from "./listed_views.ts";
import { simclrViews } from "./simclr_recipe.ts";
import { byolLearner, type ByolState } from "@selfsup/byol";
import type { Batch, Dataset } from "@selfsup/data";
import { representationDim } from "@selfsup/encoders";
import { byolPredictor, byolProjector } from "@selfsup/heads";
import { deriveSeed, writeModelWeights } from "@selfsup/internal";
import { cosineMomentum } from "@selfsup/optim";
import type { Settings } from "../settings.ts";
import {
  buildEncoder,
  imageShape,
  pretrainOptimizer,
  pretrainSchedule,
  type Recipe,
  type StageLearner,
  type StagePlan,
} from "./recipe.ts";

const ENCODER_STREAM = 1;

/**
 * BYOL (Grill et al. 2020, arXiv:2006.07733): one pretraining stage with `byolLearner` of
 * `@selfsup/byol`, LARS and the cosine-scheduled target momentum tau from `--tau` to 1. Views:
 * the paper's asymmetric `byolViews` above 32 px; at <= 32 px SimCLR's small-image views (no
 * blur or solarization, as solo-learn's CIFAR BYOL): on 28 px Fashion-MNIST byolViews' blur and
 * solarization gained 2.4 kNN points where these gained 3.9 (byol/learning_test.ts). With
 * `--augment`, the listed transforms of those views, one recipe for both views
 * (`listedViews`).
 */
export function byolRecipe(settings: Settings, train: Dataset): Recipe {
  const [height, width] = imageShape(train);
  const small = height <= SMALL_IMAGE_PX && width <= SMALL_IMAGE_PX;
  const list = augmentList(settings);
  const scale: [number, number] = [settings.minCropArea, 1];
  const views: ViewsFn = small
    ? simclrViews(settings)
    : list !== null
    ? listedViews(list, () => byolRecipes().map((recipe) => ({ ...recipe, scale })))
    : (images, o) => byolViews(images, { ...o, cropScale: scale });
  const encoderFor = () =>
    buildEncoder(settings.encoder, imageShape(train), deriveSeed(settings.seed, ENCODER_STREAM));
  const projectorFor = (dim: number) =>
    byolProjector({
      inputDim: dim,
      hiddenDim: settings.hiddenDim ?? 2 * dim,
      outputDim: settings.projectionDim,
      seed: deriveSeed(settings.seed, 2),
    });
  const stage: StagePlan = {
    name: "pretrain",
    data: train,
    batchSize: settings.batchSize,
    epochs: settings.epochs ?? 1,
    budgeted: true,
    build(totalSteps: number): Promise<StageLearner> {
      const encoder = encoderFor();
      const dim = representationDim(encoder);
      const hiddenDim = settings.hiddenDim ?? 2 * dim;
      const projector = projectorFor(dim);
      const predictor = byolPredictor({
        inputDim: settings.projectionDim,
        hiddenDim,
        outputDim: settings.projectionDim,
        seed: deriveSeed(settings.seed, 4),
      });
      const optimizer = pretrainOptimizer(settings);
      const tau = cosineMomentum({ base: settings.tau!, totalSteps });
      const learner = byolLearner({
        encoder,
        projector,
        predictor,
        optimizer,
        seed: deriveSeed(settings.seed, 3),
        learningRate: pretrainSchedule(settings, totalSteps),
        tau,
        views,
        batchNorm: settings.byolBatchNorm!,
        checkValues: false,
      });
      return Promise.resolve({
        monitorEncoder: encoder,
        async step(batch: Batch, step: number) {
          const r = await learner.step(batch, { step });
          return {
            loss: r.loss,
            learningRate: r.learningRate,
            momentum: r.tau,
            cosine: r.cosine,
            projectionStd: r.projectionStd,
          };
        },
        getState: () => learner.getState(),
        setState: (state: unknown) => learner.setState(state as ByolState),
        dispose() {
          learner.dispose();
          optimizer.dispose();
          for (const m of [predictor, projector, encoder]) m.dispose();
        },
      });
    },
  };
  return {
    stages: [stage],
    labelledImages: 0,
    initialEncoder: encoderFor,
    finalEncoder(states) {
      const encoder = encoderFor();
      writeModelWeights(
        "train",
        "checkpoint encoder",
        encoder,
        (states[0] as ByolState).models.encoder,
      );
      return Promise.resolve(encoder);
    },
    finalHead(states) {
      const encoder = encoderFor();
      const projector = projectorFor(representationDim(encoder));
      encoder.dispose();
      writeModelWeights(
        "train",
        "checkpoint projector",
        projector,
        (states[0] as ByolState).models.projector,
      );
      return Promise.resolve(projector);
    },
    extraResults: () => Promise.resolve({}),
    views: (images: tf.Tensor4D, seed: number) =>
      views(images, { seed, size: [height, width], checkValues: false }),
  };
}
