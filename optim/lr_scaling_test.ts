import assert from "node:assert/strict";
import { linearScaledLr, sqrtScaledLr } from "./lr_scaling.ts";

Deno.test("linearScaledLr() is baseLr * batchSize / 256", () => {
  assert.equal(linearScaledLr(0.3, 256), 0.3);
  assert.equal(linearScaledLr(0.3, 4096), 0.3 * 16);
  assert.equal(linearScaledLr(1, 64), 0.25);
  assert.equal(linearScaledLr(0, 512), 0);
});

Deno.test("sqrtScaledLr() is baseLr * sqrt(batchSize)", () => {
  assert.equal(sqrtScaledLr(0.075, 4096), 0.075 * 64);
  assert.equal(sqrtScaledLr(1, 1), 1);
  assert.equal(sqrtScaledLr(2, 2), 2 * Math.SQRT2);
});

Deno.test("lr scaling rules reject bad arguments, naming them", () => {
  for (const f of [linearScaledLr, sqrtScaledLr]) {
    assert.throws(() => f(-0.1, 256), /baseLr must be a finite number >= 0, got -0.1/);
    assert.throws(() => f(NaN, 256), RangeError);
    assert.throws(() => f(0.1, 0), /batchSize must be an integer >= 1, got 0/);
    assert.throws(() => f(0.1, 12.5), /batchSize must be an integer >= 1, got 12.5/);
    assert.throws(() => f(0.1, "256" as never), /batchSize must be a number, got "256"/);
  }
});
