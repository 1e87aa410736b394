import assert from "node:assert/strict";
import { cosineMomentum } from "./cosine_momentum.ts";

function assertNear(actual: number, expected: number, what: string) {
  assert.ok(Math.abs(actual - expected) <= 1e-15, `${what}: got ${actual}, expected ${expected}`);
}

Deno.test("cosineMomentum() follows BYOL's tau = 1 - (1 - tau_base) (cos(pi k / K) + 1) / 2", () => {
  const tau = cosineMomentum({ totalSteps: 300 });
  assert.equal(tau(0), 0.996);
  assertNear(tau(100), 1 - 0.004 * (0.5 + 1) / 2, "k = K/3"); // cos(pi/3) = 1/2
  assertNear(tau(150), 0.998, "k = K/2");
  assertNear(tau(200), 1 - 0.004 * (-0.5 + 1) / 2, "k = 2K/3");
  assert.equal(tau(300), 1);
  assert.equal(tau(301), 1);
});

Deno.test("cosineMomentum() takes custom end points", () => {
  const tau = cosineMomentum({ base: 0.9, final: 0.99, totalSteps: 4 });
  assert.equal(tau(0), 0.9);
  assertNear(tau(1), 0.99 - 0.09 * (Math.SQRT1_2 + 1) / 2, "k = 1");
  assertNear(tau(2), 0.945, "k = 2");
  assert.equal(tau(4), 0.99);
  const constant = cosineMomentum({ base: 0.5, final: 0.5, totalSteps: 3 });
  assert.deepEqual([0, 1, 2, 3].map(constant), [0.5, 0.5, 0.5, 0.5]);
});

Deno.test("cosineMomentum() rejects bad options and steps with a house-format error", () => {
  const cases: [unknown, ErrorConstructor, string][] = [
    [undefined, TypeError, "cosineMomentum(): options must be an object, got undefined"],
    [{}, TypeError, "cosineMomentum(): totalSteps must be an integer >= 1, got undefined"],
    [{ totalSteps: 0 }, RangeError, "cosineMomentum(): totalSteps must be an integer >= 1, got 0"],
    [
      { totalSteps: 10, base: -0.1 },
      RangeError,
      "cosineMomentum(): base must be a finite number in [0, 1], got -0.1",
    ],
    [
      { totalSteps: 10, final: 1.01 },
      RangeError,
      "cosineMomentum(): final must be a finite number in [0, 1], got 1.01",
    ],
    [
      { totalSteps: 10, base: NaN },
      RangeError,
      "cosineMomentum(): base must be a finite number in [0, 1], got NaN",
    ],
    [
      { totalSteps: 10, base: "0.9" },
      TypeError,
      'cosineMomentum(): base must be a finite number in [0, 1], got "0.9"',
    ],
    [
      { totalSteps: 10, base: 0.9, final: 0.8 },
      RangeError,
      "cosineMomentum(): base must be <= final (0.8), got 0.9",
    ],
  ];
  for (const [options, type, message] of cases) {
    assert.throws(() => cosineMomentum(options as never), (e: Error) => {
      assert.equal(e.constructor, type, `${JSON.stringify(options)}: ${e}`);
      assert.equal(e.message, message);
      return true;
    });
  }
  assert.equal(cases.length, 8);
  const tau = cosineMomentum({ totalSteps: 10 });
  assert.throws(() => tau(-2), {
    name: "RangeError",
    message: "cosineMomentum(): step must be an integer >= 0, got -2",
  });
  assert.throws(() => tau(1.5), RangeError);
});

Deno.test("cosineMomentum() accepts the ends of [0, 1], as lars() does for its momentum", () => {
  const tau = cosineMomentum({ base: 0, final: 1, totalSteps: 2 });
  assert.equal(tau(0), 0);
  assertNear(tau(1), 0.5, "k = K/2");
  assert.equal(tau(2), 1);
});
