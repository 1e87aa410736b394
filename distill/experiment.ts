/**
 * SimCLRv2's semi-supervised recipe on the embedded Fashion-MNIST, small enough for a laptop:
 * pretrain a small ConvNet with SimCLR and a 3-layer head on the unlabelled training images,
 * then, with 1% and 10% of the training labels (class-stratified, fixed seeds), compare
 *
 * 1. fine-tuning from the first layer of the head (`fineTuneLearner`, k = 1) against the same
 *    classifier (encoder -> head layer 1 -> linear) trained from scratch on the same labels;
 * 2. a student distilled from the fine-tuned teacher on the unlabelled images
 *    (`distillLearner`, T = 1) against the same student trained on the labels alone.
 *
 * Settings are chosen on a validation split carved from the training images (`--eval
 * validation`); the reported numbers are on the test split. Prints a markdown table.
 *
 * ```sh
 * deno run -A distill/experiment.ts --seed 1                      # the reported run (test)
 * deno run -A distill/experiment.ts --seed 1 --eval validation    # for choosing settings
 * ```
 *
 * Not part of the published package (it uses the file system and `@selfsup/backends`).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { startBackend } from "@selfsup/backends";
import { batches, type Dataset, labelledSubset, selectImages } from "@selfsup/data";
import { loadFashionMnist } from "@selfsup/data/files";
import { batchNormalization } from "@selfsup/encoders";
import { accuracy, extractFeatures, knnClassifier } from "@selfsup/eval";
import { projectionHead } from "@selfsup/heads";
import { lars, warmupCosine } from "@selfsup/optim";
import { deriveSeed, permutation } from "@selfsup/internal";
import { simclrLearner } from "@selfsup/simclr";
import {
  classifierModel,
  distillLearner,
  type DistillLearnerOptions,
  fineTuneLearner,
  type FineTuneLearnerOptions,
  teacherLabels,
} from "@selfsup/distill";

const { values: args } = parseArgs({
  options: {
    seed: { type: "string", default: "1" },
    eval: { type: "string", default: "test" }, // test | validation
    fractions: { type: "string", default: "0.01,0.1" },
    backend: { type: "string", default: "blas" },
    "validation-per-class": { type: "string", default: "300" },
    "pretrain-steps": { type: "string", default: "1500" },
    "pretrain-batch": { type: "string", default: "128" },
    "pretrain-lr": { type: "string", default: "6" }, // "": the SimCLR learner's default
    "pretrain-temperature": { type: "string", default: "0.2" }, // "": the learner's default
    "encoder-filters": { type: "string", default: "16,32,64,128" },
    "student-filters": { type: "string", default: "8,16,32,64" },
    "finetune-epochs": { type: "string", default: "30" },
    "finetune-max-steps": { type: "string", default: "200" },
    "finetune-batch": { type: "string", default: "64" },
    "finetune-optimizer": { type: "string", default: "momentum" }, // lars | momentum
    "finetune-lr": { type: "string", default: "0.05" }, // lars and "": 0.005 * sqrt(batch)
    "scratch-optimizer": { type: "string", default: "" }, // default: as fine-tuning
    "scratch-lr": { type: "string", default: "" },
    "crop-scale": { type: "string", default: "0.08,1" }, // every stage's, unless set below
    "finetune-crop": { type: "string", default: "0.5,1" },
    "scratch-crop": { type: "string", default: "0.5,1" },
    "alone-optimizer": { type: "string", default: "" }, // default: as from scratch
    "alone-lr": { type: "string", default: "0.2" },
    "alone-crop": { type: "string", default: "0.5,1" },
    "distill-optimizer": { type: "string", default: "momentum" }, // lars | momentum
    "distill-crop": { type: "string", default: "0.25,1" },
    "distill-steps": { type: "string", default: "300" },
    "distill-batch": { type: "string", default: "128" },
    "distill-lr": { type: "string", default: "0.5" }, // lars and "": 0.1 * sqrt(batch)
    "distill-temperature": { type: "string", default: "1" },
    "eval-limit": { type: "string", default: "0" }, // 0: the whole split
    arms: { type: "string", default: "finetune,scratch,distill,alone" },
    // Keep the pretrained weights here and reuse them (for choosing the later stages' settings).
    "cache-dir": { type: "string", default: "" },
  },
});

const int = (name: keyof typeof args) => {
  const value = Number(args[name]);
  if (!Number.isSafeInteger(value)) throw new RangeError(`--${name} must be an integer`);
  return value;
};
const num = (name: keyof typeof args) => {
  const text = args[name] as string;
  if (text === "") return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) throw new RangeError(`--${name} must be a number`);
  return value;
};
const list = (name: keyof typeof args) => String(args[name]).split(",").map(Number);

const seed = int("seed");
const evalSplit = args.eval;
if (evalSplit !== "test" && evalSplit !== "validation") {
  throw new RangeError("--eval must be test or validation");
}
const fractions = list("fractions");
const encoderFilters = list("encoder-filters");
const studentFilters = list("student-filters");
const cropScale = list("crop-scale") as [number, number];
const crop = (name: keyof typeof args) => args[name] ? list(name) as [number, number] : cropScale;
const started = performance.now();
const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
const log = (text: string) => console.error(`[${elapsed()}] ${text}`);

// Seed streams: each part of the experiment draws from its own.
const SPLIT = 1, LABELS = 2, PRETRAIN = 3, TEACHER = 4, SCRATCH = 5, STUDENT = 6, DISTILL = 7;

tf.enableProdMode();
const backend = await startBackend(args.backend as "blas");
log(`backend ${backend.name}: ${backend.reason}`);

// --- Data: the training images minus a stratified validation split; the test split. ---
const train = await loadFashionMnist({ split: "train" });
const perClass = int("validation-per-class");
const { validation, pool } = carveValidation(train, perClass, deriveSeed(seed, SPLIT));
const test = await loadFashionMnist({ split: "test" });
const limit = int("eval-limit");
const evaluation = evalSplit === "test" ? test : validation;
const evalSet = limit > 0
  ? selectImages(evaluation, range(Math.min(limit, evaluation.shape[0])))
  : evaluation;
log(
  `pool ${pool.shape[0]} training images (labels hidden except the subsets), validation ` +
    `${validation.shape[0]}, evaluating on ${evalSplit} (${evalSet.shape[0]} images)`,
);

// --- Stage 1: SimCLR pretraining with SimCLRv2's 3-layer head on the unlabelled pool. ---
const pretrainSteps = int("pretrain-steps");
const pretrainBatch = int("pretrain-batch");
const makeEncoder = (filters: number[], s: number) => convNet(filters, s);
const encoderWidth = encoderFilters[encoderFilters.length - 1];
const makeHead = (s: number) =>
  projectionHead({ inputDim: encoderWidth, outputDim: 128, layers: 3, seed: s });

const pretrainedEncoder = makeEncoder(encoderFilters, deriveSeed(seed, PRETRAIN, 1));
const pretrainedHead = makeHead(deriveSeed(seed, PRETRAIN, 2));
const pretrainLr = num("pretrain-lr");
const cacheFile = args["cache-dir"]
  ? `${args["cache-dir"]}/pretrained-s${seed}-f${encoderFilters.join("_")}-b${pretrainBatch}` +
    `-n${pretrainSteps}-lr${pretrainLr ?? "default"}-v${perClass}` +
    `${args["pretrain-temperature"] ? `-t${args["pretrain-temperature"]}` : ""}.f32`
  : "";
let pretrainSeconds = 0;
let firstLoss = NaN, lastLoss = NaN;
const cached = cacheFile ? await Deno.readFile(cacheFile).catch(() => undefined) : undefined;
const pretrainedWeights = [...pretrainedEncoder.weights, ...pretrainedHead.weights];
if (cached) {
  const values = new Float32Array(cached.buffer, cached.byteOffset, cached.byteLength / 4);
  let offset = 0;
  for (const w of pretrainedWeights) {
    const size = w.shape.reduce((a, b) => a! * b!, 1)!;
    const t = tf.tensor(values.slice(offset, offset + size), w.shape as number[]);
    w.write(t);
    t.dispose();
    offset += size;
  }
  log(`pretrained weights read from ${cacheFile}`);
} else {
  const simclr = simclrLearner({
    encoder: pretrainedEncoder,
    head: pretrainedHead,
    seed: deriveSeed(seed, PRETRAIN, 3),
    temperature: num("pretrain-temperature"),
    checkValues: false,
    ...(pretrainLr === undefined ? { batchSize: pretrainBatch, totalSteps: pretrainSteps } : {
      optimizer: lars({ learningRate: 0, momentum: 0.9, weightDecay: 1e-6 }),
      learningRate: warmupCosine({
        baseLr: pretrainLr,
        warmupSteps: Math.round(pretrainSteps / 10),
        totalSteps: pretrainSteps,
      }),
    }),
  });
  const pretrainStart = performance.now();
  for (const batch of cycle(pool, pretrainBatch, deriveSeed(seed, PRETRAIN, 4), pretrainSteps)) {
    const { step, loss, contrastiveAccuracy } = await simclr.step(batch);
    if (!Number.isFinite(loss)) throw new Error(`pretraining diverged at step ${step}`);
    if (step === 0) firstLoss = loss;
    lastLoss = loss;
    if (step % 25 === 0 || step === pretrainSteps - 1) {
      log(
        `simclr step ${step}: loss ${loss.toFixed(3)}, contrastive accuracy ` +
          contrastiveAccuracy.toFixed(3),
      );
    }
  }
  simclr.dispose();
  if (pretrainLr !== undefined) simclr.optimizer.dispose();
  pretrainSeconds = (performance.now() - pretrainStart) / 1000;
  if (cacheFile) {
    const parts = pretrainedWeights.map((w) => w.read().dataSync() as Float32Array);
    const all = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
    let offset = 0;
    for (const p of parts) {
      all.set(p, offset);
      offset += p.length;
    }
    await Deno.mkdir(args["cache-dir"]!, { recursive: true });
    await Deno.writeFile(cacheFile, new Uint8Array(all.buffer));
  }
}
const pretrained = pretrainedWeights.map((w) => w.read().clone());

// A cheap monitor of the representation: kNN (k = 20) on h, with 1% of the labels as the bank.
const bank = labelledSubset(pool, {
  fraction: 60 / (6000 - perClass),
  seed: deriveSeed(seed, LABELS),
});
const knn = async (encoder: tf.LayersModel) => {
  const frozen = (x: tf.Tensor4D) => encoder.apply(x, { training: false }) as tf.Tensor;
  const features = await extractFeatures(frozen, bank, { batchSize: 500 });
  const queries = await extractFeatures(frozen, evalSet, { batchSize: 500 });
  const predictions = await knnClassifier({ features, labels: bank.labels! }, queries, { k: 20 });
  tf.dispose([features, queries]);
  return accuracy(predictions, evalSet.labels!);
};
const knnPretrained = await knn(pretrainedEncoder);
const randomEncoder = makeEncoder(encoderFilters, deriveSeed(seed, SCRATCH, 1));
const knnRandom = await knn(randomEncoder);
randomEncoder.dispose();
log(
  `kNN (k = 20, 1% labels as the bank): pretrained ${pct(knnPretrained)}, random ${pct(knnRandom)}`,
);

// --- Stages 2 and 3 for each label fraction. ---
interface Row {
  fraction: number;
  labels: number;
  fineTuned: number;
  scratch: number;
  distilled: number;
  labelsOnly: number;
  agreement: number;
  seconds: number;
}
const rows: Row[] = [];
const arms = new Set(String(args.arms).split(","));
for (const fraction of fractions) {
  const rowStart = performance.now();
  const perClassLabels = Math.round(fraction * 6000); // of each class's 6,000 training images
  const labelled = labelledSubset(pool, {
    fraction: perClassLabels / (6000 - perClass),
    seed: deriveSeed(seed, LABELS, Math.round(fraction * 1e6)),
  });
  const n = labelled.shape[0];
  const batch = Math.min(int("finetune-batch"), n);
  const steps = Math.min(Math.ceil(int("finetune-epochs") * n / batch), int("finetune-max-steps"));
  log(`${fraction * 100}% labels: ${n} images, ${steps} steps of ${batch}`);
  const row: Row = {
    fraction,
    labels: n,
    fineTuned: NaN,
    scratch: NaN,
    distilled: NaN,
    labelsOnly: NaN,
    agreement: NaN,
    seconds: 0,
  };
  const scratchOptimizer = args["scratch-optimizer"] || args["finetune-optimizer"]!;
  const scratchLr = num("scratch-lr") ?? num("finetune-lr");
  const aloneOptimizer = args["alone-optimizer"] || scratchOptimizer;
  const aloneLr = num("alone-lr") ?? scratchLr;

  // (a) Fine-tune from head layer 1, starting from the pretrained weights.
  let teacher: tf.LayersModel | undefined;
  const encoder = makeEncoder(encoderFilters, 0);
  const head = makeHead(0);
  if (arms.has("finetune") || arms.has("distill")) {
    [...encoder.weights, ...head.weights].forEach((w, i) => w.write(pretrained[i]));
    teacher = await supervised(
      "fine-tune from head layer 1",
      { encoder, head, k: 1 },
      labelled,
      steps,
      batch,
      deriveSeed(seed, TEACHER),
      args["finetune-optimizer"]!,
      num("finetune-lr"),
      crop("finetune-crop"),
    );
    row.fineTuned = await testAccuracy(teacher);
    log(`fine-tuned from the head: ${pct(row.fineTuned)}`);
  }

  // (b) The same classifier from scratch on the same labels.
  if (arms.has("scratch")) {
    const scratchEncoder = makeEncoder(encoderFilters, deriveSeed(seed, SCRATCH, 1));
    const scratchHead = makeHead(deriveSeed(seed, SCRATCH, 2));
    const model = await supervised(
      "from scratch",
      { encoder: scratchEncoder, head: scratchHead, k: 1 },
      labelled,
      steps,
      batch,
      deriveSeed(seed, SCRATCH, 3),
      scratchOptimizer,
      scratchLr,
      crop("scratch-crop"),
    );
    row.scratch = await testAccuracy(model);
    log(`from scratch: ${pct(row.scratch)}`);
    for (const m of [model, scratchEncoder, scratchHead]) m.dispose();
  }

  // (c) A student distilled from the teacher on the unlabelled pool. (Lists of optimizers and
  // rates run one student each, for choosing them; the first is reported.)
  if (arms.has("distill")) {
    const distillSteps = int("distill-steps");
    const distillBatch = int("distill-batch");
    const optimizers = String(args["distill-optimizer"]).split(",");
    const rates = String(args["distill-lr"]).split(",").map((r) =>
      r === "" ? undefined : Number(r)
    );
    for (const optimizerName of optimizers) {
      for (const distillLr of rates) {
        const studentEncoder = makeEncoder(studentFilters, deriveSeed(seed, STUDENT, 1));
        const student = classifierModel({
          encoder: studentEncoder,
          numClasses: 10,
          seed: deriveSeed(seed, STUDENT, 2),
        });
        const distillOptions: DistillLearnerOptions = {
          teacher: teacher!,
          student,
          seed: deriveSeed(seed, DISTILL, 1),
          temperature: num("distill-temperature"),
          cropScale: crop("distill-crop"),
          checkValues: false,
        };
        if (optimizerName === "momentum") {
          distillOptions.optimizer = tf.train.momentum(0, 0.9, true);
          distillOptions.learningRate = cosine(
            distillLr ?? 0.1 * distillBatch / 256,
            distillSteps,
          );
        } else if (optimizerName !== "lars") {
          throw new RangeError("--distill-optimizer must be lars or momentum");
        } else if (distillLr === undefined) {
          distillOptions.batchSize = distillBatch;
          distillOptions.totalSteps = distillSteps;
        } else {
          distillOptions.learningRate = cosine(distillLr, distillSteps);
        }
        const distill = distillLearner(distillOptions);
        let agreement = 0;
        for (const b of cycle(pool, distillBatch, deriveSeed(seed, DISTILL, 2), distillSteps)) {
          const result = await distill.step(b);
          if (!Number.isFinite(result.loss)) {
            throw new Error(`distillation diverged at ${result.step}`);
          }
          agreement = result.agreement;
        }
        distill.dispose();
        distillOptions.optimizer?.dispose();
        const distilled = await testAccuracy(student);
        if (Number.isNaN(row.distilled)) {
          row.distilled = distilled;
          row.agreement = agreement;
        }
        log(
          `distilled student (${optimizerName}, lr ${distillLr ?? "default"}): ${pct(distilled)} ` +
            `(last agreement ${agreement.toFixed(3)})`,
        );
        for (const m of [student, studentEncoder]) m.dispose();
      }
    }
  }

  // (d) The same student on the labels alone.
  if (arms.has("alone")) {
    const aloneEncoder = makeEncoder(studentFilters, deriveSeed(seed, STUDENT, 1));
    const model = await supervised(
      "student on labels alone",
      { encoder: aloneEncoder },
      labelled,
      steps,
      batch,
      deriveSeed(seed, STUDENT, 2),
      aloneOptimizer,
      aloneLr,
      crop("alone-crop"),
    );
    row.labelsOnly = await testAccuracy(model);
    log(`student on labels alone: ${pct(row.labelsOnly)}`);
    for (const m of [model, aloneEncoder]) m.dispose();
  }
  row.seconds = (performance.now() - rowStart) / 1000;
  rows.push(row);
  teacher?.dispose();
  encoder.dispose();
  head.dispose();
}

// --- Report. ---
const evalName = evalSplit === "test" ? "test" : "validation";
console.log(
  `\nFashion-MNIST, ${evalName} accuracy (${evalSet.shape[0]} images), seed ${seed}, ` +
    `backend ${backend.name}, ${elapsed()} in all (pretraining ${pretrainSeconds.toFixed(0)} s, ` +
    `${pretrainSteps} steps of ${pretrainBatch}, NT-Xent ${firstLoss.toFixed(3)} -> ` +
    `${lastLoss.toFixed(3)}; kNN on h with 1% of the labels: pretrained ${pct(knnPretrained)}, ` +
    `random ${pct(knnRandom)})\n`,
);
console.log(
  "| labels | fine-tuned from head layer 1 | same classifier from scratch | distilled student | " +
    "same student, labels alone |",
);
console.log("| --- | --- | --- | --- | --- |");
for (const r of rows) {
  console.log(
    `| ${r.fraction * 100}% (${r.labels}) | ${pct(r.fineTuned)} | ${pct(r.scratch)} | ` +
      `${pct(r.distilled)} | ${pct(r.labelsOnly)} |`,
  );
}

// ---------------------------------------------------------------------------------------------

async function supervised(
  what: string,
  models: Pick<FineTuneLearnerOptions, "encoder" | "head" | "k">,
  labelled: Dataset,
  steps: number,
  batch: number,
  learnerSeed: number,
  optimizerName: string,
  lr: number | undefined,
  cropScale: [number, number],
) {
  const options: FineTuneLearnerOptions = {
    ...models,
    numClasses: 10,
    seed: learnerSeed,
    cropScale,
    checkValues: false,
  };
  if (optimizerName === "momentum") {
    // As google-research/simclr's CIFAR-10 fine-tuning example: momentum SGD, no weight decay.
    options.optimizer = tf.train.momentum(0, 0.9, true);
    const base = lr ?? 0.1 * batch / 256;
    options.learningRate = cosine(base, steps);
  } else if (optimizerName === "lars") {
    if (lr === undefined) {
      options.batchSize = batch;
      options.totalSteps = steps;
    } else {
      options.learningRate = cosine(lr, steps);
    }
  } else {
    throw new RangeError(`optimizer must be lars or momentum, got ${optimizerName}`);
  }
  const learner = fineTuneLearner(options);
  let last = { loss: NaN, accuracy: NaN };
  for (const b of cycle(labelled, batch, deriveSeed(learnerSeed, 99), steps)) {
    last = await learner.step(b);
    if (!Number.isFinite(last.loss)) throw new Error(`${what} diverged`);
  }
  log(`${what}: last loss ${last.loss.toFixed(3)}, batch accuracy ${last.accuracy.toFixed(3)}`);
  learner.dispose();
  if (options.optimizer !== undefined) options.optimizer.dispose();
  return learner.model;
}

function cosine(base: number, steps: number): (step: number) => number {
  return (step) => base * (1 + Math.cos(Math.PI * Math.min(step, steps) / steps)) / 2;
}

async function testAccuracy(model: tf.LayersModel): Promise<number> {
  // In inference mode (`apply`, not `predict`, whose batches of 32 are slow here), 500 at a time.
  const probabilities = teacherLabels(model, evalSet, { batchSize: 500 });
  const predicted = tf.argMax(probabilities, 1);
  const predictions = await predicted.data() as Int32Array;
  tf.dispose([probabilities, predicted]);
  return accuracy(predictions, evalSet.labels!);
}

/**
 * A small all-convolutional encoder: 3x3 convolutions (the first with stride 1, the others 2),
 * each followed by batch norm and ReLU, then global average pooling; h is `filters.at(-1)` wide.
 * Strided convolutions instead of max-pooling: tfjs's max-pool gradient is slow on CPUs.
 */
