// Issue 15, item 10: the work of the classifiers must follow the data, not the label values.
// A kNN bank of 4 rows with a label of 5,000,000 took 5.2 s and 595 MB (the one-hot depth
// followed the largest label); the linear probe made a layer as wide as the largest label.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { knnClassifier, linearProbe } from "@selfsup/eval";
import { peakRssGrowth } from "./data_eval_peak_rss.ts";

tf.enableProdMode();

Deno.test("knnClassifier() with a label of 5,000,000 uses memory set by the bank", async () => {
  const features = tf.tensor2d([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]]);
  const queries = tf.tensor2d(Array.from({ length: 16 }, (_, i) => [i % 2, 1 - (i % 2)]));
  const labels = Int32Array.from([0, 0, 5_000_000, 5_000_000]);
  const { mib, result, error } = await peakRssGrowth(() =>
    knnClassifier({ features, labels }, queries, { k: 4 })
  );
  tf.dispose([features, queries]);
  assert.equal(error, undefined);
  assert.deepEqual(
    [...result!],
    Array.from({ length: 16 }, (_, i) => (i % 2 === 0 ? 5_000_000 : 0)),
  );
  // One-hot votes over 5,000,001 classes would take 16 x 4 x 5,000,001 floats = 1.2 GB.
  assert.ok(mib < 64, `peak memory grew by ${mib.toFixed(1)} MiB`);
});

Deno.test("linearProbe() with a label of 4,000,000 has one output per class present", async () => {
  const x = tf.tensor2d(Array.from({ length: 8 }, (_, i) => [
    ...Array.from({ length: 16 }, (_, j) => (i % 2 === 0 ? 1 : -1) * (j + 1) + 0.1 * i),
  ]));
  const labels = Int32Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? 4_000_000 : 1));
  const { mib, result, error } = await peakRssGrowth(() =>
    linearProbe({ features: x, labels }, { features: x, labels }, { epochs: 2, batchSize: 4 })
  );
  x.dispose();
  assert.equal(error, undefined);
  assert.equal(result!.accuracy, 1);
  assert.deepEqual([...result!.predictions], [...labels]);
  // A [16, 4,000,001] weight matrix alone would be 256 MB.
  assert.ok(mib < 64, `peak memory grew by ${mib.toFixed(1)} MiB`);
});
