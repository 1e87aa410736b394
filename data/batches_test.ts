import assert from "node:assert/strict";
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
  for (const batch of batches(ds, { batchSize: 5, seed: 3 })) {
    batch.indices.forEach((index, i) => {
      assert.equal(batch.images[2 * i], index);
      assert.equal(batch.images[2 * i + 1], index);
      assert.equal(batch.labels![i], index % 3);
    });
    seen.push(...batch.indices);
  }
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

Deno.test("batches() keeps the dataset order when shuffle is false", () => {
  assert.deepEqual(order({ batchSize: 4, shuffle: false }), Array.from({ length: n }, (_, i) => i));
});

Deno.test("batches() rejects a bad batch size and a missing or fractional seed", () => {
  assert.throws(() => batches(ds, { batchSize: 0, seed: 1 }).next(), /batchSize .* got 0/);
  assert.throws(() => batches(ds, { batchSize: 2.5, seed: 1 }).next(), RangeError);
  assert.throws(() => batches(ds, { batchSize: 2 }).next(), /seed must be given/);
  assert.throws(() => batches(ds, { batchSize: 2, seed: 0.5 }).next(), /seed .* got 0.5/);
  assert.throws(() => batches(ds, { batchSize: 2, seed: 1, epoch: -0.5 }).next(), /epoch/);
});
