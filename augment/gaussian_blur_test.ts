import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { defaultBlurRadius, gaussianBlur, randomGaussianBlur } from "./mod.ts";
import { maxDiff, randomBatch, refBlur, take } from "./_testing.ts";
import { blurKernel } from "./_kernels.ts";

tf.enableProdMode();

Deno.test("gaussianBlur() matches a float64 separable reference with reflect padding", () => {
  const images = randomBatch([3, 7, 6, 3], 8);
  const sigmas = [0.3, 1, 2];
  const expected = refBlur(images.arraySync(), sigmas, 2);
  const got = take(gaussianBlur(images, sigmas, { radius: 2 }));
  assert.ok(maxDiff(got, expected) < 1e-5, `diff ${maxDiff(got, expected)}`);
  images.dispose();
});

Deno.test("gaussianBlur() keeps a constant image constant, borders included", () => {
  const images = tf.fill([2, 9, 9, 1], 0.3) as tf.Tensor4D;
  const got = take(gaussianBlur(images, [0.5, 2], { radius: 4 })).flat(3);
  assert.ok(got.every((v) => Math.abs(v - 0.3) < 1e-6));
  images.dispose();
});

Deno.test("defaultBlurRadius() follows SimCLR: 10% kernel, 3 / 9 / 23 taps", () => {
  assert.equal(2 * defaultBlurRadius(28, 28) + 1, 3);
  assert.equal(2 * defaultBlurRadius(32, 32) + 1, 3);
  assert.equal(2 * defaultBlurRadius(96, 96) + 1, 9);
  assert.equal(2 * defaultBlurRadius(224, 224) + 1, 23);
  assert.equal(defaultBlurRadius(8, 8), 0);
});

Deno.test("randomGaussianBlur() blurs only the chosen images, with their own sigma", () => {
  const images = randomBatch([12, 6, 6, 1], 3);
  const original = images.arraySync();
  assert.deepEqual(take(randomGaussianBlur(images, { seed: 1, p: 0, radius: 2 })), original);
  const all = take(randomGaussianBlur(images, { seed: 1, p: 1, radius: 2, sigma: [1, 2] }));
  all.forEach((img, i) => assert.notDeepEqual(img, original[i]));
  const some = take(randomGaussianBlur(images, { seed: 1, p: 0.5, radius: 2, sigma: [1, 2] }));
  const kept = some.filter((img, i) => JSON.stringify(img) === JSON.stringify(original[i]));
  assert.ok(kept.length > 0 && kept.length < 12);
  images.dispose();
});

Deno.test("blur functions reject bad sigmas and radii", () => {
  const images = randomBatch([2, 4, 4, 1], 1);
  assert.throws(() => gaussianBlur(images, [0, 1]), {
    name: "RangeError",
    message: "gaussianBlur(): sigmas[0] must be a finite number > 0, got 0",
  });
  assert.throws(() => gaussianBlur(images, [1, 1], { radius: 4 }), {
    name: "RangeError",
    message: "gaussianBlur(): radius must be an integer in [0, 3], got 4",
  });
  assert.throws(() => randomGaussianBlur(images, { seed: 1, sigma: [2, 1] }), {
    name: "RangeError",
    message: "randomGaussianBlur(): sigma must be a range with lo <= hi, got [2, 1]",
  });
  assert.throws(() => randomGaussianBlur(images, { seed: 1, sigma: [0, 1] }), {
    name: "RangeError",
    message: "randomGaussianBlur(): sigma[0] must be a finite number > 0, got 0",
  });
  assert.throws(() => defaultBlurRadius(0, 4), {
    name: "RangeError",
    message: "defaultBlurRadius(): height must be an integer >= 1, got 0",
  });
  images.dispose();
});

Deno.test("blurKernel() gives the same result when it works in chunks of images", () => {
  const images = randomBatch([5, 6, 7, 3], 9);
  const sigmas = [0.4, 0.8, 1.2, 1.6, 2];
  const whole = take(blurKernel(images, sigmas, 2));
  // A budget of two images' matrices: chunks of 2, 2 and 1.
  const chunked = take(blurKernel(images, sigmas, 2, 2 * 21 * 21));
  assert.deepEqual(chunked, whole);
  assert.ok(maxDiff(whole, refBlur(images.arraySync(), sigmas, 2)) < 1e-5);
  images.dispose();
});
