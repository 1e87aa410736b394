// Statistical tests of @selfsup/augment with fixed seeds: applied fractions against binomial
// tolerances, and crop areas / aspect ratios against the distribution the spec defines.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  randomColorJitter,
  randomFlip,
  randomGaussianBlur,
  randomGrayscale,
  randomSolarize,
  sampleCropBoxes,
  simclrViews,
} from "../augment/mod.ts";

tf.enableProdMode();

const N = 2000;

/** Asserts count ~ Binomial(n, p) within 5 standard deviations (two-sided P < 6e-7). */
function assertBinomial(count: number, n: number, p: number, what: string): void {
  const sd = Math.sqrt(n * p * (1 - p));
  assert.ok(
    Math.abs(count - n * p) <= 5 * sd + 1e-9,
    `${what}: ${count} of ${n}, expected ${n * p} +- ${5 * sd}`,
  );
}

/** How many images of the batch `after` differs from `before` in (by more than 1e-6). */
function changed(before: tf.Tensor4D, after: tf.Tensor4D): number {
  const [n] = before.shape;
  const size = before.size / n;
  const [a, b] = [before.dataSync(), after.dataSync()];
  after.dispose();
  let count = 0;
  for (let i = 0; i < n; i++) {
    for (let k = i * size; k < (i + 1) * size; k++) {
      if (Math.abs(a[k] - b[k]) > 1e-6) {
        count++;
        break;
      }
    }
  }
  return count;
}

Deno.test("each random transform is applied to a binomial fraction p of the images", () => {
  // Tiny images on which every application is visible: distinct values for the flip, colours
  // for the grayscale, values >= 0.5 for solarize, an impulse and sigma >= 0.5 for the blur
  // (sigma 0.1 leaves a 3-tap kernel numerically the identity), two colours for the jitter.
  const pixels = tf.tidy(() =>
    tf.tensor4d([0.2, 0.6, 0.9, 0.7, 0.3, 0.55], [1, 1, 2, 3]).tile([N, 1, 1, 1]) as tf.Tensor4D
  );
  const impulse = tf.tidy(() =>
    tf.oneHot([4], 9).reshape([1, 3, 3, 1]).tile([N, 1, 1, 1]).toFloat() as tf.Tensor4D
  );
  for (const p of [0.1, 0.5, 0.8]) {
    const seed = Math.round(p * 100);
    assertBinomial(changed(pixels, randomFlip(pixels, { seed, p })), N, p, `flip p ${p}`);
    assertBinomial(changed(pixels, randomGrayscale(pixels, { seed, p })), N, p, `gray p ${p}`);
    assertBinomial(changed(pixels, randomSolarize(pixels, { seed, p })), N, p, `solarize ${p}`);
    assertBinomial(changed(pixels, randomColorJitter(pixels, { seed, p })), N, p, `jitter ${p}`);
    const blurred = randomGaussianBlur(impulse, { seed, p, sigma: [0.5, 2], radius: 1 });
    assertBinomial(changed(impulse, blurred), N, p, `blur p ${p}`);
  }
  tf.dispose([pixels, impulse]);
});

Deno.test("simclrViews() turns a binomial fraction 0.2 of the views gray", () => {
  const colour = tf.tidy(() =>
    tf.tensor4d([0.9, 0.2, 0.4], [1, 1, 1, 3]).tile([N, 1, 1, 1]) as tf.Tensor4D
  );
  const [a, b] = simclrViews(colour, { seed: 3 });
  for (const view of [a, b]) {
    const v = view.dataSync();
    let gray = 0;
    // Saturation factors are >= 0.2, so only the grayscale step makes R = G = B.
    for (let i = 0; i < N; i++) {
      if (v[3 * i] === v[3 * i + 1] && v[3 * i + 1] === v[3 * i + 2]) gray++;
    }
    assertBinomial(gray, N, 0.2, "grayscale in simclrViews");
  }
  tf.dispose([colour, a, b]);
});

