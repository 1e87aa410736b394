// @selfsup/augment on other backends than cpu, whose views must match the cpu backend's for the
// same seed: wasm and blas take the code paths for backends that broadcast and gather natively
// (small per-image tensors, gathers instead of slices); blas also runs the blur's matrix
// products in BLAS.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  byolViews,
  COLOR_JITTER_KERNEL,
  GAUSSIAN_BLUR_KERNEL,
  GRAYSCALE_KERNEL,
  randomColorJitter,
  simclrViews,
  SOLARIZE_KERNEL,
} from "../augment/mod.ts";
import { startBackend } from "../backends/mod.ts";
import { nativeRequired } from "../backends/_test_util.ts";

tf.enableProdMode();

/** Every preset and the jitter alone, on a fixed batch, read back as arrays. */
function outputs(): Float32Array[] {
  const images = tf.randomUniform([6, 20, 20, 3], 0, 1, "float32", 4) as tf.Tensor4D;
  const gray = tf.randomUniform([5, 12, 12, 1], 0, 1, "float32", 5) as tf.Tensor4D;
  const all = [
    ...simclrViews(images, { seed: 3, size: 16 }),
    ...byolViews(images, { seed: 3 }),
    ...simclrViews(gray, { seed: 9 }),
    randomColorJitter(images, { seed: 1, p: 0.6 }),
  ];
  const values = all.map((t) => t.dataSync() as Float32Array);
  tf.dispose([images, gray, ...all]);
  return values;
}

await tf.setBackend("cpu");
const onCpu = outputs();

/** Why each backend did not start ("" when it did). */
const failures: Record<string, string> = {};

for (const name of ["wasm", "blas"] as const) {
  let failure = "";
  try {
    await startBackend(name);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    // In CI's native run a backend that does not start is a failure, not a skip.
    if (nativeRequired()) throw new Error(`SELFSUP_REQUIRE_NATIVE=1, but ${name}: ${failure}`);
  }
  failures[name] = failure;
  Deno.test({
    name: `the views on the ${name} backend match the cpu backend's for the same seed` +
      (failure ? ` (skipped: ${name} did not start: ${failure})` : ""),
    ignore: failure !== "",
    async fn() {
      await tf.setBackend(name);
      const before = tf.memory().numTensors;
      const there = outputs();
      assert.equal(tf.memory().numTensors, before);
      there.forEach((values, k) => {
        assert.equal(values.length, onCpu[k].length);
        values.forEach((v, i) => assert.ok(Math.abs(v - onCpu[k][i]) < 1e-4, `output ${k}[${i}]`));
      });
    },
  });
}

Deno.test({
  name: "the presets on blas regroup no images: one fused call per random step, no gathers" +
    (failures.blas ? ` (skipped: blas did not start: ${failures.blas})` : ""),
  ignore: failures.blas !== "",
  async fn() {
    await tf.setBackend("blas");
    const images = tf.randomUniform([32, 24, 24, 3], 0, 1, "float32", 4) as tf.Tensor4D;
    const info = await tf.profile(() => [
      ...simclrViews(images, { seed: 3, checkValues: false }),
      ...byolViews(images, { seed: 3, checkValues: false }),
    ]);
    // (kernelNames lists each name once; kernels has every call.)
    const names = info.kernels.map((k) => k.name);
    const count = (name: string) => names.filter((k) => k === name).length;
    for (const regrouping of ["GatherV2", "ConcatV2", "Slice"]) {
      assert.equal(count(regrouping), 0, `${regrouping} in ${names}`);
    }
    // Four views, each jittered, grayed and blurred in one call (p 0.8, 0.2 and 0.5, 1 or 0.1
    // over 32 images: some image each); only BYOL's second view solarizes (p 0.2).
    assert.equal(count(COLOR_JITTER_KERNEL), 4);
    assert.equal(count(GRAYSCALE_KERNEL), 4);
    assert.equal(count(GAUSSIAN_BLUR_KERNEL), 4);
    assert.equal(count(SOLARIZE_KERNEL), 1);
    tf.dispose([images, ...(info.result as tf.Tensor[])]);
  },
});
