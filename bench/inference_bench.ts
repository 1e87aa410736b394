/**
 * Times the features of a frozen encoder (issue 13: the full evaluation of a trained encoder
 * should take well under a minute) both ways in one run: the encoder itself in inference mode
 * (`encoder.apply(x, { training: false })`, what evaluation ran so far) and its
 * `inferenceModel` (batch norms folded into the convolutions, ReLU and padding fused), through
 * `extractFeatures` of @selfsup/eval as evaluation does, on the Fashion-MNIST images.
 *
 * ```sh
 * deno task bench:inference                  # all 70,000 images, ResNet-18 x0.25, blas
 * deno run -A bench/inference_bench.ts --images 10240 --backend blas
 * ```
 *
 * The machine is shared, so the two ways alternate chunk by chunk (`--chunk` images, the order
 * swapped every chunk) and both see the same load; the report gives each way's images/s, the
 * ratio of the totals and the median of the per-chunk ratios, in wall and process CPU time.
 * Before timing, a few training-mode passes move the batch norms' moving statistics off their
 * initial values, as training would. The features of the two ways are compared at the end
 * (largest |a - b| / (1 + |b|)); the script exits with 1 when it exceeds `--tolerance`.
 *
 * Flags: `--images` (default 70000, all of Fashion-MNIST), `--batch` (default 256, as
 * evaluation), `--chunk` (default 2560), `--width` (default 0.25, the train app's default
 * encoder), `--backend` (default blas), `--seed`, `--tolerance` (default 1e-4).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { startBackend } from "../backends/mod.ts";
import { fromArrays, toImageTensor } from "../data/mod.ts";
import { loadFashionMnist } from "../data/files.ts";
import { inferenceModel, resNet18 } from "../encoders/mod.ts";
import { extractFeatures } from "../eval/mod.ts";
import { makeClock } from "./_process_clock.ts";

const { values } = parseArgs({
  options: {
    images: { type: "string", default: "70000" },
    batch: { type: "string", default: "256" },
    chunk: { type: "string", default: "2560" },
    width: { type: "string", default: "0.25" },
    backend: { type: "string", default: "blas" },
    // Not 0: tfjs treats seed 0 as "no seed".
    seed: { type: "string", default: "1" },
    tolerance: { type: "string", default: "1e-4" },
  },
});
const [images, batch, chunk, seed] = ["images", "batch", "chunk", "seed"].map((name) => {
  const value = Number(values[name as keyof typeof values]);
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`--${name} must be >= 1`);
  return value;
});
const width = Number(values.width);
const tolerance = Number(values.tolerance);
if (!(width > 0) || !(tolerance >= 0)) throw new RangeError("--width > 0, --tolerance >= 0");

tf.enableProdMode();
const started = await startBackend(values.backend as Parameters<typeof startBackend>[0]);
console.log(`backend ${started.name}: ${started.reason}`);
const clock = makeClock();

const all = await loadFashionMnist({ split: "all" });
const n = Math.min(images, all.shape[0]);
const pixels = 28 * 28;
const subset = (start: number, count: number) =>
  fromArrays(all.images.subarray(start * pixels, (start + count) * pixels), [count, 28, 28, 1]);

const encoder = resNet18({ inputShape: [28, 28, 1], widthMultiplier: width, seed });
// Moving statistics off their initial 0 and 1, as after training (the weights stay as built).
for (let i = 0; i < 5; i++) {
  tf.tidy(() => {
    encoder.apply(toImageTensor(subset(i * batch, batch)), { training: true });
  });
}
let t = performance.now();
const fast = inferenceModel(encoder);
console.log(
  `inferenceModel: ${(performance.now() - t).toFixed(0)} ms to build; layers ` +
    `${encoder.layers.length} -> ${fast.layers.length}`,
);

type Way = "encoder" | "inferenceModel";
const ways: Record<Way, (x: tf.Tensor4D) => tf.Tensor> = {
  encoder: (x) => encoder.apply(x, { training: false }) as tf.Tensor,
  inferenceModel: (x) => fast.apply(x, { training: false }) as tf.Tensor,
};
const features: Record<Way, Float32Array[]> = { encoder: [], inferenceModel: [] };
const wall: Record<Way, number[]> = { encoder: [], inferenceModel: [] };
const cpu: Record<Way, number[]> = { encoder: [], inferenceModel: [] };

// Warm-up: oneDNN plans, JIT.
for (const way of Object.values(ways)) {
  (await extractFeatures(way, subset(0, batch), { batchSize: batch })).dispose();
}

console.log(`${n} images, batches of ${batch}, ${clock.kind} and wall time, alternating:`);
for (let start = 0, k = 0; start < n; start += chunk, k++) {
  const ds = subset(start, Math.min(chunk, n - start));
  const order: Way[] = k % 2 === 0 ? ["encoder", "inferenceModel"] : ["inferenceModel", "encoder"];
  for (const way of order) {
    t = performance.now();
    const c = clock.now();
    const out = await extractFeatures(ways[way], ds, { batchSize: batch });
    features[way].push(await out.data<"float32">());
    wall[way].push(performance.now() - t);
    cpu[way].push(clock.now() - c);
    out.dispose();
  }
}

const sum = (v: number[]) => v.reduce((a, b) => a + b, 0);
const median = (v: number[]) => {
  const s = v.slice().sort((a, b) => a - b);
  return s.length % 2 === 1 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
for (const [what, times] of [["wall", wall], [clock.kind, cpu]] as const) {
  const rate = (way: Way) => n / (sum(times[way]) / 1000);
  const ratios = times.encoder.map((e, i) => e / times.inferenceModel[i]!);
  console.log(
    `${what}: encoder ${rate("encoder").toFixed(0)} images/s (${
      (sum(times.encoder) / 1000).toFixed(1)
    } s), ` +
      `inferenceModel ${rate("inferenceModel").toFixed(0)} images/s ` +
      `(${(sum(times.inferenceModel) / 1000).toFixed(1)} s); ratio ${
        (rate("inferenceModel") / rate("encoder")).toFixed(2)
      }x, ` +
      `median of ${ratios.length} chunks ${median(ratios).toFixed(2)}x`,
  );
}

let worst = 0;
let compared = 0;
features.encoder.forEach((e, i) => {
  const f = features.inferenceModel[i]!;
  e.forEach((v, j) => {
    const error = Math.abs(f[j]! - v) / (1 + Math.abs(v));
    worst = Number.isNaN(error) ? Infinity : Math.max(worst, error);
    compared++;
  });
});
console.log(
  `features: ${compared} values compared, largest |a - b| / (1 + |b|) = ${worst.toExponential(2)}` +
    ` (tolerance ${tolerance})`,
);
fast.dispose();
encoder.dispose();
if (!(compared > 0 && worst <= tolerance)) Deno.exit(1);
