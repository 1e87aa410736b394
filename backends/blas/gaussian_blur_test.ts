import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  GAUSSIAN_BLUR_KERNEL,
  gaussianBlur as gaussianBlurOp,
  randomGaussianBlur,
} from "@selfsup/augment";
import { assertBothClose, assertClose, ignoreBlas, onBoth } from "./_test_util.ts";
import { gaussianBlur } from "./gaussian_blur.ts";

// The kernel sums in another order than the chain's matrix products (and rounds its float32
// weights like them): outputs in [0, 1] agree within TOL (1 + |b|), at most 1e-6.
const TOL = 5e-7;

type Shape = [number, number, number, number];

/**
 * Float64 reference of the definition: separable Gaussian with reflect padding, clipped to
 * [0, 1] (finite inputs only).
 */
function reference(x: ArrayLike<number>, [n, h, w, c]: Shape, sigmas: number[], r: number) {
  const reflect = (j: number, size: number) => j < 0 ? -j : j >= size ? 2 * (size - 1) - j : j;
  const out = new Float64Array(n * h * w * c);
  for (let i = 0; i < n; i++) {
    const taps = Array.from(
      { length: 2 * r + 1 },
      (_, k) => Math.exp(-((k - r) ** 2) / (2 * sigmas[i] ** 2)),
    );
    const total = taps.reduce((a, b) => a + b, 0);
    const at = (y: number, xx: number, k: number) => x[((i * h + y) * w + xx) * c + k];
    const cols = (y: number, xx: number, k: number) =>
      taps.reduce((acc, t, q) => acc + (t / total) * at(reflect(y + q - r, h), xx, k), 0);
    for (let y = 0; y < h; y++) {
      for (let xx = 0; xx < w; xx++) {
        for (let k = 0; k < c; k++) {
          const v = taps.reduce(
            (acc, t, q) => acc + (t / total) * cols(y, reflect(xx + q - r, w), k),
            0,
          );
          out[((i * h + y) * w + xx) * c + k] = Math.min(1, Math.max(0, v));
        }
      }
    }
  }
  return out;
}

function randomValues(size: number, seed: number): Float32Array {
  return tf.tidy(() => tf.randomUniform([size], 0, 1, "float32", seed).dataSync() as Float32Array);
}

Deno.test({
  name: "blas SelfsupGaussianBlur is registered for blas only, and gaussianBlur runs it there",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel(GAUSSIAN_BLUR_KERNEL, "blas")?.kernelFunc, gaussianBlur);
    assert.equal(tf.getKernel(GAUSSIAN_BLUR_KERNEL, "cpu"), undefined);
  },
});

Deno.test({
  name: "blas SelfsupGaussianBlur equals the cpu op chain and a float64 reference on 96x96x3",
  ignore: ignoreBlas,
  fn: async () => {
    const sigmas = [0.1, 0.5, 1, 2, 3.7, 50];
    const shape: Shape = [sigmas.length, 96, 96, 3];
    const values = randomValues(sigmas.length * 96 * 96 * 3, 5);
    const r = await onBoth(() => gaussianBlurOp(tf.tensor4d(values, shape), sigmas)); // radius 4
    assert.deepEqual(r.kinds.blas, r.kinds.cpu);
    assertClose(r.blas[0], r.cpu[0], TOL, "blas vs cpu");
    assertClose(r.blas[0], reference(values, shape, sigmas, 4), TOL, "blas vs float64");
    // It blurred: sigma 2 moved most values by more than the tolerance.
    const size = 96 * 96 * 3;
    const moved = r.blas[0].slice(3 * size, 4 * size).filter((v, k) =>
      Math.abs(v - values[3 * size + k]) > 1e-3
    );
    assert.ok(moved.length > size / 2, `${moved.length} values moved`);
  },
});

