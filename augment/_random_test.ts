import assert from "node:assert/strict";
import { deriveSeed, mix32, Random } from "./_random.ts";

Deno.test("Random gives the same stream for the same seed and another for another seed", () => {
  const a = new Random(7), b = new Random(7), c = new Random(8);
  const xs = Array.from({ length: 5 }, () => a.next());
  assert.deepEqual(xs, Array.from({ length: 5 }, () => b.next()));
  assert.notDeepEqual(xs, Array.from({ length: 5 }, () => c.next()));
});

Deno.test("Random.next() is uniform on [0, 1): mean, variance and decile counts", () => {
  const rng = new Random(123);
  const n = 100_000;
  const counts = new Array(10).fill(0);
  let sum = 0, sumSq = 0;
  for (let i = 0; i < n; i++) {
    const u = rng.next();
    assert.ok(u >= 0 && u < 1);
    sum += u;
    sumSq += u * u;
    counts[Math.floor(u * 10)]++;
  }
  // Mean has sd sqrt(1/12 / n) ~ 0.0009: 5 sd is 0.0046.
  assert.ok(Math.abs(sum / n - 0.5) < 0.0046);
  assert.ok(Math.abs(sumSq / n - sum * sum / n / n - 1 / 12) < 0.002);
  // Chi-square with 9 degrees of freedom: P(X > 33.7) = 1e-4.
  const chi2 = counts.reduce((acc, k) => acc + (k - n / 10) ** 2 / (n / 10), 0);
  assert.ok(chi2 < 33.7, `chi2 ${chi2}`);
});

Deno.test("Random.permutation() returns a permutation, each of the 24 orders about equally", () => {
  const rng = new Random(5);
  const counts = new Map<string, number>();
  const n = 24_000;
  for (let i = 0; i < n; i++) {
    const p = rng.permutation(4);
    assert.deepEqual([...p].sort(), [0, 1, 2, 3]);
    counts.set(p.join(), (counts.get(p.join()) ?? 0) + 1);
  }
  assert.equal(counts.size, 24);
  // Chi-square with 23 degrees of freedom: P(X > 56) < 1e-4.
  const chi2 = [...counts.values()].reduce((acc, k) => acc + (k - 1000) ** 2 / 1000, 0);
  assert.ok(chi2 < 56, `chi2 ${chi2}`);
});

Deno.test("bernoulli(0) never and bernoulli(1) always fires", () => {
  const rng = new Random(1);
  for (let i = 0; i < 1000; i++) {
    assert.equal(rng.bernoulli(0), false);
    assert.equal(rng.bernoulli(1), true);
  }
});

Deno.test("deriveSeed() separates paths and seeds beyond 32 bits", () => {
  const seeds = new Set([
    deriveSeed(1),
    deriveSeed(1, 0),
    deriveSeed(1, 1),
    deriveSeed(1, 0, 1),
    deriveSeed(2 ** 32 + 1),
    deriveSeed(-1),
  ]);
  assert.equal(seeds.size, 6);
  assert.equal(mix32(0), 0);
  assert.notEqual(mix32(1), 1);
});
