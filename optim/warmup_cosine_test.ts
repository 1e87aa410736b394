import assert from "node:assert/strict";
import { warmupCosine } from "./warmup_cosine.ts";

function assertNear(actual: number, expected: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= 1e-15, `${what}: got ${actual}, expected ${expected}`);
}

Deno.test("warmupCosine() ramps linearly from 0 at step 0, as google-research/simclr does", () => {
  const lr = warmupCosine({ baseLr: 2, warmupSteps: 8, totalSteps: 24 });
  assert.equal(lr(0), 0);
  assert.equal(lr(1), 0.25);
  assert.equal(lr(4), 1);
  assert.equal(lr(7), 1.75);
  assert.equal(lr(8), 2);
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
  assert.deepEqual([0, 1, 2, 3, 4, 5].map(allWarmup), [0, 0.25, 0.5, 0.75, 0.1, 0.1]);
});

Deno.test("warmupCosine() rejects bad options and steps, naming the argument", () => {
  const ok = { baseLr: 1, warmupSteps: 2, totalSteps: 10 };
  const cases: [unknown, ErrorConstructor, RegExp][] = [
    [null, TypeError, /warmupCosine options must be an options object, got null/],
    [{ ...ok, baseLr: -1 }, RangeError, /baseLr must be a finite number >= 0, got -1/],
    [{ ...ok, baseLr: Infinity }, RangeError, /baseLr .* got Infinity/],
    [{ ...ok, baseLr: "1" }, TypeError, /baseLr must be a number, got "1"/],
    [{ ...ok, finalLr: 2 }, RangeError, /finalLr must be <= baseLr \(1\), got 2/],
    [{ ...ok, totalSteps: 0 }, RangeError, /totalSteps must be an integer >= 1, got 0/],
    [{ ...ok, totalSteps: 2.5 }, RangeError, /totalSteps must be an integer >= 1, got 2.5/],
    [{ ...ok, warmupSteps: -1 }, RangeError, /warmupSteps must be an integer >= 0, got -1/],
    [{ ...ok, warmupSteps: 11 }, RangeError, /warmupSteps must be <= totalSteps \(10\), got 11/],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => warmupCosine(options as never), (e: Error) => {
      assert.ok(e instanceof type, `${JSON.stringify(options)}: ${e}`);
      assert.match(e.message, message);
      return true;
    });
  }
  const lr = warmupCosine(ok);
  assert.throws(() => lr(-1), /step must be an integer >= 0, got -1/);
  assert.throws(() => lr(0.5), RangeError);
  assert.throws(() => lr(NaN), RangeError);
});
