// @selfsup/augment on other backends than cpu, whose views must match the cpu backend's for the
// same seed: wasm and blas take the code paths for backends that broadcast and gather natively
// (small per-image tensors, gathers instead of slices); blas also runs the blur's matrix
// products in BLAS.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolViews, randomColorJitter, simclrViews } from "../augment/mod.ts";
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

for (const name of ["wasm", "blas"] as const) {
  let failure = "";
  try {
    await startBackend(name);
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
    // In CI's native run a backend that does not start is a failure, not a skip.
    if (nativeRequired()) throw new Error(`SELFSUP_REQUIRE_NATIVE=1, but ${name}: ${failure}`);
  }
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
