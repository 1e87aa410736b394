import assert from "node:assert/strict";
import fc from "fast-check";
import { deriveSeed } from "./mod.ts";

Deno.test("deriveSeed() gives the seeds augment derived before it was public", () => {
  // Values of augment's private deriveSeed before the move to @selfsup/internal: a change of
  // algorithm would change every view drawn from a seed.
  assert.equal(deriveSeed(1), 1863002342);
  assert.equal(deriveSeed(1, 2, 3), 105119302);
  assert.equal(deriveSeed(2 ** 40 + 3, 7), 3313019415);
  assert.equal(deriveSeed(-5, 0), 3085896205);
});

Deno.test("deriveSeed() is deterministic, never 0 and separates paths and seeds", () => {
  const seeds = new Set([
    deriveSeed(1),
    deriveSeed(1, 0),
    deriveSeed(1, 1),
    deriveSeed(1, 0, 1),
    deriveSeed(1, 1, 0),
    deriveSeed(2 ** 32 + 1),
    deriveSeed(-1),
  ]);
  assert.equal(seeds.size, 7);
  fc.assert(
    fc.property(
      fc.maxSafeInteger(),
      fc.array(fc.nat({ max: 2 ** 32 - 1 }), { maxLength: 3 }),
      (seed, path) => {
        const s = deriveSeed(seed, ...path);
        assert.ok(Number.isInteger(s) && s >= 1 && s < 2 ** 32);
        assert.equal(deriveSeed(seed, ...path), s);
      },
    ),
  );
});

Deno.test("deriveSeed() rejects a bad seed or path part, naming it", () => {
  assert.throws(() => deriveSeed(1.5), {
    name: "RangeError",
    message: "deriveSeed(): seed must be a safe integer, got 1.5",
  });
  assert.throws(() => deriveSeed("1" as unknown as number), {
    name: "TypeError",
    message: 'deriveSeed(): seed must be a safe integer, got "1"',
  });
  assert.throws(() => deriveSeed(1, 0, -1), {
    name: "RangeError",
    message: "deriveSeed(): path[1] must be an integer in [0, 4294967295], got -1",
  });
  assert.throws(() => deriveSeed(1, 2 ** 32), { name: "RangeError", message: /path\[0\]/ });
  assert.throws(() => deriveSeed(1, NaN), { name: "RangeError", message: /path\[0\]/ });
});