Deno.test({
  name: "blas SelfsupGaussianBlur equals the chain and the reference for any size, sigma, radius",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.tuple(
      fc.integer({ min: 1, max: 3 }),
      fc.integer({ min: 1, max: 9 }),
      fc.integer({ min: 1, max: 9 }),
      fc.constantFrom(1, 3),
    ).chain(([n, h, w, c]) =>
      fc.tuple(
        fc.constant([n, h, w, c] as Shape),
        fc.array(fc.oneof(fc.float({ min: 0, max: 1, noNaN: true }), fc.constantFrom(0, 1)), {
          minLength: n * h * w * c,
          maxLength: n * h * w * c,
        }),
        fc.array(
          fc.oneof(fc.double({ min: 0.01, max: 20, noNaN: true }), fc.constantFrom(1e-3, 1e3)),
          { minLength: n, maxLength: n },
        ),
        fc.integer({ min: 0, max: Math.min(h, w) - 1 }),
      )
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ([shape, values, sigmas, radius]) => {
        runs++;
        const what = `shape ${shape}, sigmas ${sigmas}, radius ${radius}`;
        const r = await onBoth(() =>
          gaussianBlurOp(tf.tensor4d(values, shape), sigmas, { radius })
        );
        assertClose(r.blas[0], r.cpu[0], TOL, `${what}: blas vs cpu`);
        assertClose(r.blas[0], reference(values, shape, sigmas, radius), TOL, `${what}: float64`);
      }),
      { numRuns: 150, seed: 41 },
    );
    assert.equal(runs, 150);
  },
});

Deno.test({
  name:
    "blas SelfsupGaussianBlur called directly: radius 0 and 1-pixel images give the clipped input",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const run = (values: number[], shape: Shape, sigmas: number[]) =>
      tf.tidy(() =>
        Array.from(
          (tf.engine().runKernel(GAUSSIAN_BLUR_KERNEL, { images: tf.tensor4d(values, shape) }, {
            sigmas,
            radius: 0,
          }) as tf.Tensor).dataSync(),
        )
      );
    assert.deepEqual(run([0.25, 2, -1], [3, 1, 1, 1], [0.5, 1, 2]), [0.25, 1, 0]);
    assert.deepEqual(run([0.1, 0.2, 0.3, 0.4, 0.5, 0.6], [1, 1, 2, 3], [1]), [
      Math.fround(0.1),
      Math.fround(0.2),
      Math.fround(0.3),
      Math.fround(0.4),
      Math.fround(0.5),
      Math.fround(0.6),
    ]);
  },
});

Deno.test({
  name: "blas SelfsupGaussianBlur spreads NaN and infinities as the chain's dense products do",
  ignore: ignoreBlas,
  fn: async () => {
    // One Infinity in channel 0 of a 7x7x3 image, radius 1: 0 x Infinity makes NaNs far from it.
    const shape: Shape = [2, 7, 7, 3];
    const values = Array.from(randomValues(2 * 7 * 7 * 3, 9));
    values[(3 * 7 + 3) * 3] = Infinity;
    values[7 * 7 * 3 + (1 * 7 + 5) * 3 + 2] = NaN;
    const r = await onBoth(() =>
      gaussianBlurOp(tf.tensor4d(values, shape), [1, 0.7], { radius: 1, checkValues: false })
    );
    assertClose(r.blas[0], r.cpu[0], TOL, "blas vs cpu");
    const nan = r.cpu[0].filter(Number.isNaN).length;
    assert.ok(nan > 0 && nan < r.cpu[0].length, `${nan} NaNs`);

    const value = fc.oneof(
      { weight: 8, arbitrary: fc.float({ min: 0, max: 1, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 2, -1, 1e30) },
    );
    const cases = fc.tuple(
      fc.integer({ min: 1, max: 2 }),
      fc.integer({ min: 1, max: 8 }),
      fc.integer({ min: 1, max: 8 }),
      fc.constantFrom(1, 3),
    ).chain(([n, h, w, c]) =>
      fc.tuple(
        fc.constant([n, h, w, c] as Shape),
        fc.array(value, { minLength: n * h * w * c, maxLength: n * h * w * c }),
        fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
        fc.integer({ min: 0, max: Math.min(h, w) - 1 }),
      )
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ([s, v, sigmas, radius]) => {
        runs++;
        const both = await onBoth(() =>
          gaussianBlurOp(tf.tensor4d(v, s), sigmas, { radius, checkValues: false })
        );
        assertClose(both.blas[0], both.cpu[0], TOL, `shape ${s}, sigmas ${sigmas}, r ${radius}`);
      }),
      { numRuns: 150, seed: 43 },
    );
    assert.equal(runs, 150);
  },
});

