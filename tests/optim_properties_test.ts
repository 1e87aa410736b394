// Property-based invariants of @selfsup/optim (fast-check, fixed seeds so failures replay).
import * as tf from "@tensorflow/tfjs";
import fc from "fast-check";
import assert from "node:assert/strict";
import { cosineMomentum, lars, warmupCosine } from "@selfsup/optim";

tf.enableProdMode();

const RUNS = { numRuns: 150, seed: 20260127 };

const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 3 });
const valueArb = fc.double({ min: -10, max: 10, noNaN: true });

/** Values for a tensor of `shape`, `count` times over. */
function valuesArb(shape: number[], count: number) {
  const size = shape.reduce((a, b) => a * b, 1);
  return fc.array(fc.array(valueArb, { minLength: size, maxLength: size }), {
    minLength: count,
    maxLength: count,
  });
}

let runId = 0;

Deno.test("LARS never scales an excluded variable by its trust ratio: it is momentum SGD without weight decay", () => {
  const caseArb = fc.record({
    shape: shapeArb,
    steps: fc.integer({ min: 1, max: 3 }),
    suffix: fc.constantFrom(
      "/bias",
      "/bias_2",
      "/gamma",
      "/beta",
      "_batch_normalization/moving_mean",
    ),
    lr: fc.double({ min: 0, max: 2, noNaN: true }),
    momentum: fc.double({ min: 0, max: 1, noNaN: true }),
    weightDecay: fc.double({ min: 0, max: 1, noNaN: true }),
    eta: fc.double({ min: 1e-4, max: 1, noNaN: true }),
    nesterov: fc.boolean(),
    classicMomentum: fc.boolean(),
  }).chain((c) =>
    fc.record({
      c: fc.constant(c),
      init: valuesArb(c.shape, 1),
      grads: valuesArb(c.shape, c.steps),
    })
  );
  fc.assert(
    fc.property(caseArb, ({ c, init, grads }) => {
      const before = tf.memory().numTensors;
      const name = `property_${runId++}${c.suffix}`;
      const variable = tf.tidy(() => tf.variable(tf.tensor(init[0], c.shape), true, name));
      const optimizer = lars({
        learningRate: c.lr,
        momentum: c.momentum,
        weightDecay: c.weightDecay,
        eta: c.eta,
        nesterov: c.nesterov,
        classicMomentum: c.classicMomentum,
      });
      // Float64 momentum SGD: v <- m v + g; w <- w - lr v (Nesterov: w - lr (m v + g)).
      const w = [...init[0]];
      const v = w.map(() => 0);
      try {
        for (const g of grads) {
          const gradient = tf.tensor(g, c.shape);
          optimizer.applyGradients({ [name]: gradient });
          gradient.dispose();
          g.forEach((gi, i) => {
            v[i] = c.momentum * v[i] + gi;
            w[i] -= c.lr * (c.nesterov ? c.momentum * v[i] + gi : v[i]);
          });
        }
        const actual = variable.dataSync();
        const scale = 1 + Math.max(...w.map(Math.abs), ...v.map((x) => Math.abs(c.lr * x)));
        w.forEach((expected, i) => {
          assert.ok(
            Math.abs(actual[i] - expected) <= 1e-5 * scale,
            `${name}[${i}]: got ${actual[i]}, momentum SGD gives ${expected}`,
          );
        });
      } finally {
        variable.dispose();
        optimizer.dispose();
      }
      assert.equal(tf.memory().numTensors, before, "leaked tensors");
    }),
    RUNS,
  );
});

const warmupCosineArb = fc.record({
  baseLr: fc.double({ min: 0, max: 10, noNaN: true }),
  finalFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  totalSteps: fc.integer({ min: 1, max: 600 }),
  warmupFraction: fc.double({ min: 0, max: 1, noNaN: true }),
}).map(({ baseLr, finalFraction, totalSteps, warmupFraction }) => ({
  baseLr,
  finalLr: baseLr * finalFraction,
  totalSteps,
  warmupSteps: Math.round(totalSteps * warmupFraction),
}));

Deno.test("warmupCosine() rises during warmup, never rises after, and hits its end points", () => {
  fc.assert(
    fc.property(warmupCosineArb, (options) => {
      const { baseLr, finalLr, totalSteps, warmupSteps } = options;
      const lr = warmupCosine(options);
      assert.equal(lr(0), warmupSteps > 0 ? 0 : baseLr);
      if (warmupSteps < totalSteps) assert.equal(lr(warmupSteps), baseLr);
      assert.equal(lr(totalSteps), finalLr);
      assert.equal(lr(totalSteps + 1), finalLr);
      assert.equal(lr(10 * totalSteps + 7), finalLr);
      for (let k = 0; k < warmupSteps; k++) {
        const [a, b] = [lr(k), lr(k + 1)];
        assert.ok(0 <= a && a <= baseLr, `lr(${k}) = ${a} outside [0, ${baseLr}]`);
        // Strictly increasing while baseLr is far from underflow; the last warmup step may
        // jump straight to finalLr when warmupSteps === totalSteps.
        if (k + 1 < totalSteps) {
          assert.ok(
            baseLr >= 1e-6 ? b > a : b >= a,
            `warmup: lr(${k + 1}) = ${b} < lr(${k}) = ${a}`,
          );
        }
      }
      for (let k = warmupSteps; k <= totalSteps + 1; k++) {
        const [a, b] = [lr(k), lr(k + 1)];
        assert.ok(finalLr <= a && a <= baseLr, `lr(${k}) = ${a} outside [${finalLr}, ${baseLr}]`);
        assert.ok(b <= a, `decay: lr(${k + 1}) = ${b} > lr(${k}) = ${a}`);
      }
    }),
    RUNS,
  );
});

const cosineMomentumArb = fc.record({
  base: fc.double({ min: 0, max: 1, noNaN: true }),
  finalFraction: fc.double({ min: 0, max: 1, noNaN: true }),
  totalSteps: fc.integer({ min: 1, max: 600 }),
}).map(({ base, finalFraction, totalSteps }) => ({
  base,
  final: Math.min(1, base + (1 - base) * finalFraction),
  totalSteps,
}));

Deno.test("cosineMomentum() never decreases, stays in [base, final], and hits its end points", () => {
  fc.assert(
    fc.property(cosineMomentumArb, (options) => {
      const { base, final, totalSteps } = options;
      const tau = cosineMomentum(options);
      assert.equal(tau(0), base);
      assert.equal(tau(totalSteps), final);
      assert.equal(tau(totalSteps + 3), final);
      for (let k = 0; k <= totalSteps + 1; k++) {
        const [a, b] = [tau(k), tau(k + 1)];
        assert.ok(base <= a && a <= final, `tau(${k}) = ${a} outside [${base}, ${final}]`);
        assert.ok(b >= a, `tau(${k + 1}) = ${b} < tau(${k}) = ${a}`);
      }
    }),
    RUNS,
  );
});
