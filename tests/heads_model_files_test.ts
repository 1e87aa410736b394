// Property: heads saved with the encoders package's model files load back bit for bit, and
// headUpTo works on the loaded head.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { loadModel, saveModel } from "@selfsup/encoders/model_files";
import { byolPredictor, headUpTo, linearClassifier, projectionHead } from "@selfsup/heads";

tf.enableProdMode();

const bits = (t: tf.Tensor) => new Uint8Array((t.dataSync() as Float32Array).slice().buffer);

Deno.test("heads round-trip through model files with bitwise-identical outputs", async () => {
  const parent = await Deno.makeTempDir({ prefix: "selfsup_heads_roundtrip_" });
  try {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("projection", "predictor", "classifier"),
        fc.integer({ min: 1, max: 8 }),
        fc.integer({ min: 0, max: 3 }),
        fc.boolean(),
        fc.integer({ min: 0, max: 2 ** 31 }),
        async (kind, dim, layers, batchNorm, seed) => {
          const head = kind === "projection"
            ? projectionHead({ inputDim: dim, outputDim: 3, layers, batchNorm, seed })
            : kind === "predictor"
            ? byolPredictor({ inputDim: dim, hiddenDim: 5, outputDim: 3, seed })
            : linearClassifier({ inputDim: dim, numClasses: 3, seed });
          const x = tf.randomNormal([4, dim], 0, 1, "float32", seed);
          // One training step moves the moving statistics away from 0 and 1.
          tf.dispose(head.apply(x, { training: true }) as tf.Tensor);
          const dir = `${parent}/head${run++}`;
          await saveModel(head, dir);
          const loaded = await loadModel(dir);
          const [a, b] = [head.predict(x), loaded.predict(x)] as tf.Tensor[];
          assert.deepEqual(bits(b), bits(a));
          if (kind === "projection" && layers > 1) {
            const [c, d] = [
              headUpTo(head, 1).predict(x),
              headUpTo(loaded, 1).predict(x),
            ] as tf.Tensor[];
            assert.deepEqual(bits(d), bits(c));
            tf.dispose([c, d]);
          }
          tf.dispose([x, a, b]);
          head.dispose();
          loaded.dispose();
          await Deno.remove(dir, { recursive: true });
        },
      ),
      { numRuns: 100, seed: 3 },
    );
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
});
