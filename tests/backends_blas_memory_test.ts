import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { registerBlasBackend } from "../backends/blas_backend.ts";
import { installBatchNormGradient } from "../backends/batch_norm_gradient.ts";
import { ignoreBlas } from "../backends/blas/_test_util.ts";
import { buildReferenceStep } from "../bench/reference_step.ts";

Deno.test({
  name: "the reference step on blas keeps tf.memory() flat over 20 steps",
  ignore: ignoreBlas,
  fn: async () => {
    tf.enableProdMode();
    registerBlasBackend();
    installBatchNormGradient();
    assert.ok(await tf.setBackend("blas"));
    const ref = buildReferenceStep({ batch: 4, seed: 1 });
    const losses: number[] = [await ref.step()];
    const after1 = tf.memory();
    for (let i = 2; i <= 20; i++) {
      losses.push(await ref.step());
      const m = tf.memory();
      assert.equal(m.numTensors, after1.numTensors, `tensors after step ${i}`);
      assert.equal(m.numBytes, after1.numBytes, `bytes after step ${i}`);
    }
    assert.ok(losses.every(Number.isFinite), `losses ${losses}`);
    ref.dispose();
    await tf.setBackend("cpu");
  },
});
