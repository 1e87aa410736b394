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

Deno.test("lr scaling rules reject bad arguments with a house-format error naming them", () => {
  const rules = [[linearScaledLr, "linearScaledLr"], [sqrtScaledLr, "sqrtScaledLr"]] as const;
  for (const [f, name] of rules) {
    const cases: [() => unknown, ErrorConstructor, string][] = [
      [() => f(-0.1, 256), RangeError, `${name}(): baseLr must be a finite number >= 0, got -0.1`],
      [() => f(NaN, 256), RangeError, `${name}(): baseLr must be a finite number >= 0, got NaN`],
      [() => f(0.1, 0), RangeError, `${name}(): batchSize must be an integer >= 1, got 0`],
      [() => f(0.1, 12.5), RangeError, `${name}(): batchSize must be an integer >= 1, got 12.5`],
      [
        () => f(0.1, "256" as never),
        TypeError,
        `${name}(): batchSize must be an integer >= 1, got "256"`,
      ],
    ];
    for (const [call, type, message] of cases) {
      assert.throws(call, (e: Error) => {
        assert.equal(e.constructor, type, `${e}`);
        assert.equal(e.message, message);
        return true;
      });
    }
    assert.equal(cases.length, 5);
  }
});
