import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { GAUSSIAN_BLUR_KERNEL, gaussianBlur as gaussianBlurOp } from "@selfsup/augment";
import { assertClose, ignoreBlas, onBoth } from "./_test_util.ts";
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
        "SelfsupGaussianBlur: needs float32 images [N, H, W, C], N sigmas > 0 and a radius in [0, min(H, W) - 1], got float32 [2,4,4,3], sigmas [1,1] and radius 4",
    });
    assert.throws(run(ints, [1, 1], 1), { name: "TypeError", message: /got int32/ });
    assert.throws(run(images, [1], 1), { name: "TypeError", message: /sigmas \[1\]/ });
    assert.throws(run(images, [1, 0], 1), { name: "TypeError", message: /sigmas \[1,0\]/ });
    assert.throws(run(images, [1, 1], 0.5), { name: "TypeError", message: /radius 0.5$/ });
    tf.dispose([images, ints]);
  },
});