function convNet(filters: number[], s: number): tf.LayersModel {
  const input = tf.input({ shape: [28, 28, 1] });
  let x = input;
  filters.forEach((f, i) => {
    x = tf.layers.conv2d({
      filters: f,
      kernelSize: 3,
      strides: i === 0 ? 1 : 2,
      padding: "same",
      useBias: false,
      kernelInitializer: tf.initializers.heNormal({ seed: deriveSeed(s, i) }),
    }).apply(x) as tf.SymbolicTensor;
    x = batchNormalization({ momentum: 0.9, epsilon: 1e-5 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reLU().apply(x) as tf.SymbolicTensor;
  });
  const h = tf.layers.globalAveragePooling2d({}).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: h });
}

// Batches of `size` from `dataset` for `steps` steps, a new shuffle each epoch.
function* cycle(dataset: Dataset, size: number, s: number, steps: number): Generator<Dataset> {
  let step = 0;
  for (let epoch = 0; step < steps; epoch++) {
    for (const b of batches(dataset, { batchSize: size, seed: s, epoch, dropLast: true })) {
      if (step++ >= steps) return;
      yield b;
    }
  }
}

// `perClass` images of each class for validation (a seeded draw), the rest as the pool.
function carveValidation(dataset: Dataset, perClass: number, s: number) {
  const labels = dataset.labels!;
  const order = permutation(labels.length, s);
  const taken = new Map<number, number>();
  const validationIndices: number[] = [];
  const poolIndices: number[] = [];
  for (const i of order) {
    const count = taken.get(labels[i]) ?? 0;
    if (count < perClass) {
      validationIndices.push(i);
      taken.set(labels[i], count + 1);
    } else poolIndices.push(i);
  }
  validationIndices.sort((a, b) => a - b);
  poolIndices.sort((a, b) => a - b);
  return {
    validation: selectImages(dataset, validationIndices),
    pool: selectImages(dataset, poolIndices),
  };
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}
