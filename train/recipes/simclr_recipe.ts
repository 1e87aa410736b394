import {
  simclrRecipe as simclrViewRecipe,
  simclrViews as imagenetViews,
  smallImageViews,
} from "@selfsup/augment";
import type { Batch, Dataset } from "@selfsup/data";
import { projectionHead } from "@selfsup/heads";
import { deriveSeed, writeModelWeights } from "@selfsup/internal";
import { simclrLearner, type SimclrState } from "@selfsup/simclr";
import { representationDim } from "@selfsup/encoders";
import { augmentList, type Settings, SMALL_IMAGE_PX } from "../settings.ts";
import { listedViews, type ViewsFn } from "./listed_views.ts";
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
const HEAD_STREAM = 2;

/** The encoder and projection head of a SimCLR (v2) pretraining, built from the run seed. */
export function simclrModels(settings: Settings, data: Dataset) {
  const encoder = buildEncoder(
    settings.encoder,
    imageShape(data),
    deriveSeed(settings.seed, ENCODER_STREAM),
  );
  const dim = representationDim(encoder);
  const head = projectionHead({
    inputDim: dim,
    hiddenDim: settings.hiddenDim ?? dim,
    outputDim: settings.projectionDim,
    layers: settings.headLayers as 2 | 3,
    seed: deriveSeed(settings.seed, HEAD_STREAM),
  });
  return { encoder, head };
}

/**
 * The run's views at the run's colour strength and smallest crop area: SimCLR's small-image
 * views (CIFAR-10 recipe, no blur) at <= 32 px, its ImageNet views (with blur) above; with an
 * `--augment` list, the listed transforms of that preset ({@linkcode listedViews}).
 */
export function simclrViews(settings: Settings): ViewsFn {
  const strength = settings.colorStrength ?? undefined;
  const cropScale: [number, number] = [settings.minCropArea, 1];
  const small = (size: [number, number]) => size[0] <= SMALL_IMAGE_PX && size[1] <= SMALL_IMAGE_PX;
  const list = augmentList(settings);
  if (list !== null) {
    return listedViews(list, (size) => [
      simclrViewRecipe({
        strength: strength ?? (small(size) ? 0.5 : 1),
        blur: !small(size),
        cropScale,
      }),
    ]);
  }
  return (images, o) =>
    small(o.size)
      ? smallImageViews(images, { ...o, strength, cropScale })
      : imagenetViews(images, { ...o, strength, cropScale });
}

/** The SimCLR pretraining stage (also SimCLRv2's first stage, with its 3-layer head). */
export function simclrStage(settings: Settings, train: Dataset): StagePlan {
  return {
    name: "pretrain",
    data: train,
    batchSize: settings.batchSize,
    epochs: settings.epochs ?? 1,
    budgeted: true,
    build(totalSteps: number): Promise<StageLearner> {
      const { encoder, head } = simclrModels(settings, train);
      const optimizer = pretrainOptimizer(settings);
      const learner = simclrLearner({
        encoder,
        head,
        optimizer,
        seed: deriveSeed(settings.seed, 3),
        views: simclrViews(settings),
        temperature: settings.temperature ?? undefined,
        learningRate: pretrainSchedule(settings, totalSteps),
        checkValues: false,
      });
      return Promise.resolve({
        monitorEncoder: encoder,
        async step(batch: Batch, step: number) {
          const r = await learner.step(batch, { step });
          return {
            loss: r.loss,
            learningRate: r.learningRate,
            momentum: settings.momentum,
            contrastiveAccuracy: r.contrastiveAccuracy,
            positiveCosine: r.positiveCosine,
            negativeCosine: r.negativeCosine,
          };
        },
        getState: () => learner.getState(),
        setState: (state: unknown) => learner.setState(state as SimclrState),
        dispose() {
          learner.dispose();
          optimizer.dispose();
          head.dispose();
          encoder.dispose();
        },
      });
    },
  };
}

/** Rebuilds the pretrained encoder (and head) from a SimCLR state. */
export function simclrModelsFromState(settings: Settings, data: Dataset, state: unknown) {
  const models = simclrModels(settings, data);
  const s = state as SimclrState;
  writeModelWeights("train", "checkpoint encoder", models.encoder, s.models.encoder);
  writeModelWeights("train", "checkpoint head", models.head, s.models.head);
  return models;
}

/** SimCLR (Chen et al. 2020, arXiv:2002.05709): one pretraining stage. */
export function simclrRecipe(settings: Settings, train: Dataset): Recipe {
  return {
    stages: [simclrStage(settings, train)],
    labelledImages: 0,
    initialEncoder() {
      const { encoder, head } = simclrModels(settings, train);
      head.dispose();
      return encoder;
    },
    finalEncoder(states) {
      const { encoder, head } = simclrModelsFromState(settings, train, states[0]);
      head.dispose();
      return Promise.resolve(encoder);
    },
    finalHead(states) {
      if (settings.headLayers === 0) return Promise.resolve(null);
      const { encoder, head } = simclrModelsFromState(settings, train, states[0]);
      encoder.dispose();
      return Promise.resolve(head);
    },
    extraResults: () => Promise.resolve({}),
    views: (images, seed) =>
      simclrViews(settings)(images, {
        seed,
        size: [images.shape[1], images.shape[2]],
        checkValues: false,
      }),
  };
}
