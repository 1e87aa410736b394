import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { knnClassifier } from "../eval/mod.ts";

tf.enableProdMode();

// Float64 brute-force weighted kNN, the definition written out independently.
function referenceKnn(
  train: number[][],
  labels: number[],
  query: number[],
  k: number,
  t: number,
  classes: number,
): { winner: number; margin: number; gap: number } {
  const unit = (v: number[]) => {
    const norm = Math.hypot(...v);
    return v.map((x) => (norm > 0 ? x / norm : 0));
  };
  const q = unit(query);
  const sims = train.map((row) => unit(row).reduce((s, v, j) => s + v * q[j], 0));
  const order = sims.map((s, i) => [s, i]).sort((a, b) => b[0] - a[0]);
  const scores = new Array(classes).fill(0);
  // exp(s / t) scaled by exp(-best / t), a common positive factor: the same ranking, and no
  // overflow in float64 at low temperatures either.
  const best = order[0][0];
  order.slice(0, k).forEach(([s, i]) => (scores[labels[i]] += Math.exp((s - best) / t)));
  const sorted = [...scores].sort((a, b) => b - a);
  // gap: similarity distance between the k-th and (k+1)-th neighbour (ties make the set ambiguous)
  const gap = k < order.length ? order[k - 1][0] - order[k][0] : Infinity;
  return { winner: scores.indexOf(sorted[0]), margin: (sorted[0] - sorted[1]) / sorted[0], gap };
}

Deno.test("knnClassifier() matches a float64 brute-force weighted kNN", async () => {
  let compared = 0;
  let queries = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 30 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 1, max: 40 }),
      fc.integer({ min: 1, max: 9 }),
      fc.double({ min: 0.05, max: 2, noNaN: true }),
      fc.integer({ min: 1, max: 1000 }),
      async (n, d, k, chunkSize, t, seed) => {
        const classes = 3;
        const train = tf.randomNormal([n, d], 0, 1, "float32", seed) as tf.Tensor2D;
        const test = tf.randomNormal([7, d], 0, 1, "float32", seed + 1) as tf.Tensor2D;
        const labels = Array.from({ length: n }, (_, i) => (i * 7 + seed) % classes);
        const predicted = await knnClassifier({ features: train, labels }, test, {
          k,
          temperature: t,
          chunkSize,
          numClasses: classes,
        });
        const rows = train.arraySync();
        test.arraySync().forEach((query, i) => {
          const ref = referenceKnn(rows, labels, query, Math.min(k, n), t, classes);
          // Compare only where float32 rounding cannot change the answer.
          queries++;
          if (ref.margin > 1e-4 && ref.gap > 1e-5) {
            assert.equal(predicted[i], ref.winner);
            compared++;
          }
        });
        tf.dispose([train, test]);
      },
    ),
    { numRuns: 100 },
  );
  // The comparison must not be skipped wholesale: most queries are unambiguous.
  assert.equal(queries, 700);
  assert.ok(compared > 500, `only ${compared} of 700 queries compared`);
});

Deno.test("knnClassifier() matches the float64 kNN at low temperatures, where exp overflows", async () => {
  let compared = 0;
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 2, max: 30 }),
      fc.integer({ min: 1, max: 8 }),
      fc.double({ min: 1e-3, max: 0.011, noNaN: true }),
      fc.integer({ min: 1, max: 1000 }),
      async (n, k, t, seed) => {
        const train = tf.randomNormal([n, 4], 0, 1, "float32", seed) as tf.Tensor2D;
        const test = tf.randomNormal([5, 4], 0, 1, "float32", seed + 1) as tf.Tensor2D;
        const labels = Array.from({ length: n }, (_, i) => (i * 5 + seed) % 3);
        const predicted = await knnClassifier({ features: train, labels }, test, {
          k,
          temperature: t,
        });
        const rows = train.arraySync();
        test.arraySync().forEach((query, i) => {
          const ref = referenceKnn(rows, labels, query, Math.min(k, n), t, 3);
          // float32 similarities are off by ~1e-7, which a temperature of 1e-3 turns into
          // ~1e-4 of relative weight: compare only with a clear margin.
          if (ref.margin > 1e-2 && ref.gap > 1e-4) {
            assert.equal(predicted[i], ref.winner);
            compared++;
          }
        });
        tf.dispose([train, test]);
      },
    ),
    { numRuns: 50 },
  );
  assert.ok(compared > 150, `only ${compared} of 250 queries compared`);
});
