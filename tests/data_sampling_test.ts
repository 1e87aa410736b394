import fc from "fast-check";
import assert from "node:assert/strict";
import { batches, fromArrays, labelledSubset, selectImages } from "@selfsup/data";

const datasetArb = fc.record({
  n: fc.integer({ min: 0, max: 60 }),
  batchSize: fc.integer({ min: 1, max: 20 }),
  seed: fc.integer({ min: -(2 ** 40), max: 2 ** 40 }),
  epoch: fc.nat(100),
  dropLast: fc.boolean(),
});

Deno.test("batches(): one epoch is a partition of the (kept) images into full batches", () => {
  fc.assert(
    fc.property(datasetArb, ({ n, batchSize, seed, epoch, dropLast }) => {
      const ds = fromArrays(Uint8Array.from({ length: n }, (_, i) => i), [n, 1, 1, 1], {
        labels: Array.from({ length: n }, (_, i) => i % 3),
      });
      const out = [...batches(ds, { batchSize, seed, epoch, dropLast })];
      const kept = dropLast ? n - (n % batchSize) : n;
      const seen = out.flatMap((b) => [...b.indices]);
      assert.equal(seen.length, kept);
      assert.equal(new Set(seen).size, kept);
      out.forEach((b, i) => {
        if (i < out.length - 1 || dropLast) assert.equal(b.shape[0], batchSize);
        b.indices.forEach((index, j) => {
          assert.equal(b.images[j], index);
          assert.equal(b.labels![j], index % 3);
        });
      });
      // Same seed and epoch, same order.
      const again = [...batches(ds, { batchSize, seed, epoch, dropLast })].flatMap((b) => [
        ...b.indices,
      ]);
      assert.deepEqual(again, seen);
    }),
    { numRuns: 200 },
  );
});

Deno.test("labelledSubset(): per class max(1, round(f * n)) distinct images of that class", () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(5), { minLength: 1, maxLength: 200 }),
      fc.double({ min: 0.001, max: 1, noNaN: true }),
      fc.integer(),
      (labels, fraction, seed) => {
        const n = labels.length;
        const ds = fromArrays(Uint8Array.from({ length: n }, (_, i) => i % 256), [n, 1, 1, 1], {
          labels,
        });
        const subset = labelledSubset(ds, { fraction, seed });
        for (let c = 0; c <= 5; c++) {
          const total = labels.filter((l) => l === c).length;
          const taken = [...subset.labels!].filter((l) => l === c).length;
          assert.equal(taken, total === 0 ? 0 : Math.max(1, Math.round(fraction * total)));
        }
        // The subset equals selecting its own images from the source: real images, in order.
        const positions: number[] = [];
        let from = 0;
        subset.labels!.forEach((label, i) => {
          while (labels[from] !== label || from % 256 !== subset.images[i]) from++;
          positions.push(from++);
        });
        assert.deepEqual(selectImages(ds, positions), subset);
      },
    ),
    { numRuns: 200 },
  );
});