// ---- crop boxes vs the spec distribution ----
// Spec: area fraction s ~ U[0.08, 1], log ratio u ~ U[-L, L] with L = log 4/3, kept when the box
// fits (up to 10 tries, then a center crop). On a square image a box fits iff s <= exp(-|u|),
// so the kept (s, u) is uniform on that region; the fallback has probability < 0.15^10 ~ 6e-9
// and is ignored. The CDFs are that region's areas in closed form, checked against Simpson.
const [S0, L] = [0.08, Math.log(4 / 3)];
const E = Math.exp(-L); // 3/4: the largest area that fits at the extreme ratios
const TOTAL = 2 * (1 - E - S0 * L);

/** P(area <= x): for x <= 3/4 every u allows it; above, only |u| <= -log x does. */
function areaCdf(x: number): number {
  if (x <= S0) return 0;
  if (x <= E) return (2 * L * (x - S0)) / TOTAL;
  const u = Math.min(-Math.log(x), L);
  return Math.min(1, (2 * (u * x + x - E - S0 * L)) / TOTAL);
}

/** P(log ratio <= y): integral of (exp(-|u|) - S0) from -L to y. */
function logRatioCdf(y: number): number {
  if (y <= -L) return 0;
  if (y >= L) return 1;
  const left = (t: number) => Math.exp(t) - E - S0 * (t + L);
  return (y <= 0 ? left(y) : left(0) + (1 - Math.exp(-y)) - S0 * y) / TOTAL;
}

function simpson(f: (u: number) => number, a: number, b: number, steps = 2000): number {
  const h = (b - a) / steps;
  let sum = f(a) + f(b);
  for (let k = 1; k < steps; k++) sum += (k % 2 ? 4 : 2) * f(a + k * h);
  return (sum * h) / 3;
}

Deno.test("the closed-form crop CDFs agree with numerical integration of the spec region", () => {
  const fits = (u: number) => Math.exp(-Math.abs(u));
  for (const x of [0.1, 0.5, 0.75, 0.8, 0.95, 1]) {
    // Split at the kinks (u = 0, u = +-log x) so Simpson's rule is exact to ~1e-12.
    const f = (u: number) => Math.max(0, Math.min(x, fits(u)) - S0);
    const k = Math.min(L, Math.max(0, -Math.log(x)));
    const numeric = [[-L, -k], [-k, 0], [0, k], [k, L]]
      .reduce((acc, [a, b]) => acc + (b > a ? simpson(f, a, b) : 0), 0) / TOTAL;
    assert.ok(Math.abs(numeric - areaCdf(x)) < 1e-9, `area ${x}`);
  }
  for (const y of [-0.2, -0.05, 0, 0.1, 0.28]) {
    const f = (u: number) => fits(u) - S0;
    const numeric = (y <= 0 ? simpson(f, -L, y) : simpson(f, -L, 0) + simpson(f, 0, y)) / TOTAL;
    assert.ok(Math.abs(numeric - logRatioCdf(y)) < 1e-9, `ratio ${y}`);
  }
});

/** Kolmogorov-Smirnov distance between the sample and the CDF. */
function ksDistance(sample: number[], cdf: (x: number) => number): number {
  const sorted = [...sample].sort((a, b) => a - b);
  let d = 0;
  sorted.forEach((x, i) => {
    const f = cdf(x);
    d = Math.max(d, Math.abs(f - i / sorted.length), Math.abs(f - (i + 1) / sorted.length));
  });
  return d;
}

Deno.test("sampled crop areas and aspect ratios follow the spec distribution (KS test)", () => {
  const n = 20_000;
  const boxes = sampleCropBoxes(n, { seed: 2024, height: 32, width: 32 });
  const areas = boxes.map(([y1, x1, y2, x2]) => (y2 - y1) * (x2 - x1));
  const logRatios = boxes.map(([y1, x1, y2, x2]) => Math.log((x2 - x1) / (y2 - y1)));
  for (const s of areas) assert.ok(s >= S0 - 1e-12 && s <= 1 + 1e-12);
  for (const u of logRatios) assert.ok(Math.abs(u) <= L + 1e-12);
  // The DKW inequality bounds P(sup |F_n - F| > e) <= 2 exp(-2 n e^2) for any n (not only
  // asymptotically); e = 0.0157 gives P <= 1e-4 at n = 20000.
  const bound = Math.sqrt(Math.log(2 / 1e-4) / (2 * n));
  const dArea = ksDistance(areas, areaCdf);
  const dRatio = ksDistance(logRatios, logRatioCdf);
  assert.ok(dArea < bound, `area KS ${dArea} >= ${bound}`);
  assert.ok(dRatio < bound, `ratio KS ${dRatio} >= ${bound}`);
  // Sanity of the reference itself: a wrong model (area uniform on [0.08, 1]) is rejected.
  const naive = ksDistance(areas, (x) => Math.min(1, Math.max(0, (x - S0) / (1 - S0))));
  assert.ok(naive > bound, `the test cannot tell the spec from a plain uniform: ${naive}`);
});

