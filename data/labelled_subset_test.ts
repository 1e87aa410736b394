import assert from "node:assert/strict";
import { classCounts, fromArrays } from "./dataset.ts";
import { labelledSubset } from "./labelled_subset.ts";

// Uneven classes: 600, 50, 3 images; pixel value = index mod 256 to trace the picks.
const labels = [...Array(600).fill(0), ...Array(50).fill(1), ...Array(3).fill(2)];
const ds = fromArrays(Uint8Array.from(labels, (_, i) => i % 256), [labels.length, 1, 1, 1], {
  labels,
});

Deno.test("labelledSubset() takes round(fraction * n), at least one, from each class", () => {
  assert.deepEqual(classCounts(labelledSubset(ds, 0.01, 0)), [6, 1, 1]);
  assert.deepEqual(classCounts(labelledSubset(ds, 0.1, 0)), [60, 5, 1]);
  assert.deepEqual(classCounts(labelledSubset(ds, 0.5, 0)), [300, 25, 2]);
  assert.deepEqual(classCounts(labelledSubset(ds, 1, 0)), [600, 50, 3]);
});

Deno.test("labelledSubset() is reproducible per seed and picks real images of the class", () => {
  const a = labelledSubset(ds, 0.1, 5);
  assert.deepEqual(labelledSubset(ds, 0.1, 5), a);
  assert.notDeepEqual(labelledSubset(ds, 0.1, 6).images, a.images);
  // Subset of class 1 (indices 600..649): pixels are distinct values of (index % 256).
  const class1 = [...a.images].filter((_, i) => a.labels![i] === 1);
  assert.equal(new Set(class1).size, 5);
  for (const v of class1) assert.ok(v >= 600 % 256 && v < 650 % 256);
});

Deno.test("labelledSubset() rejects unlabelled data, bad fractions and bad seeds", () => {
  assert.throws(
    () => labelledSubset(fromArrays(new Uint8Array(1), [1, 1, 1, 1]), 0.5, 0),
    TypeError,
  );
  assert.throws(() => labelledSubset(ds, 0, 0), /fraction must be in \(0, 1\], got 0/);
  assert.throws(() => labelledSubset(ds, 1.5, 0), /got 1.5/);
  assert.throws(() => labelledSubset(ds, Number.NaN, 0), /got NaN/);
  assert.throws(() => labelledSubset(ds, 0.5, 1.5), /seed .* got 1.5/);
});
