import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { contrastiveMonitors } from "./_monitors.ts";

tf.enableProdMode();

// Float64 reference of the three monitors, written from their definitions.
function reference(rows: number[][]): [number, number, number] {
  const m = rows.length, n = m / 2;
  const unit = rows.map((r) => {
    const norm = Math.max(Math.hypot(...r), 1e-12);
    return r.map((x) => x / norm);
  });
  const cos = (i: number, j: number) => unit[i].reduce((s, x, k) => s + x * unit[j][k], 0);
  const partner = (i: number) => (i + n) % m;
  let positive = 0, negative = 0, correct = 0;
  for (let i = 0; i < n; i++) positive += cos(i, partner(i));
  for (let i = 0; i < m; i++) {
    let best = -Infinity, bestIndex = -1;
    for (let j = 0; j < m; j++) {
      if (j === i) continue;
      const c = cos(i, j);
      if (j !== partner(i)) negative += c;
      if (c > best) [best, bestIndex] = [c, j];
    }
    if (bestIndex === partner(i)) correct++;
  }
  return [positive / n, negative / (m * (m - 2)), correct / m];
}

Deno.test("contrastiveMonitors() matches a float64 reference for arbitrary projections", () => {
  let runs = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 2, max: 6 }),
      fc.integer({ min: 1, max: 5 }),
      fc.integer({ min: 1, max: 1e6 }),
      (n, d, seed) => {
        const z = tf.randomNormal([2 * n, d], 0, 1, "float32", seed) as tf.Tensor2D;
        const rows = z.arraySync();
        const got = tf.tidy(() => contrastiveMonitors(z));
        const [positive, negative, accuracy] = got.dataSync();
        tf.dispose([z, got]);
        const [p, q, a] = reference(rows);
        assert.ok(Math.abs(positive - p) < 1e-5, `positive ${positive} vs ${p}`);
        assert.ok(Math.abs(negative - q) < 1e-5, `negative ${negative} vs ${q}`);
        // Near-ties may rank differently in float32: allow one anchor either way.
        assert.ok(Math.abs(accuracy - a) <= 1 / (2 * n) + 1e-7, `accuracy ${accuracy} vs ${a}`);
        runs++;
      },
    ),
    { numRuns: 60 },
  );
  assert.equal(runs, 60);
});

Deno.test("contrastiveMonitors() scores perfect pairs 1 and a collapsed batch at chance", () => {
  // Two views equal and the images orthogonal: every positive ranks first.
  const eye = tf.eye(3);
  const pairs = tf.concat([eye, eye]) as tf.Tensor2D; // [6, 3]
  assert.deepEqual(Array.from(tf.tidy(() => contrastiveMonitors(pairs)).dataSync()), [1, 0, 1]);
  // Every row equal: all cosines 1; ties go to the lower index, so only anchor N (whose
  // positive is column 0) is counted right.
  const same = tf.ones([8, 5]) as tf.Tensor2D;
  const [p, q, a] = tf.tidy(() => contrastiveMonitors(same)).dataSync();
  assert.ok(Math.abs(p - 1) < 1e-6 && Math.abs(q - 1) < 1e-6);
  assert.equal(a, 1 / 8);
  tf.dispose([eye, pairs, same]);
});

Deno.test("contrastiveMonitors() leaves no tensor behind inside a tidy", () => {
  const z = tf.randomNormal([6, 4], 0, 1, "float32", 3) as tf.Tensor2D;
  const before = tf.memory().numTensors;
  const out = tf.tidy(() => contrastiveMonitors(z));
  assert.equal(tf.memory().numTensors, before + 1);
  tf.dispose([z, out]);
});
