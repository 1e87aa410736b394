import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { lars } from "./lars.ts";
import { warmupCosine } from "./warmup_cosine.ts";

tf.enableProdMode();

function assertNear(actual: number, expected: number, what: string, tolerance = 1e-15) {
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${what}: got ${actual}, expected ${expected}`,
  );
}

Deno.test("warmupCosine() ramps linearly from baseLr / warmupSteps at step 0 to baseLr", () => {
  const lr = warmupCosine({ baseLr: 2, warmupSteps: 8, totalSteps: 24 });
  assert.equal(lr(0), 0.25); // not 0: the first update trains
  assert.equal(lr(1), 0.5);
  assert.equal(lr(3), 1);
  assert.equal(lr(6), 1.75);
  assert.equal(lr(7), 2);
  assert.equal(lr(8), 2);
});

Deno.test("warmupCosine() during warmup is google-research/simclr's rate one step later", () => {
  // WarmUpAndCosineDecay: baseLr * step / warmupSteps before warmupSteps.
  const [baseLr, warmupSteps] = [0.3, 7];
  const reference = (step: number) => baseLr * step / warmupSteps;
  const lr = warmupCosine({ baseLr, warmupSteps, totalSteps: 20 });
  const steps = [0, 1, 2, 3, 4, 5, 6];
  for (const step of steps) assertNear(lr(step), reference(step + 1), `step ${step}`);
  assert.equal(steps.length, warmupSteps);
});

Deno.test("warmupCosine() read at optimizer.iterations makes a first update at a non-zero rate", () => {
  const w = tf.tidy(() => tf.variable(tf.scalar(0), true, "warmup_test/kernel"));
  const schedule = warmupCosine({ baseLr: 0.4, warmupSteps: 4, totalSteps: 8 });
  // Plain SGD through LARS (momentum 0, the variable excluded from the trust ratio) on
  // L = -w: each update adds exactly its rate to w.
  const optimizer = lars({ learningRate: 0, momentum: 0, exclude: ["^warmup_test/"] });
  const rates: number[] = [];
  for (let i = 0; i < 5; i++) {
    const rate = schedule(optimizer.iterations);
    rates.push(rate);
    optimizer.learningRate = rate;
    const before = w.dataSync()[0];
    optimizer.minimize(() => tf.neg(w) as tf.Scalar, false, [w]);
    assertNear(w.dataSync()[0] - before, rate, `update ${i}`, 1e-7);
  }
  [0.1, 0.2, 0.3, 0.4, 0.4].forEach((rate, i) => assertNear(rates[i], rate, `rate ${i}`, 1e-16));
  assert.equal(optimizer.iterations, 5);
  w.dispose();
  optimizer.dispose();
});

Deno.test("warmupCosine() decays along a half cosine to finalLr and stays there", () => {
  // decay over 16 steps: t = (step - 8) / 16
  const lr = warmupCosine({ baseLr: 2, warmupSteps: 8, totalSteps: 24, finalLr: 0.5 });
  assertNear(lr(12), 0.5 + 1.5 * (1 + Math.SQRT1_2) / 2, "t = 1/4");
  assertNear(lr(16), 1.25, "t = 1/2");
  assertNear(lr(20), 0.5 + 1.5 * (1 - Math.SQRT1_2) / 2, "t = 3/4");
  assert.equal(lr(24), 0.5);
  assert.equal(lr(25), 0.5);
  assert.equal(lr(10 ** 9), 0.5);
});

Deno.test("warmupCosine() with no warmup starts at baseLr; with warmup = total never decays", () => {
  const noWarmup = warmupCosine({ baseLr: 0.3, warmupSteps: 0, totalSteps: 3 });
  assert.equal(noWarmup(0), 0.3);
  assertNear(noWarmup(1), 0.3 * 0.75, "step 1 of 3");
  assertNear(noWarmup(2), 0.3 * 0.25, "step 2 of 3");
  assert.equal(noWarmup(3), 0);

  const allWarmup = warmupCosine({ baseLr: 1, warmupSteps: 4, totalSteps: 4, finalLr: 0.1 });
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(allWarmup), [0.25, 0.5, 0.75, 1, 0.1, 0.1]);
});

Deno.test("warmupCosine() rejects bad options and steps with a house-format error", () => {
  const ok = { baseLr: 1, warmupSteps: 2, totalSteps: 10 };
  const cases: [unknown, ErrorConstructor, string][] = [
    [null, TypeError, "warmupCosine(): options must be an object, got null"],
    [
      { ...ok, baseLr: -1 },
      RangeError,
      "warmupCosine(): baseLr must be a finite number >= 0, got -1",
    ],
    [
      { ...ok, baseLr: Infinity },
      RangeError,
      "warmupCosine(): baseLr must be a finite number >= 0, got Infinity",
    ],
    [
      { ...ok, baseLr: "1" },
      TypeError,
      'warmupCosine(): baseLr must be a finite number >= 0, got "1"',
    ],
    [{ ...ok, finalLr: 2 }, RangeError, "warmupCosine(): finalLr must be <= baseLr (1), got 2"],
    [
      { ...ok, finalLr: -0.5 },
      RangeError,
      "warmupCosine(): finalLr must be a finite number >= 0, got -0.5",
    ],
    [
      { ...ok, totalSteps: 0 },
      RangeError,
      "warmupCosine(): totalSteps must be an integer >= 1, got 0",
    ],
    [
      { ...ok, totalSteps: 2.5 },
      RangeError,
      "warmupCosine(): totalSteps must be an integer >= 1, got 2.5",
    ],
    [
      { baseLr: 1, warmupSteps: 2 },
      TypeError,
      "warmupCosine(): totalSteps must be an integer >= 1, got undefined",
    ],
    [
      { ...ok, warmupSteps: -1 },
      RangeError,
      "warmupCosine(): warmupSteps must be an integer in [0, 10], got -1",
    ],
    [
      { ...ok, warmupSteps: 11 },
      RangeError,
      "warmupCosine(): warmupSteps must be an integer in [0, 10], got 11",
    ],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => warmupCosine(options as never), (e: Error) => {
      assert.equal(e.constructor, type, `${JSON.stringify(options)}: ${e}`);
      assert.equal(e.message, message);
      return true;
    });
  }
  assert.equal(cases.length, 11);
  const lr = warmupCosine(ok);
  assert.throws(() => lr(-1), {
    name: "RangeError",
    message: "warmupCosine(): step must be an integer >= 0, got -1",
  });
  assert.throws(() => lr(0.5), {
    name: "RangeError",
    message: "warmupCosine(): step must be an integer >= 0, got 0.5",
  });
  assert.throws(() => lr(NaN), RangeError);
  assert.throws(() => lr("3" as never), TypeError);
});