Deno.test("on a 2:1 image the crops follow the spec, fallback center crops included", () => {
  // H = 20, W = 40. A box of area s and log ratio u spans fw = sqrt(s e^u H / W) of the width
  // and fh = sqrt(s W / (e^u H)) of the height; it fits iff s <= bound(u) = min(e^u H / W,
  // e^-u W / H). Each try fits with probability a; after 10 misses (probability q = (1 - a)^10,
  // ~0.2% here) comes the center crop of ratio 4/3: area (4/3) / 2, log ratio L.
  const [h, w] = [20, 40];
  const bound = (u: number) => Math.min(1, Math.exp(u) * h / w, Math.exp(-u) * w / h);
  const kept = (u: number) => Math.max(0, bound(u) - S0);
  const a = simpson(kept, -L, L) / (2 * L * (1 - S0));
  const q = (1 - a) ** 10;
  const fallbackArea = (4 / 3) / (w / h);
  const region = simpson(kept, -L, L);
  const areaCdf2 = (x: number) =>
    (1 - q) * simpson((u) => Math.max(0, Math.min(x, bound(u)) - S0), -L, L, 400) / region +
    (x >= fallbackArea ? q : 0);
  const logRatioCdf2 = (y: number) =>
    y >= L ? 1 : (1 - q) * simpson(kept, -L, Math.max(-L, y), 400) / region;

  const n = 20_000;
  const boxes = sampleCropBoxes(n, { seed: 77, height: h, width: w });
  const areas = boxes.map(([y1, x1, y2, x2]) => (y2 - y1) * (x2 - x1));
  const logRatios = boxes.map(([y1, x1, y2, x2]) => Math.log(((x2 - x1) * w) / ((y2 - y1) * h)));
  for (const s of areas) assert.ok(s >= S0 - 1e-12 && s <= 1 + 1e-12);
  for (const u of logRatios) assert.ok(Math.abs(u) <= L + 1e-9);
  // CDFs tabulated on a fine grid and interpolated: the table's error (< 1e-5) is far below
  // the DKW bound used above (0.0157 at P = 1e-4).
  const table = (cdf: (x: number) => number, lo: number, hi: number) => {
    const xs = Array.from({ length: 2001 }, (_, k) => lo + (hi - lo) * k / 2000);
    const ys = xs.map(cdf);
    return (x: number) => {
      if (x <= lo) return cdf(x);
      if (x >= hi) return cdf(x);
      const t = (x - lo) / (hi - lo) * 2000;
      const k = Math.min(1999, Math.floor(t));
      return ys[k] + (ys[k + 1] - ys[k]) * (t - k);
    };
  };
  const bound2 = Math.sqrt(Math.log(2 / 1e-4) / (2 * n));
  // The area CDF jumps by q at 2/3 (the fallback): exact values from there on.
  const areaTable = table(areaCdf2, S0, 1);
  const dArea = ksDistance(areas, (x) => x >= fallbackArea ? areaCdf2(x) : areaTable(x));
  const dRatio = ksDistance(logRatios, table(logRatioCdf2, -L, L - 1e-9));
  assert.ok(dArea < bound2, `area KS ${dArea} >= ${bound2}`);
  assert.ok(dRatio < bound2, `ratio KS ${dRatio} >= ${bound2}`);
  const fallbacks = areas.filter((s) => Math.abs(s - fallbackArea) < 1e-12).length;
  assert.ok(Math.abs(fallbacks - n * q) <= 5 * Math.sqrt(n * q * (1 - q)) + 1, `${fallbacks}`);
});
