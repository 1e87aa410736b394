/**
 * Profiles the reference step (bench/reference_step.ts) on the blas backend: images/s, GFLOP/s,
 * time per kernel, and memory (tf.memory() and process RSS) over the run.
 *
 * ```sh
 * deno run --allow-all bench/blas_profile.ts --steps 20 --warmup 3 --kernels
 * deno run --allow-all bench/blas_profile.ts --steps 500 --memory-every 50
 * ```
 *
 * Flags: `--backend` (default blas; any registered name), `--encoder reference|resnet18-small`,
 * `--batch` (images per view, default 128), `--seed` (default 1), `--steps`, `--warmup`,
 * `--threads` (BLAS threads), `--kernels` (time every kernel), `--stock-bn-grad` (keep tfjs's
 * batch-norm and mean gradients), `--batch-norm fused|stock` (the reference model's layer),
 * `--memory-every N` (print memory every N steps), `--by-shape` (with `--kernels`: time each
 * kernel per input shapes), `--no-onednn` (the blas backend without oneDNN), `--library` (a
 * CBLAS library to open instead of OpenBLAS), `--precision float32|bfloat16` (blas's convolutions).
 *
 * Times are wall clock and, on Linux, process CPU time (all threads): on a machine shared with
 * other work the CPU figures are the steadier ones.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { registerBlasBackend } from "../backends/blas_backend.ts";
import { type BlasPrecision, setBlasPrecision } from "../backends/blas_precision.ts";
import { installBatchNormGradient } from "../backends/batch_norm_gradient.ts";
import { installReluGradient } from "../backends/relu_gradient.ts";
import { buildReferenceStep, type ReferenceEncoder } from "./reference_step.ts";
import { makeClock } from "./_process_clock.ts";

const { values } = parseArgs({
  options: {
    backend: { type: "string", default: "blas" },
    encoder: { type: "string", default: "reference" },
    batch: { type: "string", default: "128" },
    // Not 0: tfjs treats seed 0 as "no seed", which makes runs differ.
    seed: { type: "string", default: "1" },
    steps: { type: "string", default: "10" },
    warmup: { type: "string", default: "2" },
    threads: { type: "string" },
    kernels: { type: "boolean", default: false },
    "stock-bn-grad": { type: "boolean", default: false },
    "memory-every": { type: "string", default: "0" },
    "batch-norm": { type: "string", default: "fused" },
    "by-shape": { type: "boolean", default: false },
    "no-onednn": { type: "boolean", default: false },
    library: { type: "string" },
    precision: { type: "string", default: "float32" },
  },
});
const steps = Number(values.steps);
const warmup = Number(values.warmup);
const memoryEvery = Number(values["memory-every"]);

tf.enableProdMode();
registerBlasBackend({
  threads: values.threads ? Number(values.threads) : undefined,
  oneDnn: !values["no-onednn"],
  libraryPath: values.library,
});
// The gradients startBackend installs with fastGradients: true (registering blas changes none).
installReluGradient();
if (!values["stock-bn-grad"]) installBatchNormGradient();
if (!(await tf.setBackend(values.backend!))) throw new Error(`backend ${values.backend} failed`);
if (values.backend === "blas") setBlasPrecision(values.precision as BlasPrecision);

const clock = makeClock();

/** Kernel name -> [calls, total ms], filled by timing wrappers around the registered kernels. */
const kernelTimes = new Map<string, [number, number]>();
/** The input shapes of a kernel call, e.g. "[256x28x28x32, 3x3x32x32]". */
const shapesOf = (inputs: tf.NamedTensorInfoMap) =>
  `[${Object.values(inputs).map((t) => t?.shape.join("x") ?? "-").join(", ")}]`;
let timing = false;
if (values.kernels) {
  for (const config of tf.getKernelsForBackend(values.backend!)) {
    const inner = config.kernelFunc;
    tf.unregisterKernel(config.kernelName, config.backendName);
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        if (!timing) return inner(args);
        const t0 = clock.now();
        const out = inner(args);
        const key = values["by-shape"]
          ? `${config.kernelName} ${shapesOf(args.inputs)}`
          : config.kernelName;
        const entry = kernelTimes.get(key) ?? [0, 0];
        entry[0]++;
        entry[1] += clock.now() - t0;
        kernelTimes.set(key, entry);
        return out;
      },
    });
  }
}

const ref = buildReferenceStep({
  batch: Number(values.batch),
  seed: Number(values.seed),
  encoder: values.encoder as ReferenceEncoder,
  batchNorm: values["batch-norm"] as "fused" | "stock",
});
for (let i = 0; i < warmup; i++) await ref.step();

const mib = (b: number) => (b / 2 ** 20).toFixed(1);
const memoryLine = (label: string) => {
  const m = tf.memory();
  console.log(
    `${label}: tensors ${m.numTensors}, tensor MiB ${mib(m.numBytes)}, ` +
      `RSS MiB ${mib(Deno.memoryUsage().rss)}`,
  );
};
memoryLine("after warmup");

timing = true;
const cpu0 = clock.now();
const t0 = performance.now();
let loss = NaN;
for (let i = 1; i <= steps; i++) {
  loss = await ref.step();
  if (memoryEvery > 0 && i % memoryEvery === 0) memoryLine(`step ${i}`);
}
const seconds = (performance.now() - t0) / 1000;
const clockPerStep = (clock.now() - cpu0) / 1000 / steps;
timing = false;

const perStep = seconds / steps;
console.log(
  `${values.backend} ${values.encoder} batch 2x${values.batch}: ${steps} steps, ` +
    `${(perStep * 1000).toFixed(0)} ms/step, ` +
    `${(ref.imagesPerStep / perStep).toFixed(1)} images/s, ` +
    `${(ref.flopsPerStep / perStep / 1e9).toFixed(1)} GFLOP/s, last loss ${loss.toFixed(4)}`,
);
// On a shared machine wall time includes waiting for a core; CPU time does not.
if (clock.kind !== "wall") {
  console.log(
    `process CPU ${(clockPerStep * 1000).toFixed(0)} ms/step (all threads), ` +
      `${(ref.imagesPerStep / clockPerStep).toFixed(1)} images per CPU-second`,
  );
}
if (values.kernels) {
  const rows = [...kernelTimes].sort((a, b) => b[1][1] - a[1][1]);
  const total = rows.reduce((s, [, [, ms]]) => s + ms, 0);
  console.log(
    `kernel ${clock.kind} time ${(total / steps).toFixed(0)} ms/step (step: ` +
      `${(clockPerStep * 1000).toFixed(0)} ms ${clock.kind})`,
  );
  for (const [name, [calls, ms]] of rows) {
    if (ms / steps < 1) continue;
    console.log(
      `  ${name.padEnd(values["by-shape"] ? 64 : 24)} ${
        (ms / steps).toFixed(1).padStart(8)
      } ms/step ` +
        `${(calls / steps).toFixed(0).padStart(5)} calls/step ${(100 * ms / total).toFixed(1)}%`,
    );
  }
}
memoryLine("end");
ref.dispose();
