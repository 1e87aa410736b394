import fc from "fast-check";
import assert from "node:assert/strict";
import { decodeIdx, encodeIdx } from "../data/mod.ts";

Deno.test("decodeIdx(encodeIdx(x)) returns x for any uint8 array and shape", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 1, maxLength: 4 }),
      fc.integer(),
      (shape, seed) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const data = Uint8Array.from({ length: size }, (_, i) => (seed + i * 31) & 0xff);
        const bytes = encodeIdx(data, shape);
        assert.equal(bytes.length, 4 + 4 * shape.length + size);
        const decoded = decodeIdx(bytes);
        assert.deepEqual(decoded.shape, shape);
        assert.deepEqual(decoded.data, data);
      },
    ),
    { numRuns: 200 },
  );
});

Deno.test("decodeIdx() rejects every truncation and every extension of a valid file", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 3 }),
      fc.integer({ min: 1, max: 10 }),
      fc.boolean(),
      (shape, cut, extend) => {
        const size = shape.reduce((a, b) => a * b, 1);
        const bytes = encodeIdx(new Uint8Array(size), shape);
        const broken = extend
          ? Uint8Array.from([...bytes, ...new Array(cut).fill(0)])
          : bytes.subarray(0, Math.max(0, bytes.length - cut));
        assert.throws(() => decodeIdx(broken, "f"), RangeError);
      },
    ),
    { numRuns: 200 },
  );
});
