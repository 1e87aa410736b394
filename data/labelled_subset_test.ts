import assert from "node:assert/strict";
import { deriveSeed, permutation } from "@selfsup/internal";
import { classCounts, fromArrays } from "./dataset.ts";
import { labelledSubset } from "./labelled_subset.ts";

// Uneven classes: 600, 50, 3 images; pixel value = index mod 256 to trace the picks.
const labels = [...Array(600).fill(0), ...Array(50).fill(1), ...Array(3).fill(2)];
const ds = fromArrays(Uint8Array.from(labels, (_, i) => i % 256), [labels.length, 1, 1, 1], {
  labels,
});

Deno.test("labelledSubset() takes round(fraction * n), at least one, from each class", () => {
  const counts = (fraction: number) => classCounts(labelledSubset(ds, { fraction, seed: 0 }));
  assert.deepEqual(counts(0.01), [6, 1, 1]);
  assert.deepEqual(counts(0.1), [60, 5, 1]);
  assert.deepEqual(counts(0.5), [300, 25, 2]);
  assert.deepEqual(counts(1), [600, 50, 3]);
});

Deno.test("labelledSubset() is reproducible per seed and picks real images of the class", () => {
  const a = labelledSubset(ds, { fraction: 0.1, seed: 5 });
  assert.deepEqual(labelledSubset(ds, { fraction: 0.1, seed: 5 }), a);
  assert.notDeepEqual(labelledSubset(ds, { fraction: 0.1, seed: 6 }).images, a.images);
  // Subset of class 1 (indices 600..649): pixels are distinct values of (index % 256).
  const class1 = [...a.images].filter((_, i) => a.labels![i] === 1);
  assert.equal(class1.length, 5);
  assert.equal(new Set(class1).size, 5);
  assert.ok(class1.every((v) => v >= 600 % 256 && v < 650 % 256));
});

Deno.test("labelledSubset() draws class c with the shared permutation(n_c, deriveSeed(seed, c))", () => {
  const subset = labelledSubset(ds, { fraction: 0.1, seed: 9 });
  const class1 = [...subset.images].filter((_, i) => subset.labels![i] === 1);
  const order = permutation(50, deriveSeed(9, 1));
  const expected = [...order.subarray(0, 5)].sort((a, b) => a - b).map((j) => (600 + j) % 256);
  assert.deepEqual(class1, expected);
  // Pinned, so a change of the shared generator cannot go unnoticed.
  assert.deepEqual(class1, [108, 118, 119, 129, 135]);
});

Deno.test("labelledSubset() rejects unlabelled data, bad fractions and bad seeds", () => {
  assert.throws(
    () => labelledSubset(fromArrays(new Uint8Array(1), [1, 1, 1, 1]), { fraction: 0.5, seed: 0 }),
    {
      name: "TypeError",
      message: "labelledSubset(): dataset must have labels, got a dataset without labels",
    },
  );
  assert.throws(() => labelledSubset(ds, { fraction: 0, seed: 0 }), {
    name: "RangeError",
    message: "labelledSubset(): fraction must be a number in (0, 1], got 0",
  });
  assert.throws(() => labelledSubset(ds, { fraction: 1.5, seed: 0 }), /got 1.5/);
  assert.throws(() => labelledSubset(ds, { fraction: Number.NaN, seed: 0 }), /got NaN/);
  assert.throws(() => labelledSubset(ds, { fraction: "0.5", seed: 0 } as never), TypeError);
  assert.throws(() => labelledSubset(ds, { fraction: 0.5, seed: 1.5 }), {
    name: "RangeError",
    message: "labelledSubset(): seed must be a safe integer, got 1.5",
  });
  assert.throws(() => labelledSubset(ds, { fraction: 0.5 } as never), {
    name: "TypeError",
    message: "labelledSubset(): seed must be a safe integer, got undefined",
  });
  assert.throws(() => labelledSubset(ds, 0.5 as never), {
    name: "TypeError",
    message: "labelledSubset(): options must be an object, got 0.5",
  });
});
