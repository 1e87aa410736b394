import type * as tf from "@tensorflow/tfjs";
import { type Batch, type Dataset, selectImages } from "@selfsup/data";
import {
  classifierModel,
  distillLearner,
  type DistillState,
  fineTuneLearner,
  type FineTuneState,
} from "@selfsup/distill";
import { deriveSeed, permutation, writeModelWeights } from "@selfsup/internal";
import type { Settings } from "../settings.ts";
import type { TrainData } from "../data_source.ts";
import {
  buildEncoder,
  classifierAccuracy,
  imageShape,
  type Recipe,
  type StageLearner,
  type StagePlan,
} from "./recipe.ts";
import { labelledImages } from "./labelled_images.ts";
import { simclrModels, simclrModelsFromState, simclrStage, simclrViews } from "./simclr_recipe.ts";

const STUDENT_STREAM = 6;
const LINEAR_STREAM = 7;

/**
 * SimCLRv2 (Chen et al. 2020, arXiv:2006.10029), three stages: SimCLR pretraining with a
 * 3-layer head; fine-tuning encoder -> head layers 1..k -> a linear layer on `--labels`
 * (`fineTuneLearner` of `@selfsup/distill`); distillation of that teacher into `--student` on
 * all the training images, unlabelled (`distillLearner`).
 */
export function simclrv2Recipe(settings: Settings, data: TrainData): Recipe {
  const { train, numClasses } = data;
  const labelled = labelledImages(settings, train);
  const k = settings.fromLayer!;
  const teacherFrom = (state: unknown) => {
    const { encoder, head } = simclrModels(settings, train);
    const model = classifierModel({
      encoder,
      head,
      k,
      numClasses,
      seed: deriveSeed(settings.seed, LINEAR_STREAM),
    });
    writeModelWeights(
      "train",
      "checkpoint classifier",
      model,
      (state as FineTuneState).models.classifier,
    );
    return { model, dispose: () => [model, head, encoder].forEach((m) => m.dispose()) };
  };
  const studentFor = () => {
    const encoder = buildEncoder(
      settings.student!,
      imageShape(train),
      deriveSeed(settings.seed, STUDENT_STREAM),
    );
    const model = classifierModel({
      encoder,
      numClasses,
      seed: deriveSeed(settings.seed, LINEAR_STREAM, 1),
    });
    return { encoder, model, dispose: () => [model, encoder].forEach((m) => m.dispose()) };
  };
  const finetuneBatch = Math.min(settings.finetuneBatchSize!, labelled.shape[0]);

  const finetune: StagePlan = {
    name: "finetune",
    data: labelled,
    batchSize: finetuneBatch,
    epochs: settings.finetuneEpochs!,
    budgeted: false,
    build(totalSteps, previous) {
      const { encoder, head } = simclrModelsFromState(settings, train, previous[0]);
      const learner = fineTuneLearner({
        encoder,
        head,
        k,
        numClasses,
        seed: deriveSeed(settings.seed, LINEAR_STREAM),
        batchSize: finetuneBatch,
        totalSteps,
        checkValues: false,
      });
      return Promise.resolve<StageLearner>({
        monitorEncoder: encoder,
        async step(batch: Batch, step: number) {
          const r = await learner.step(batch, { step });
          return {
            loss: r.loss,
            learningRate: r.learningRate,
            momentum: 0.9,
            accuracy: r.accuracy,
          };
        },
        getState: () => learner.getState(),
        setState: (s) => learner.setState(s as FineTuneState),
        dispose() {
          learner.dispose();
          for (const m of [learner.model, head, encoder]) m.dispose();
        },
      });
    },
  };

  const distill: StagePlan = {
    name: "distill",
    data: train,
    batchSize: settings.batchSize,
    epochs: settings.distillEpochs!,
    budgeted: false,
    build(totalSteps, previous) {
      const teacher = teacherFrom(previous[1]);
      const student = studentFor();
      const alpha = settings.distillAlpha!;
      const learner = distillLearner({
        teacher: teacher.model,
        student: student.model,
        seed: deriveSeed(settings.seed, 9),
        temperature: settings.distillTemperature!,
        alpha,
        batchSize: settings.batchSize,
        totalSteps,
        checkValues: false,
      });
      // With alpha < 1 each step also takes a labelled batch: a pure function of the step.
      const order = permutation(labelled.shape[0], deriveSeed(settings.seed, 10));
      const labelledBatch = (step: number): Dataset => {
        const n = Math.min(settings.batchSize, labelled.shape[0]);
        return selectImages(
          labelled,
          Array.from({ length: n }, (_, i) => order[(step * n + i) % order.length]),
        );
      };
      return Promise.resolve<StageLearner>({
        monitorEncoder: student.encoder,
        async step(batch: Batch, step: number) {
          const r = await learner.step(
            batch,
            alpha < 1 ? { step, labelled: labelledBatch(step) } : { step },
          );
          return {
            loss: r.loss,
            learningRate: r.learningRate,
            momentum: 0.9,
            distillationLoss: r.distillationLoss,
            agreement: r.agreement,
          };
        },
        getState: () => learner.getState(),
        setState: (s) => learner.setState(s as DistillState),
        dispose() {
          learner.dispose();
          student.dispose();
          teacher.dispose();
        },
      });
    },
  };

  return {
    stages: [simclrStage(settings, train), finetune, distill],
    labelledImages: labelled.shape[0],
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
      const { encoder, head } = simclrModelsFromState(settings, train, states[0]);
      encoder.dispose();
      return Promise.resolve(head);
    },
    extraResults(states, scored) {
      const teacher = teacherFrom(states[1]);
      const student = studentFor();
      try {
        writeModelWeights(
          "train",
          "checkpoint student",
          student.model,
          (states[2] as DistillState).models.student,
        );
        return Promise.resolve({
          fineTuned: {
            accuracy: classifierAccuracy(teacher.model, scored),
            labelledImages: labelled.shape[0],
          },
          distilled: {
            accuracy: classifierAccuracy(student.model, scored),
            student: settings.student,
          },
        });
      } finally {
        teacher.dispose();
        student.dispose();
      }
    },
    views: (images: tf.Tensor4D, seed: number) =>
      simclrViews(settings)(images, {
        seed,
        size: [images.shape[1], images.shape[2]],
        checkValues: false,
      }),
  };
}