Deno.test({
  name: "blas SelfsupGaussianBlur refuses bad inputs and attributes",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const images = tf.zeros([2, 4, 4, 3]);
    const ints = tf.zeros([2, 4, 4, 3], "int32");
    const run = (x: tf.Tensor, sigmas: unknown, radius: unknown) => () =>
      tf.engine().runKernel(GAUSSIAN_BLUR_KERNEL, { images: x }, {
        sigmas,
        radius,
      } as unknown as tf.NamedAttrMap);
    assert.throws(run(images, [1, 1], 4), {
      name: "TypeError",
      message:
        "SelfsupGaussianBlur: needs float32 images [N, H, W, C], N sigmas > 0, a radius in [0, min(H, W) - 1] and chosen absent or N booleans, got float32 [2,4,4,3], sigmas [1,1], radius 4 and chosen undefined",
    });
    assert.throws(run(ints, [1, 1], 1), { name: "TypeError", message: /got int32/ });
    assert.throws(run(images, [1], 1), { name: "TypeError", message: /sigmas \[1\]/ });
    assert.throws(run(images, [1, 0], 1), { name: "TypeError", message: /sigmas \[1,0\]/ });
    assert.throws(run(images, [1, 1], 0.5), { name: "TypeError", message: /radius 0.5 and/ });
    const flagged = (chosen: unknown) => () =>
      tf.engine().runKernel(GAUSSIAN_BLUR_KERNEL, { images }, {
        sigmas: [1, 1],
        radius: 1,
        chosen,
      } as unknown as tf.NamedAttrMap);
    for (const [chosen, got] of [[[true], "[true]"], [[true, 0], "[true,0]"], [1, "1"]] as const) {
      assert.throws(flagged(chosen), {
        name: "TypeError",
        message: new RegExp(`radius 1 and chosen ${got.replace(/[[\]]/g, "\\$&")}$`),
      });
    }
    tf.dispose([images, ints]);
  },
});

/**
 * The kernel with per-image flags on blas, and on cpu the chain on each chosen image alone (the
 * others as they are).
 */
async function flaggedAndChain(
  values: Float32Array | number[],
  shape: Shape,
  sigmas: number[],
  radius: number,
  chosen: boolean[],
) {
  return await onBoth(() => {
    const images = tf.tensor4d(values, shape);
    if (tf.getBackend() === "blas") {
      return tf.engine().runKernel(GAUSSIAN_BLUR_KERNEL, { images }, {
        sigmas,
        radius,
        chosen,
      }) as tf.Tensor;
    }
    return tf.concat(
      chosen.map((c, i) => {
        const image = images.slice([i, 0, 0, 0], [1, -1, -1, -1]);
        return c ? gaussianBlurOp(image, [sigmas[i]], { radius, checkValues: false }) : image;
      }),
      0,
    );
  });
}

/** Asserts the images not chosen came out of the kernel exactly as they went in. */
function assertCopied(out: Float32Array, values: ArrayLike<number>, chosen: boolean[]) {
  const size = out.length / chosen.length;
  chosen.forEach((c, i) => {
    if (c) return;
    for (let k = i * size; k < (i + 1) * size; k++) {
      if (!Object.is(out[k], Math.fround(values[k]))) {
        assert.fail(`image ${i} not copied: [${k}] ${out[k]} vs ${values[k]}`);
      }
    }
  });
}

Deno.test({
  name: "blas SelfsupGaussianBlur with flags blurs the chosen images as the chain, copies the rest",
  ignore: ignoreBlas,
  fn: async () => {
    const sigmas = [0.5, 2, 1, 3.7, 1.5, 0.8];
    const chosen = [true, false, true, false, false, true];
    const shape: Shape = [sigmas.length, 96, 96, 3];
    const size = 96 * 96 * 3;
    const values = randomValues(sigmas.length * size, 11);
    // Image 1 (copied) holds values the blur's clip or its NaN rule would change.
    [NaN, Infinity, -Infinity, -0, 2, -1, 1e30].forEach((v, k) => values[size + 40 * k] = v);
    const r = await flaggedAndChain(values, shape, sigmas, 4, chosen);
    assert.deepEqual(r.kinds.blas, r.kinds.cpu);
    assertClose(r.blas[0], r.cpu[0], TOL, "blas vs cpu");
    assertCopied(r.blas[0], values, chosen);
    // The chosen ones blurred: most values moved by more than the tolerance.
    for (const i of [0, 2, 5]) {
      const moved = r.blas[0].slice(i * size, (i + 1) * size).filter((v, k) =>
        Math.abs(v - values[i * size + k]) > 1e-3
      );
      assert.ok(moved.length > size / 2, `image ${i}: ${moved.length} values moved`);
    }
    // All flags set is the kernel without flags, bit for bit.
    assert.ok(await tf.setBackend("blas"));
    const images = tf.tensor4d(values, shape);
    const run = (attrs: tf.NamedAttrMap) =>
      tf.engine().runKernel(GAUSSIAN_BLUR_KERNEL, { images }, attrs) as tf.Tensor;
    const outs = [
      run({ sigmas, radius: 4, chosen: sigmas.map(() => true) }),
      run({ sigmas, radius: 4 }),
    ];
    const [flagged, plain] = outs.map((t) => t.dataSync());
    tf.dispose([images, ...outs]);
    assert.ok(flagged.every((v, k) => Object.is(v, plain[k])), "all flags = no flags");
  },
});

