import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { topK } from "./_top_k.ts";

tf.enableProdMode();

Deno.test("topK() returns what tf.topk returns, ties included (fast-check)", () => {
  // Values from a small set, so rows are full of ties whose order (smaller index first) counts.
  const matrix = fc.integer({ min: 1, max: 6 }).chain((rows) =>
    fc.integer({ min: 1, max: 40 }).chain((columns) =>
      fc.tuple(
        fc.constant(rows),
        fc.constant(columns),
        fc.array(fc.integer({ min: -4, max: 4 }).map((v) => v / 4), {
          minLength: rows * columns,
          maxLength: rows * columns,
        }),
        fc.integer({ min: 1, max: columns }),
      )
    )
  );
  let cases = 0;
  fc.assert(
    fc.property(matrix, ([rows, columns, entries, k]) => {
      const data = Float32Array.from(entries);
      const ours = topK(data, rows, columns, k);
      const theirs = tf.tidy(() => tf.topk(tf.tensor2d(data, [rows, columns]), k));
      assert.deepEqual([...ours.values], [...theirs.values.dataSync()]);
      assert.deepEqual([...ours.indices], [...theirs.indices.dataSync()]);
      tf.dispose([theirs.values, theirs.indices]);
      cases++;
    }),
    { numRuns: 200, seed: 13 },
  );
  assert.equal(cases, 200);
});

Deno.test("topK() on a hand example: largest first, equal values by smaller index", () => {
  const matrix = Float32Array.from([0.5, 0.75, 0.5, -1, 0.75, 0.25]);
  const { values, indices } = topK(matrix, 2, 3, 2);
  assert.deepEqual([...values], [0.75, 0.5, 0.75, 0.25]);
  assert.deepEqual([...indices], [1, 0, 1, 2]);
});
