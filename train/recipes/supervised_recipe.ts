import * as tf from "@tensorflow/tfjs";
import { type Batch, toImageTensor } from "@selfsup/data";
import { classifierModel } from "@selfsup/distill";
import {
  deriveSeed,
  readModelWeights,
  readOptimizerState,
  type TensorRecord,
  writeModelWeights,
  writeOptimizerState,
} from "@selfsup/internal";
import { crossEntropy } from "@selfsup/losses";
import { setLearningRate } from "@selfsup/optim";
import type { Settings } from "../settings.ts";
import type { TrainData } from "../data_source.ts";
import {
  buildEncoder,
  classifierAccuracy,
  imageShape,
  pretrainOptimizer,
  pretrainSchedule,
  type Recipe,
  type StageLearner,
  type StagePlan,
} from "./recipe.ts";
import { labelledImages } from "./labelled_images.ts";
import { simclrViews } from "./simclr_recipe.ts";

const ENCODER_STREAM = 1;
const CLASSIFIER_STREAM = 5;

interface SupervisedState {
  method: "supervised";
  step: number;
  classifier: TensorRecord[];
  optimizer: TensorRecord[];
}

/**
 * The supervised baseline: the same encoder, the same two SimCLR views of every image, the
 * same LARS and warmup + cosine schedule, but a linear layer on the representation trained
 * with cross-entropy on the labels (both views are labelled examples, so a step sees as many
 * images as a SimCLR step). It trains on the `--labels` subset (default all), the images
 * SimCLRv2 fine-tunes on for the same seed and `--labels`; `--epochs` counts passes over it.
 */
export function supervisedRecipe(settings: Settings, data: TrainData): Recipe {
  const { train, numClasses } = data;
  const labelled = labelledImages(settings, train);
  const encoderFor = () =>
    buildEncoder(settings.encoder, imageShape(train), deriveSeed(settings.seed, ENCODER_STREAM));
  const build = () => {
    const encoder = encoderFor();
    const classifier = classifierModel({
      encoder,
      numClasses,
      seed: deriveSeed(settings.seed, CLASSIFIER_STREAM),
    });
    return { encoder, classifier };
  };
  const fromState = (state: unknown) => {
    const models = build();
    writeModelWeights(
      "train",
      "checkpoint classifier",
      models.classifier,
      (state as SupervisedState).classifier,
    );
    return models;
  };
  const views = simclrViews(settings);
  const stage: StagePlan = {
    name: "supervised",
    data: labelled,
    batchSize: settings.batchSize,
    epochs: settings.epochs ?? 1,
    budgeted: true,
    build(totalSteps: number): Promise<StageLearner> {
      const { encoder, classifier } = build();
      const optimizer = pretrainOptimizer(settings);
      const schedule = pretrainSchedule(settings, totalSteps);
      const variables = classifier.trainableWeights.map((w) => w.read() as tf.Variable);
      const [, h, w] = labelled.shape;
      const seed = deriveSeed(settings.seed, 3);
      let steps = 0;
      return Promise.resolve({
        monitorEncoder: encoder,
        async step(batch: Batch, step: number) {
          const learningRate = schedule(step);
          setLearningRate(optimizer, learningRate);
          const x = toImageTensor(batch);
          const out = tf.tidy(() => {
            const [v1, v2] = views(x, {
              seed: deriveSeed(seed, step),
              size: [h, w],
              checkValues: false,
            });
            const images = tf.concat([v1, v2], 0); // [2N, H, W, C]
            const labels = tf.tensor1d(batch.labels!, "int32");
            const y = tf.concat([labels, labels]); // [2N]
            let correct: tf.Scalar | undefined;
            const { value, grads } = tf.variableGrads(() => {
              const logits = classifier.apply(images, { training: true }) as tf.Tensor2D;
              correct = tf.keep(tf.mean(tf.cast(tf.equal(tf.argMax(logits, 1), y), "float32")));
              return crossEntropy(logits, y, { checkValues: false });
            }, variables);
            optimizer.applyGradients(grads);
            const result = tf.stack([value, correct!]);
            correct!.dispose();
            return result;
          });
          x.dispose();
          const [loss, accuracy] = await out.data();
          out.dispose();
          steps = step + 1;
          return { loss, learningRate, momentum: settings.momentum, accuracy };
        },
        async getState(): Promise<SupervisedState> {
          return {
            method: "supervised",
            step: steps,
            classifier: readModelWeights(classifier),
            optimizer: await readOptimizerState(optimizer),
          };
        },
        async setState(state: unknown) {
          const s = state as SupervisedState;
          writeModelWeights("train", "checkpoint classifier", classifier, s.classifier);
          await writeOptimizerState("train", "checkpoint optimizer", optimizer, s.optimizer);
          steps = s.step;
        },
        dispose() {
          optimizer.dispose();
          classifier.dispose();
          encoder.dispose();
        },
      });
    },
  };
  return {
    stages: [stage],
    labelledImages: labelled.shape[0],
    initialEncoder: encoderFor,
    finalEncoder(states) {
      const { encoder, classifier } = fromState(states[0]);
      classifier.dispose();
      return Promise.resolve(encoder);
    },
    finalHead: () => Promise.resolve(null),
    extraResults(states, scored) {
      const { encoder, classifier } = fromState(states[0]);
      try {
        return Promise.resolve({
          supervised: {
            accuracy: classifierAccuracy(classifier, scored),
            labelledImages: labelled.shape[0],
          },
        });
      } finally {
        classifier.dispose();
        encoder.dispose();
      }
    },
    views: (images: tf.Tensor4D, seed: number) =>
      views(images, { seed, size: [images.shape[1], images.shape[2]], checkValues: false }),
  };
}
