// Property: saving and loading any encoder configuration is lossless, bit for bit.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { resNet, smallConvNet } from "@selfsup/encoders";
import { loadModel, saveModel } from "@selfsup/encoders/model_files";

tf.enableProdMode();

const bits = (t: tf.Tensor) => new Uint8Array((t.dataSync() as Float32Array).slice().buffer);

Deno.test("saveModel() + loadModel() round-trips any encoder with bitwise-identical outputs and no leak", async () => {
  const parent = await Deno.makeTempDir({ prefix: "selfsup_encoders_roundtrip_" });
  try {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            kind: fc.constant("small" as const),
            filters: fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
          }),
          fc.record({
            kind: fc.constant("resnet" as const),
            depth: fc.constantFrom(18 as const, 34 as const, 50 as const),
          }),
        ),
        fc.integer({ min: 1, max: 12 }),
        fc.integer({ min: 1, max: 3 }),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (arch, size, channels, seed) => {
          const inputShape: [number, number, number] = [size, size, channels];
          const model = arch.kind === "small"
            ? smallConvNet({ inputShape, filters: arch.filters, seed })
            : resNet({ depth: arch.depth, inputShape, widthMultiplier: 1 / 64, seed });
          const dir = `${parent}/model${run++}`;
          await saveModel(model, dir);
          const before = tf.memory().numTensors;
          const loaded = await loadModel(dir);
          const x = tf.randomUniform([2, ...inputShape], 0, 1, "float32", seed);
          const [a, b] = [model.predict(x), loaded.predict(x)] as tf.Tensor[];
          assert.deepEqual(bits(b), bits(a));
          assert.deepEqual(loaded.layers.map((l) => l.name), model.layers.map((l) => l.name));
          tf.dispose([x, a, b]);
          loaded.dispose();
          assert.equal(tf.memory().numTensors, before);
          model.dispose();
          await Deno.remove(dir, { recursive: true });
        },
      ),
      { numRuns: 100, seed: 99 },
    );
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
