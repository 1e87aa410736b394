// House conventions (issue 16) for every builder of @selfsup/heads: the seed is an options
// field, a seed that is not a number is a TypeError and a number that is not a safe integer a
// RangeError, and every message starts with the name of the function the user called.
import fc from "fast-check";
import assert from "node:assert/strict";
import { byolPredictor, byolProjector, linearClassifier, projectionHead } from "@selfsup/heads";

const builders: [string, (options: object) => unknown][] = [
  ["projectionHead", (o) => projectionHead({ inputDim: 3, outputDim: 2, ...o } as never)],
  ["byolProjector", (o) => byolProjector({ inputDim: 3, hiddenDim: 2, ...o } as never)],
  ["byolPredictor", (o) => byolPredictor({ inputDim: 3, hiddenDim: 2, ...o } as never)],
  ["linearClassifier", (o) => linearClassifier({ inputDim: 3, numClasses: 2, ...o } as never)],
];

Deno.test("every head builder rejects a non-number seed with a TypeError and an unsafe one with a RangeError, naming itself", () => {
  assert.equal(builders.length, 4);
  for (const [fn, build] of builders) {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.boolean(),
          fc.constant(null),
          fc.constant(undefined),
          fc.bigInt(),
          fc.object({ maxDepth: 0 }),
        ),
        (seed) => {
          assert.throws(() => build({ seed }), {
            name: "TypeError",
            message: new RegExp(`^${fn}\\(\\): seed must be a safe integer, got `),
          });
        },
      ),
      { numRuns: 30, seed: 18 },
    );
    fc.assert(
      fc.property(fc.double().filter((x) => !Number.isSafeInteger(x)), (seed) => {
        assert.throws(() => build({ seed }), {
          name: "RangeError",
          message: new RegExp(`^${fn}\\(\\): seed must be a safe integer, got `),
        });
      }),
      { numRuns: 30, seed: 19 },
    );
  }
});

Deno.test("every head builder takes its options as one object and says so", () => {
  const functions = { projectionHead, byolProjector, byolPredictor, linearClassifier };
  for (const [fn, build] of Object.entries(functions)) {
    for (const bad of [undefined, null, 3, "x", []]) {
      assert.throws(() => (build as (o: unknown) => unknown)(bad), {
        name: "TypeError",
        message: new RegExp(`^${fn}\\(\\): options must be an object, got `),
      });
    }
  }
});
