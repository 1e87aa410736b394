// Seeded shuffling for the linear probe's mini-batches (Mulberry32 + Fisher-Yates); no
// Math.random, so a seed always gives the same order.

/** A seeded permutation of 0..n-1. */
export function permutation(n: number, seed: number): Int32Array {
  let state = (Math.imul(seed | 0, 0x9e3779b9) ^ 0x85ebca6b) >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const order = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}
