import assert from "node:assert/strict";
import fc from "fast-check";
import { classCounts, fromArrays, labelledSubset } from "@selfsup/data";
import { deriveSeed } from "@selfsup/internal";
import { labelFraction, labelledImages } from "./labelled_images.ts";

Deno.test("labelFraction() reads 1%, 10%, a count N and all", () => {
  assert.equal(labelFraction("1%", 60000), 0.01);
  assert.equal(labelFraction("10%", 60000), 0.1);
  assert.equal(labelFraction("600", 60000), 0.01);
  assert.equal(labelFraction("70000", 60000), 1);
  assert.equal(labelFraction("all", 60000), 1);
  assert.equal(labelFraction("100%", 60000), 1);
});

Deno.test("labelledImages() is labelledSubset on seed path 8, and all keeps every image in order", () => {
  fc.assert(
    fc.property(
      fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 60 }),
      fc.integer({ min: 0, max: 1000 }),
      fc.constantFrom("1%", "10%", "50%", "7", "all"),
      (labels, seed, spec) => {
        const n = labels.length;
        const train = fromArrays(Uint8Array.from({ length: n * 4 }, (_, i) => i % 251), [
          n,
          2,
          2,
          1,
        ], { labels });
        const subset = labelledImages({ labels: spec, seed }, train);
        if (spec === "all") {
          assert.equal(subset, train);
          return;
        }
        const expected = labelledSubset(train, {
          fraction: labelFraction(spec, n),
          seed: deriveSeed(seed, 8),
        });
        assert.deepEqual(subset.images, expected.images);
        assert.deepEqual(subset.labels, expected.labels);
        // Every class keeps at least one image, and no more than it has.
        const all = classCounts(train);
        const kept = classCounts(subset);
        all.forEach((count, c) => {
          if (count > 0) assert.ok(kept[c] >= 1 && kept[c] <= count);
        });
      },
    ),
  );
});
