import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  augmentView,
  byolViews,
  randomColorJitter,
  randomFlip,
  randomGaussianBlur,
  randomGrayscale,
  randomResizedCrop,
  randomSolarize,
  simclrRecipe,
  simclrViews,
  smallImageViews,
} from "./mod.ts";

tf.enableProdMode();

type Call = [string, (x: tf.Tensor4D, checkValues?: boolean) => tf.Tensor | tf.Tensor[]];

const calls: Call[] = [
  ["simclrViews", (x, checkValues) => simclrViews(x, { seed: 1, checkValues })],
  ["byolViews", (x, checkValues) => byolViews(x, { seed: 1, checkValues })],
  ["smallImageViews", (x, checkValues) => smallImageViews(x, { seed: 1, checkValues })],
  [
    "augmentView",
    (x, checkValues) => augmentView(x, { seed: 1, recipe: simclrRecipe(), checkValues }),
  ],
  ["randomResizedCrop", (x, checkValues) => randomResizedCrop(x, { seed: 1, checkValues })],
  ["randomFlip", (x, checkValues) => randomFlip(x, { seed: 1, checkValues })],
  ["randomColorJitter", (x, checkValues) => randomColorJitter(x, { seed: 1, checkValues })],
  ["randomGrayscale", (x, checkValues) => randomGrayscale(x, { seed: 1, checkValues })],
  ["randomGaussianBlur", (x, checkValues) => randomGaussianBlur(x, { seed: 1, checkValues })],
  ["randomSolarize", (x, checkValues) => randomSolarize(x, { seed: 1, checkValues })],
];

/** Counts the synchronous read-backs (dataSync) that `body` makes on the active backend. */
function readBacks(body: () => void): number {
  const backend = tf.backend();
  const readSync = backend.readSync.bind(backend);
  let count = 0;
  backend.readSync = (dataId) => {
    count++;
    return readSync(dataId);
  };
  try {
    body();
  } finally {
    backend.readSync = readSync;
  }
  return count;
}

for (const [name, call] of calls) {
  Deno.test(`${name}() reads the images back once by default and never with checkValues: false`, () => {
    const images = tf.randomUniform([3, 8, 8, 3], 0, 1, "float32", 2) as tf.Tensor4D;
    const big = images.mul(255) as tf.Tensor4D;
    assert.equal(readBacks(() => tf.dispose(call(images))), 1);
    assert.equal(readBacks(() => tf.dispose(call(images, true))), 1);
    assert.equal(readBacks(() => tf.dispose(call(images, false))), 0);
    assert.throws(() => call(big), {
      name: "RangeError",
      message: new RegExp(`^${name}\\(\\): images must be in \\[0, 1\\], got values in \\[`),
    });
    // Unchecked, out-of-range input is the caller's promise: it is not rejected.
    tf.dispose(call(big, false));
    assert.throws(() => call(images, "no" as unknown as boolean), {
      name: "TypeError",
      message: `${name}(): checkValues must be a boolean, got "no"`,
    });
    tf.dispose([images, big]);
  });
}
