import fc from "fast-check";
import assert from "node:assert/strict";
import { decodeIdx, encodeIdx } from "@selfsup/data";
import { readIdxFile, writeIdxFile } from "@selfsup/data/files";

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

Deno.test("readIdxFile() streams gzip files of any size back exactly (many inflate chunks)", async () => {
  const dir = await Deno.makeTempDir();
  try {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.integer(),
        async (rows, cols, seed) => {
          // Incompressible-ish values so the gzip file spans several 4 KiB input slices.
          let state = seed >>> 0;
          const data = Uint8Array.from({ length: rows * cols }, () => {
            state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
            return state >>> 24;
          });
          await writeIdxFile(`${dir}/x.gz`, { data, shape: [rows, cols] });
          const read = await readIdxFile(`${dir}/x.gz`);
          assert.deepEqual(read.shape, [rows, cols]);
          assert.deepEqual(read.data, data);
          runs++;
        },
      ),
      { numRuns: 30 },
    );
    assert.equal(runs, 30);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
