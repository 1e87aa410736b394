// crossEntropy() takes the labels that @selfsup/data yields as they are (issue 16: it threw a
// TypeError for an Int32Array).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batches, fromArrays } from "@selfsup/data";
import { crossEntropy } from "@selfsup/losses";

tf.enableProdMode();

Deno.test("crossEntropy() takes batch.labels of @selfsup/data and agrees with an int32 tensor", () => {
  const labels = [2, 0, 1, 1, 0, 2];
  const dataset = fromArrays(new Uint8Array(6), [6, 1, 1, 1], { labels });
  let seen = 0;
  for (const batch of batches(dataset, { batchSize: 3, shuffle: false })) {
    assert.ok(batch.labels instanceof Int32Array);
    // Logits that favour class 0 by 1: the loss is log(e + 2) - 1 for label 0 and log(e + 2)
    // for the others.
    const logits = tf.tensor2d([[1, 0, 0], [1, 0, 0], [1, 0, 0]]);
    const expected = batch.labels.reduce(
      (s, label) => s + Math.log(Math.E + 2) - (label === 0 ? 1 : 0),
      0,
    ) / 3;
    const fromData = tf.tidy(() => crossEntropy(logits, batch.labels!).dataSync()[0]);
    const fromTensor = tf.tidy(() =>
      crossEntropy(logits, tf.tensor1d(batch.labels!, "int32")).dataSync()[0]
    );
    assert.ok(Math.abs(fromData - expected) < 1e-6, `${fromData} != ${expected}`);
    assert.equal(fromTensor, fromData);
    logits.dispose();
    seen++;
  }
  assert.equal(seen, 2);
});
