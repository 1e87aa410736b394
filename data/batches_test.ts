import assert from "node:assert/strict";
import { deriveSeed, permutation } from "@selfsup/internal";
import { batches } from "./batches.ts";
import { fromArrays } from "./dataset.ts";

const n = 23;
const ds = fromArrays(Uint8Array.from({ length: n * 2 }, (_, i) => i >> 1), [n, 1, 2, 1], {
  labels: Array.from({ length: n }, (_, i) => i % 3),
});

function order(options: Parameters<typeof batches>[1]): number[] {
  return [...batches(ds, options)].flatMap((b) => [...b.indices]);
}

Deno.test("batches() visits every image once per epoch, with matching pixels and labels", () => {
  const seen: number[] = [];
  let checked = 0;
  for (const batch of batches(ds, { batchSize: 5, seed: 3 })) {
    batch.indices.forEach((index, i) => {
      assert.equal(batch.images[2 * i], index);
      assert.equal(batch.images[2 * i + 1], index);
      assert.equal(batch.labels![i], index % 3);
      checked++;
    });
    seen.push(...batch.indices);
  }
  assert.equal(checked, n);
  assert.deepEqual([...seen].sort((a, b) => a - b), Array.from({ length: n }, (_, i) => i));
  assert.notDeepEqual(seen, Array.from({ length: n }, (_, i) => i));
});

Deno.test("batches() gives ceil(N / B) batches, or floor(N / B) full ones with dropLast", () => {
  assert.deepEqual([...batches(ds, { batchSize: 5, seed: 1 })].map((b) => b.shape[0]), [
    5,
    5,
    5,
    5,
    3,
  ]);
  const dropped = [...batches(ds, { batchSize: 5, seed: 1, dropLast: true })];
  assert.deepEqual(dropped.map((b) => b.shape[0]), [5, 5, 5, 5]);
  assert.deepEqual([...batches(ds, { batchSize: 30, seed: 1, dropLast: true })], []);
});

Deno.test("batches() is reproducible per (seed, epoch) and differs across seeds and epochs", () => {
  const a = order({ batchSize: 4, seed: 11 });
  assert.deepEqual(order({ batchSize: 4, seed: 11 }), a);
  assert.deepEqual(order({ batchSize: 7, seed: 11, epoch: 0 }), a);
  assert.notDeepEqual(order({ batchSize: 4, seed: 12 }), a);
  assert.notDeepEqual(order({ batchSize: 4, seed: 11, epoch: 1 }), a);
});

Deno.test("batches() orders epoch e of seed s as the shared permutation(n, deriveSeed(s, e))", () => {
  for (const [seed, epoch] of [[0, 0], [11, 3], [-5, 2 ** 32 - 1], [2 ** 40 + 1, 7]]) {
    assert.deepEqual(
      order({ batchSize: 4, seed, epoch }),
      [...permutation(n, deriveSeed(seed, epoch))],
    );
  }
  // Pinned, so a change of the shared generator cannot go unnoticed.
  const ten = fromArrays(new Uint8Array(10), [10, 1, 1, 1]);
  const indices = (
    epoch: number,
  ) => [...[...batches(ten, { batchSize: 10, seed: 11, epoch })][0].indices];
  assert.deepEqual(indices(0), [1, 3, 6, 0, 8, 5, 4, 2, 7, 9]);
  assert.deepEqual(indices(1), [8, 0, 7, 2, 1, 9, 4, 3, 5, 6]);
});

Deno.test("batches() keeps the dataset order when shuffle is false", () => {
  assert.deepEqual(order({ batchSize: 4, shuffle: false }), Array.from({ length: n }, (_, i) => i));
});

Deno.test("batches() checks its options when called, before the first batch is asked for", () => {
  const bad = (options: unknown) => () => batches(ds, options as Parameters<typeof batches>[1]);
  assert.throws(bad({ batchSize: 0, seed: 1 }), {
    name: "RangeError",
    message: "batches(): batchSize must be an integer >= 1, got 0",
  });
  assert.throws(bad({ batchSize: 2.5, seed: 1 }), RangeError);
  assert.throws(bad({ batchSize: "2", seed: 1 }), TypeError);
  assert.throws(bad({ batchSize: 2 }), {
    name: "TypeError",
    message: "batches(): seed must be a safe integer when shuffle is true, got undefined",
  });
  assert.throws(bad({ batchSize: 2, seed: 0.5 }), {
    name: "RangeError",
    message: "batches(): seed must be a safe integer, got 0.5",
  });
  assert.throws(bad({ batchSize: 2, seed: 1, epoch: -1 }), {
    name: "RangeError",
    message: "batches(): epoch must be an integer in [0, 4294967295], got -1",
  });
  assert.throws(bad({ batchSize: 2, seed: 1, shuffle: "yes" }), {
    name: "TypeError",
    message: 'batches(): shuffle must be a boolean, got "yes"',
  });
  assert.throws(bad(null), { message: "batches(): options must be an object, got null" });
  assert.throws(() => batches({ images: [1], shape: [1, 1, 1, 1] } as never, { batchSize: 1 }), {
    name: "TypeError",
    message: "batches(): dataset.images must be a Uint8Array, got [1]",
  });
});
