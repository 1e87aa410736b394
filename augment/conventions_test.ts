// The house conventions (issue 16), checked over every export of the package so a new function
// cannot skip them: each function that draws takes an integer `options.seed`, and each bad
// argument is answered with `fn(): ...` naming the function the user called.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as augment from "./mod.ts";

tf.enableProdMode();

const images = tf.randomUniform([2, 6, 6, 3], 0, 1, "float32", 1) as tf.Tensor4D;
const recipe = augment.simclrRecipe();

/** Each function that draws, called with valid arguments and the given options extra. */
const drawing: Record<string, (extra: Record<string, unknown>) => unknown> = {
  sampleCropBoxes: (o) => augment.sampleCropBoxes(2, { height: 6, width: 6, ...o } as never),
  randomResizedCrop: (o) => augment.randomResizedCrop(images, o as never),
  randomFlip: (o) => augment.randomFlip(images, o as never),
  randomColorJitter: (o) => augment.randomColorJitter(images, o as never),
  randomGrayscale: (o) => augment.randomGrayscale(images, o as never),
  randomGaussianBlur: (o) => augment.randomGaussianBlur(images, { radius: 1, ...o } as never),
  randomSolarize: (o) => augment.randomSolarize(images, o as never),
  randomRotation: (o) => augment.randomRotation(images, o as never),
  cutout: (o) => augment.cutout(images, o as never),
  gaussianNoise: (o) => augment.gaussianNoise(images, o as never),
  // Sobel draws only its per-image choice, so only when 0 < p < 1; then it needs the seed.
  sobelFilter: (o) => augment.sobelFilter(images, { p: 0.5, ...o } as never),
  augmentView: (o) => augment.augmentView(images, { recipe, ...o } as never),
  simclrViews: (o) => augment.simclrViews(images, o as never),
  byolViews: (o) => augment.byolViews(images, o as never),
  smallImageViews: (o) => augment.smallImageViews(images, o as never),
};

/** Bad calls of every exported function, each of which must throw `name(): ...`. */
const badCalls: Record<string, (() => unknown)[]> = {
  ...Object.fromEntries(
    Object.entries(drawing).map(([name, call]) => [name, [
      () => call({}),
      () => call({ seed: 1.5 }),
      // sampleCropBoxes reads no tensor, so it has no checkValues.
      () =>
        call(
          name === "sampleCropBoxes" ? { seed: 1, scale: [2, 3] } : { seed: 1, checkValues: "yes" },
        ),
    ]]),
  ),
  adjustBrightness: [() => augment.adjustBrightness(images, [-1, 1])],
  adjustContrast: [() => augment.adjustContrast(images, [1])],
  adjustSaturation: [() => augment.adjustSaturation(images, "1" as never)],
  adjustHue: [() => augment.adjustHue(images, [2, 0])],
  byolRecipes: [], // takes no argument
  defaultBlurRadius: [() => augment.defaultBlurRadius(0.5, 4)],
  deriveSeed: [() => augment.deriveSeed(NaN), () => augment.deriveSeed(1, -1)],
  flipLeftRight: [() => augment.flipLeftRight("images" as never)],
  gaussianBlur: [() => augment.gaussianBlur(images, [1, 1], 3 as never)],
  grayscale: [() => augment.grayscale(tf.zeros([2, 2]) as never)],
  normalize: [() => augment.normalize(images, { mean: [0, 0, 0], std: [1, 0, 1] })],
  resizedCrop: [() => augment.resizedCrop(images, [[0, 0, 1, 1]], 4)],
  simclrRecipe: [
    () => augment.simclrRecipe({ strength: -1 }),
    () => augment.simclrRecipe(1 as never),
  ],
  solarize: [() => augment.solarize(images, 0.5 as never)],
};

const exported = Object.entries(augment)
  .filter(([, value]) => typeof value === "function")
  .map(([name]) => name)
  .sort();

Deno.test("every exported function is listed here, so each one's conventions are tested", () => {
  assert.deepEqual(Object.keys(badCalls).sort(), exported);
  assert.equal(exported.length, 29);
});

for (const [name, call] of Object.entries(drawing)) {
  Deno.test(`${name}() draws from an integer options.seed and names it when it is missing`, () => {
    assert.throws(() => call({}), {
      name: "TypeError",
      message: `${name}(): seed must be a safe integer, got undefined`,
    });
    assert.throws(() => call({ seed: 2 ** 53 }), {
      name: "RangeError",
      message: `${name}(): seed must be a safe integer, got ${2 ** 53}`,
    });
    // The same seed draws the same result; another seed another one.
    const read = (seed: number) => {
      const out = call({ seed }) as tf.Tensor | tf.Tensor[] | number[][];
      if (out instanceof tf.Tensor) return Array.from(out.dataSync());
      if (out[0] instanceof tf.Tensor) return (out as tf.Tensor[]).map((t) => t.dataSync());
      return out;
    };
    assert.deepEqual(read(7), read(7));
    assert.notDeepEqual(read(7), read(8));
  });
}

for (const name of exported) {
  Deno.test(`${name}() answers each bad argument with "${name}(): ..."`, () => {
    for (const call of badCalls[name]) {
      assert.throws(call, (error: unknown) => {
        assert.ok(error instanceof TypeError || error instanceof RangeError, String(error));
        assert.ok(error.message.startsWith(`${name}(): `), error.message);
        assert.match(error.message, /^\w+\(\): \S+ must be .+, got .+$/s);
        return true;
      });
    }
  });
}

Deno.test("options that are not an object are a TypeError naming options", () => {
  const calls: [string, () => unknown][] = [
    ["randomResizedCrop", () => augment.randomResizedCrop(images, undefined as never)],
    ["randomFlip", () => augment.randomFlip(images, null as never)],
    ["simclrViews", () => augment.simclrViews(images, 7 as never)],
    ["gaussianBlur", () => augment.gaussianBlur(images, [1, 1], [] as never)],
    ["solarize", () => augment.solarize(images, 0.5 as never)],
    ["randomRotation", () => augment.randomRotation(images, "seed" as never)],
    ["cutout", () => augment.cutout(images, [] as never)],
    ["gaussianNoise", () => augment.gaussianNoise(images, null as never)],
    ["sobelFilter", () => augment.sobelFilter(images, 1 as never)],
  ];
  for (const [name, call] of calls) {
    assert.throws(call, {
      name: "TypeError",
      message: new RegExp(`^${name}\\(\\): options must be an object, got `),
    });
  }
});
