// Property: every ResNet / small ConvNet configuration maps [N, H, W, C] images to [N, D], with
// the spatial sizes of torchvision's arithmetic at every stage.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { representationDim, resNet, smallConvNet } from "@selfsup/encoders";

tf.enableProdMode();

/** Output size of a k x k convolution or pool with stride s and padding p (PyTorch). */
const out = (n: number, k: number, s: number, p: number) => Math.floor((n + 2 * p - k) / s) + 1;

Deno.test("resNet() gives [N, D] and torchvision's stage sizes for any size, channels, stem and width", () => {
  fc.assert(
    fc.property(
      fc.constantFrom(18 as const, 34 as const, 50 as const),
      fc.constantFrom("imagenet" as const, "small" as const),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 4 }),
      fc.constantFrom(1 / 64, 1 / 32, 3 / 64),
      (depth, stem, height, width, channels, widthMultiplier) => {
        const model = resNet({
          depth,
          inputShape: [height, width, channels],
          stem,
          widthMultiplier,
          seed: 0,
        });
        try {
          let [h, w] = [height, width];
          if (stem === "imagenet") {
            [h, w] = [h, w].map((n) => out(out(n, 7, 2, 3), 3, 2, 1));
          }
          const blocks = depth === 18 ? [2, 2, 2, 2] : [3, 4, 6, 3];
          const base = [64, 128, 256, 512];
          blocks.forEach((b, s) => {
            if (s > 0) [h, w] = [h, w].map((n) => out(n, 3, 2, 1));
            const c = Math.floor(base[s] * widthMultiplier) * (depth === 50 ? 4 : 1);
            const shape = model.getLayer(`stage${s + 1}_block${b}_out`).outputShape;
            assert.deepEqual(shape, [null, h, w, c]);
          });
          const d = Math.floor(512 * widthMultiplier) * (depth === 50 ? 4 : 1);
          assert.equal(representationDim(model), d);
          const names = model.layers.map((l) => l.name);
          assert.equal(new Set(names).size, names.length);

          const x = tf.ones([2, height, width, channels]);
          const y = model.predict(x) as tf.Tensor;
          assert.deepEqual(y.shape, [2, d]);
          assert.ok(y.dataSync().every(Number.isFinite));
          tf.dispose([x, y]);
        } finally {
          model.dispose();
        }
      },
    ),
    { numRuns: 100, seed: 20240501 },
  );
});

Deno.test("smallConvNet() gives [N, filters.at(-1)] for any size, channels and stages", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 33 }),
      fc.integer({ min: 1, max: 33 }),
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.integer({ min: 1, max: 6 }), { minLength: 1, maxLength: 4 }),
      (height, width, channels, filters) => {
        const model = smallConvNet({ inputShape: [height, width, channels], filters, seed: 1 });
        const x = tf.ones([1, height, width, channels]);
        const y = model.predict(x) as tf.Tensor;
        assert.deepEqual(y.shape, [1, filters.at(-1)]);
        assert.equal(representationDim(model), filters.at(-1));
        tf.dispose([x, y]);
        model.dispose();
      },
    ),
    { numRuns: 100, seed: 7 },
  );
});