Deno.test({
  name: "blas SelfsupGaussianBlur with flags equals the chain for any flags, sizes and values",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(
      { weight: 8, arbitrary: fc.float({ min: 0, max: 1, noNaN: true }) },
      { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 2, -1, -0, 1e30) },
    );
    const cases = fc.tuple(
      fc.integer({ min: 1, max: 4 }),
      fc.integer({ min: 2, max: 8 }),
      fc.integer({ min: 2, max: 8 }),
      fc.constantFrom(1, 3),
    ).chain(([n, h, w, c]) =>
      fc.tuple(
        fc.constant([n, h, w, c] as Shape),
        fc.array(value, { minLength: n * h * w * c, maxLength: n * h * w * c }),
        fc.array(fc.double({ min: 0.01, max: 5, noNaN: true }), { minLength: n, maxLength: n }),
        // From 1: radius 0 is a copy in the op (blurKernel), never a call of the kernel.
        fc.integer({ min: 1, max: Math.min(h, w) - 1 }),
        fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      )
    );
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ([shape, values, sigmas, radius, chosen]) => {
        runs++;
        const what = `shape ${shape}, sigmas ${sigmas}, radius ${radius}, chosen ${chosen}`;
        const r = await flaggedAndChain(values, shape, sigmas, radius, chosen);
        assertClose(r.blas[0], r.cpu[0], TOL, what);
        assertCopied(r.blas[0], values, chosen);
      }),
      { numRuns: 150, seed: 47 },
    );
    assert.equal(runs, 150);
  },
});

Deno.test({
  name: "randomGaussianBlur on blas (one flagged call) equals the op chain on cpu (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.record({
      n: fc.integer({ min: 1, max: 9 }),
      h: fc.integer({ min: 1, max: 9 }),
      w: fc.integer({ min: 1, max: 9 }),
      c: fc.constantFrom(1, 3),
      seed: fc.integer({ min: 1, max: 2 ** 31 - 1 }),
      p: fc.constantFrom(0, 0.1, 0.5, 1),
      sigma: fc.tuple(
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        fc.double({ min: 1, max: 4, noNaN: true }),
      ),
      radius: fc.integer({ min: 0, max: 8 }),
    });
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(cases, async ({ n, h, w, c, seed, p, sigma, radius }) => {
        runs++;
        const options = { seed, p, sigma, radius: Math.min(radius, h - 1, w - 1) };
        const r = await onBoth(() =>
          randomGaussianBlur(
            tf.randomUniform([n, h, w, c], 0, 1, "float32", seed) as tf.Tensor4D,
            options,
          )
        );
        assert.deepEqual(r.kinds.blas, r.kinds.cpu);
        assertBothClose(r, TOL, JSON.stringify({ n, h, w, c, ...options }));
      }),
      { numRuns: 150, seed: 79 },
    );
    assert.equal(runs, 150);
  },
});

Deno.test({
  name: "randomGaussianBlur on blas is one kernel call over the batch, without regrouping it",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const images = tf.randomUniform([16, 8, 8, 3], 0, 1, "float32", 3) as tf.Tensor4D;
    const info = await tf.profile(() =>
      randomGaussianBlur(images, { seed: 4, p: 0.5, radius: 2, checkValues: false })
    );
    assert.deepEqual(info.kernels.map((k) => k.name), [GAUSSIAN_BLUR_KERNEL]);
    const out = (info.result as tf.Tensor).dataSync();
    const input = images.dataSync();
    const size = 8 * 8 * 3;
    const changed = Array.from({ length: 16 }, (_, i) => {
      for (let k = i * size; k < (i + 1) * size; k++) if (out[k] !== input[k]) return true;
      return false;
    }).filter((c) => c).length;
    assert.ok(changed > 0 && changed < 16, `${changed} images blurred`);
    tf.dispose([images, info.result as tf.Tensor]);
  },
});
