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

Deno.test("warmupCosine() rises from a non-zero step 0 to baseLr, never rises after, and hits its end points", () => {
  fc.assert(
    fc.property(warmupCosineArb, (options) => {
      const { baseLr, finalLr, totalSteps, warmupSteps } = options;
      const lr = warmupCosine(options);
      // Step 0 trains (issue 16): baseLr / warmupSteps, or baseLr with no warmup.
      assert.equal(lr(0), warmupSteps > 0 ? baseLr * (1 / warmupSteps) : baseLr);
      // Non-zero whenever baseLr / warmupSteps does not underflow.
      const trains = baseLr >= 1e-300;
      if (trains) assert.ok(lr(0) > 0, `lr(0) = ${lr(0)}`);
      if (warmupSteps > 0) assert.equal(lr(warmupSteps - 1), baseLr);
      if (warmupSteps < totalSteps) assert.equal(lr(warmupSteps), baseLr);
      assert.equal(lr(totalSteps), finalLr);
      assert.equal(lr(totalSteps + 1), finalLr);
      assert.equal(lr(10 * totalSteps + 7), finalLr);
      let warmupChecked = 0;
      for (let k = 0; k < warmupSteps; k++) {
        const a = lr(k);
        assert.ok(Math.abs(a - baseLr * (k + 1) / warmupSteps) <= 1e-15 * baseLr, `lr(${k})`);
        assert.ok(0 < a || !trains, `lr(${k}) = ${a} is 0`);
        assert.ok(a <= baseLr, `lr(${k}) = ${a} > ${baseLr}`);
        // Strictly increasing up to the last warmup step while baseLr is far from underflow.
        if (k + 1 < warmupSteps) {
          const b = lr(k + 1);
          assert.ok(
            baseLr >= 1e-6 ? b > a : b >= a,
            `warmup: lr(${k + 1}) = ${b} <= lr(${k}) = ${a}`,
          );
        }
        warmupChecked++;
      }
      assert.equal(warmupChecked, warmupSteps);
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

Deno.test("every function @selfsup/optim exports names itself and the argument in its errors", async () => {
  const optim = await import("@selfsup/optim");
  // One bad call per exported function (a new export without an entry fails this test).
  const badCalls: Record<string, [() => unknown, string, ErrorConstructor][]> = {
    lars: [
      [() => optim.lars({ learningRate: 1, momentum: 2 }), "momentum", RangeError],
      [() => optim.lars(null as never), "options", TypeError],
    ],
    LarsOptimizer: [
      [() => new optim.LarsOptimizer({ learningRate: -1 }), "learningRate", RangeError],
    ],
    warmupCosine: [
      [
        () => optim.warmupCosine({ baseLr: 1, warmupSteps: 3, totalSteps: 2 }),
        "warmupSteps",
        RangeError,
      ],
      [
        () => optim.warmupCosine({ baseLr: 1, warmupSteps: 1, totalSteps: 2 })(-1),
        "step",
        RangeError,
      ],
    ],
    cosineMomentum: [
      [() => optim.cosineMomentum({ totalSteps: 5, base: 1.5 }), "base", RangeError],
      [() => optim.cosineMomentum({ totalSteps: "5" as never }), "totalSteps", TypeError],
    ],
    linearScaledLr: [[() => optim.linearScaledLr(0.3, 0), "batchSize", RangeError]],
    sqrtScaledLr: [[() => optim.sqrtScaledLr(-1, 256), "baseLr", RangeError]],
    setLearningRate: [[() => optim.setLearningRate({} as never, 0.1), "optimizer", TypeError]],
  };
  const functions = Object.entries(optim).filter(([, value]) => typeof value === "function");
  assert.deepEqual(functions.map(([name]) => name).sort(), Object.keys(badCalls).sort());
  let checked = 0;
  for (const [name, calls] of Object.entries(badCalls)) {
    // The class's errors name lars(), the function that builds it.
    const fn = name === "LarsOptimizer" ? "lars" : name;
    for (const [call, argument, type] of calls) {
      assert.throws(call, (e: Error) => {
        assert.equal(e.constructor, type, `${name}: ${e}`);
        assert.ok(e.message.startsWith(`${fn}(): ${argument} must be `), e.message);
        assert.match(e.message, /, got /);
        return true;
      });
      checked++;
    }
  }
  assert.equal(checked, 10);
});
