// House conventions (issue 16) for every builder of @selfsup/encoders: the seed is an options
// field, a seed that is not a number is a TypeError and a number that is not a safe integer a
// RangeError, and every message starts with the name of the function the user called.
import fc from "fast-check";
import assert from "node:assert/strict";
import { resNet, resNet18, resNet34, resNet50, smallConvNet } from "@selfsup/encoders";

const inputShape: [number, number, number] = [4, 4, 1];
const builders: [string, (options: { seed: unknown }) => unknown][] = [
  ["resNet", (o) => resNet({ depth: 18, inputShape, ...o } as never)],
  ["resNet18", (o) => resNet18({ inputShape, ...o } as never)],
  ["resNet34", (o) => resNet34({ inputShape, ...o } as never)],
  ["resNet50", (o) => resNet50({ inputShape, ...o } as never)],
  ["smallConvNet", (o) => smallConvNet({ inputShape, filters: [2], ...o } as never)],
];

const notNumbers = fc.oneof(
  fc.string(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.object({ maxDepth: 0 }),
);
const unsafeNumbers = fc.oneof(
  fc.double().filter((x) => !Number.isSafeInteger(x)),
  fc.constantFrom(NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 53), 0.5),
);

Deno.test("every encoder builder rejects a non-number seed with a TypeError and an unsafe one with a RangeError, naming itself", () => {
  assert.equal(builders.length, 5);
  for (const [fn, build] of builders) {
    fc.assert(
      fc.property(notNumbers, (seed) => {
        assert.throws(() => build({ seed }), (e: Error) => {
          assert.equal(e.name, "TypeError");
          assert.ok(e.message.startsWith(`${fn}(): seed must be a safe integer, got `), e.message);
          return true;
        });
      }),
      { numRuns: 30, seed: 16 },
    );
    fc.assert(
      fc.property(unsafeNumbers, (seed) => {
        assert.throws(() => build({ seed }), (e: Error) => {
          assert.equal(e.name, "RangeError");
          assert.ok(e.message.startsWith(`${fn}(): seed must be a safe integer, got `), e.message);
          return true;
        });
      }),
      { numRuns: 30, seed: 17 },
    );
  }
});

Deno.test("every encoder builder takes its options as one object and says so", () => {
  const functions = { resNet, resNet18, resNet34, resNet50, smallConvNet };
  for (const [fn, build] of Object.entries(functions)) {
    for (const bad of [undefined, null, 3, "x", []]) {
      assert.throws(() => (build as (o: unknown) => unknown)(bad), {
        name: "TypeError",
        message: new RegExp(`^${fn}\\(\\): options must be an object, got `),
      });
    }
  }
});
