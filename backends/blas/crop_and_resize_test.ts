import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { ignoreBlas, onBoth } from "./_test_util.ts";
import { cropAndResize } from "./crop_and_resize.ts";

type Box = [number, number, number, number];
type Method = "bilinear" | "nearest";

/** Asserts bit-identical float32 values: Object.is tells -0 from 0 and matches NaN to NaN. */
function assertSame(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    if (!Object.is(a[i], b[i])) assert.fail(`${what}[${i}]: blas ${a[i]} vs cpu ${b[i]}`);
  }
}

/** Crops on both backends and asserts the blas output is the cpu output bit for bit. */
async function sameOnBoth(
  shape: [number, number, number, number],
  boxes: Box[],
  boxInd: number[],
  crop: [number, number],
  method: Method,
  extrapolation: number,
  seed: number,
): Promise<Float32Array> {
  const r = await onBoth(() =>
    tf.image.cropAndResize(
      tf.randomNormal(shape, 0, 1, "float32", seed) as tf.Tensor4D,
      tf.tensor2d(boxes.flat(), [boxes.length, 4]),
      tf.tensor1d(boxInd, "int32"),
      crop,
      method,
      extrapolation,
    )
  );
  const what = `shape ${shape} boxes ${JSON.stringify(boxes)} boxInd ${boxInd} crop ${crop} ` +
    `${method} extrapolation ${extrapolation}`;
  assertSame(r.blas[0], r.cpu[0], what);
  assert.equal(r.blas[0].length, boxes.length * crop[0] * crop[1] * shape[3], what);
  return r.blas[0];
}

Deno.test({
  name: "blas CropAndResize is registered as the blas backend's own kernel",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel("CropAndResize", "blas")?.kernelFunc, cropAndResize);
  },
});

Deno.test({
  name: "blas CropAndResize equals the cpu kernel bit for bit on flipped, outside and thin boxes",
  ignore: ignoreBlas,
  fn: async () => {
    const boxes: Box[] = [
      [0.1, 0.2, 0.8, 0.9], // inside
      [0.9, 0.8, 0.1, 0.2], // flipped both ways
      [0, 1, 1, 0], // left-right mirror of the whole image
      [-0.3, -0.2, 1.4, 1.1], // reaching outside on every side
      [1.2, 0.1, 1.6, 0.5], // wholly below the image
      [0.5, 0.5, 0.5, 0.5], // a point
      [0.25, 0, 0.25, 1], // one row
    ];
    // Repeats image 2, skips image 1.
    const boxInd = [2, 0, 2, 2, 0, 3, 0];
    let cases = 0;
    for (const c of [1, 3, 5]) {
      for (const crop of [[1, 1], [1, 5], [5, 1], [4, 6]] as [number, number][]) {
        for (const method of ["bilinear", "nearest"] as Method[]) {
          for (const extrapolation of [0, -2.5]) {
            await sameOnBoth([4, 7, 9, c], boxes, boxInd, crop, method, extrapolation, 10 + c);
            cases++;
          }
        }
      }
    }
    assert.equal(cases, 48);
  },
});

Deno.test({
  name: "blas CropAndResize: the full box is the image, a reversed box its mirror, outside is " +
    "the extrapolation value",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    const shape = [2, 5, 6, 3];
    const values = Float32Array.from({ length: 180 }, (_, i) => (i * 37 % 101) / 7);
    tf.tidy(() => {
      const images = tf.tensor4d(values, shape as [number, number, number, number]);
      const out = tf.image.cropAndResize(
        images,
        tf.tensor2d([[0, 0, 1, 1], [1, 0, 0, 1], [0, 1, 1, 0], [2, 2, 3, 3]], [4, 4]),
        tf.tensor1d([1, 0, 1, 0], "int32"),
        [5, 6],
        "bilinear",
        -7,
      );
      const [full, upsideDown, mirrored, outside] = tf.unstack(out);
      const [first, second] = tf.unstack(images);
      assert.deepEqual(full.dataSync(), second.dataSync());
      assert.deepEqual(upsideDown.dataSync(), tf.reverse(first, 0).dataSync());
      assert.deepEqual(mirrored.dataSync(), tf.reverse(second, 1).dataSync());
      assert.deepEqual(outside.dataSync(), new Float32Array(90).fill(-7));
    });
  },
});

Deno.test({
  name: "blas CropAndResize gives zeros for an image index past the batch, like the cpu kernel",
  ignore: ignoreBlas,
  fn: async () => {
    const boxes: Box[] = [[0, 0, 1, 1], [0.2, 0.1, 0.7, 0.9], [0, 0, 1, 1]];
    for (const method of ["bilinear", "nearest"] as Method[]) {
      const out = await sameOnBoth([2, 4, 4, 3], boxes, [1, 2, 7], [3, 3], method, 1, 5);
      assert.deepEqual(out.subarray(27), new Float32Array(54));
      assert.ok(out.subarray(0, 27).some((v) => v !== 0));
    }
  },
});

Deno.test({
  name: "blas CropAndResize falls back to the cpu kernel for int32 images, NaN boxes and " +
    "negative image indices",
  ignore: ignoreBlas,
  fn: async () => {
    const ints = await onBoth(() =>
      tf.image.cropAndResize(
        tf.tensor4d(Int32Array.from({ length: 48 }, (_, i) => i * 3 - 40), [1, 4, 4, 3], "int32"),
        tf.tensor2d([[0.1, 0.9, 0.8, 0.2]], [1, 4]),
        tf.tensor1d([0], "int32"),
        [3, 5],
      )
    );
    assertSame(ints.blas[0], ints.cpu[0], "int32 image");
    const odd = await onBoth(() =>
      tf.image.cropAndResize(
        tf.randomNormal([2, 4, 4, 1], 0, 1, "float32", 3) as tf.Tensor4D,
        tf.tensor2d([[NaN, 0, 1, 1], [0, 0, 1, 1]], [2, 4]),
        tf.tensor1d([0, -1], "int32"),
        [2, 2],
      )
    );
    assertSame(odd.blas[0], odd.cpu[0], "NaN box, negative index");
    assert.ok(odd.blas[0].every(Number.isNaN));
  },
});

Deno.test({
  name: "blas CropAndResize equals the cpu kernel bit for bit on random shapes and boxes",
  ignore: ignoreBlas,
  fn: async () => {
    const coordinate = fc.float({ min: -0.5, max: 1.5, noNaN: true });
    const box = fc.tuple(coordinate, coordinate, coordinate, coordinate);
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.tuple(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 8 }),
          fc.integer({ min: 1, max: 5 }),
        ),
        fc.array(fc.tuple(box, fc.nat()), { maxLength: 5 }),
        fc.tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 7 })),
        fc.constantFrom<Method>("bilinear", "nearest"),
        fc.constantFrom(0, 0.5, -3),
        fc.integer({ min: 1, max: 1000 }),
        async (shape, picks, crop, method, extrapolation, seed) => {
          const boxes = picks.map(([b]) => b);
          const boxInd = picks.map(([, i]) => i % shape[0]);
          await sameOnBoth(shape, boxes, boxInd, crop, method, extrapolation, seed);
          runs++;
        },
      ),
      { numRuns: 50, seed: 14 },
    );
    assert.equal(runs, 50);
  },
});
