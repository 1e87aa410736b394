import assert from "node:assert/strict";
import { deriveSeed, mix32, permutation, Random } from "./random.ts";

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

// The inverse of mix32 (each xor-shift and odd multiply undone), to build the one input whose
// hash is 0.
function unmix32(x: number): number {
  const inverse = (c: number) => {
    let inv = c;
    for (let i = 0; i < 5; i++) inv = Math.imul(inv, 2 - Math.imul(c, inv));
    return inv;
  };
  x ^= x >>> 16;
  x = Math.imul(x, inverse(0xc2b2ae35));
  x ^= (x >>> 13) ^ (x >>> 26);
  x = Math.imul(x, inverse(0x85ebca6b));
  x ^= x >>> 16;
  return x >>> 0;
}

Deno.test("deriveSeed() never returns 0, which tfjs would read as unseeded", () => {
  for (const x of [1, 12345, 0xdeadbeef]) assert.equal(mix32(unmix32(x)), x);
  // deriveSeed(seed, part) hashes to 0 exactly when mix32(part) = h0 + GOLDEN, where h0 is
  // deriveSeed(seed): choose that part.
  const seed = 17;
  const part = unmix32((deriveSeed(seed) + 0x9e3779b9) >>> 0);
  assert.equal(deriveSeed(seed, part), 1);
  assert.notEqual(deriveSeed(seed, part + 1), 0);
});

Deno.test("Random.fromState() continues the stream where state was read", () => {
  const a = new Random(42);
  a.next();
  const b = Random.fromState(a.state);
  assert.deepEqual([a.next(), a.next()], [b.next(), b.next()]);
});

Deno.test("permutation(n, seed) is the generator's permutation: same seed, same order", () => {
  assert.deepEqual(permutation(10, 3), new Random(3).permutation(10));
  assert.notDeepEqual(permutation(10, 3), permutation(10, 4));
  assert.deepEqual([...permutation(10, 3)].sort((x, y) => x - y), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

Deno.test("Random.normal() has mean 0 and variance 1", () => {
  const rng = new Random(9);
  const n = 50_000;
  let sum = 0, sumSq = 0;
  for (let i = 0; i < n; i++) {
    const x = rng.normal();
    sum += x;
    sumSq += x * x;
  }
  // sd of the mean is 1 / sqrt(n) ~ 0.0045; of the variance sqrt(2 / n) ~ 0.0063: 5 sd each.
  assert.ok(Math.abs(sum / n) < 0.023, `mean ${sum / n}`);
  assert.ok(Math.abs(sumSq / n - 1) < 0.032, `variance ${sumSq / n}`);
});
