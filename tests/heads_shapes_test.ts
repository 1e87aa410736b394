// Properties of projection heads and headUpTo over random widths, depths and BN switches.
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { headUpTo, projectionHead } from "@selfsup/heads";

tf.enableProdMode();

const count = (weights: tf.LayerVariable[]) =>
  weights.reduce((n, w) => n + w.shape.reduce((p: number, d) => p * (d as number), 1), 0);

const headOptions = fc.record({
  inputDim: fc.integer({ min: 1, max: 12 }),
  hiddenDim: fc.integer({ min: 1, max: 12 }),
  outputDim: fc.integer({ min: 1, max: 12 }),
  layers: fc.integer({ min: 0, max: 4 }),
  batchNorm: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

Deno.test("projectionHead() has the tf2 parameter count and headUpTo(k) the width of layer k", () => {
  fc.assert(
    fc.property(headOptions, (o) => {
      const head = projectionHead(o);
      const { inputDim: i, hiddenDim: h, outputDim: d, layers: L, batchNorm } = o;
      // Middle layers: kernel, then BN gamma + beta or a dense bias; last: kernel (+ BN gamma).
      const middle = L > 1 ? i * h + (L - 2) * h * h + (L - 1) * (batchNorm ? 2 * h : h) : 0;
      const last = L === 0 ? 0 : (L > 1 ? h : i) * d + (batchNorm ? d : 0);
      assert.equal(count(head.trainableWeights), middle + last);
      for (let k = 0; k <= L; k++) {
        const width = k === 0 ? i : k < L ? h : d;
        assert.deepEqual(headUpTo(head, k).outputs[0].shape, [null, width]);
      }
      assert.throws(() => headUpTo(head, L + 1), RangeError);
      head.dispose();
    }),
    { numRuns: 200, seed: 5 },
  );
});

Deno.test("projectionHead() output in training mode has zero-mean columns of variance <= 1 with batch norm", () => {
  fc.assert(
    fc.property(headOptions, fc.integer({ min: 2, max: 9 }), (o, n) => {
      fc.pre(o.layers > 0 && o.batchNorm);
      const head = projectionHead(o);
      const h = tf.randomNormal([n, o.inputDim], 0, 3, "float32", o.seed);
      const z = head.apply(h, { training: true }) as tf.Tensor;
      const { mean, variance } = tf.moments(z, 0);
      mean.dataSync().forEach((m) => assert.ok(Math.abs(m) < 1e-5, `mean ${m}`));
      variance.dataSync().forEach((v) => assert.ok(v <= 1 + 1e-5, `variance ${v}`));
      tf.dispose([h, z, mean, variance]);
      head.dispose();
    }),
    { numRuns: 100, seed: 6 },
  );
});
