import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { fromArrays } from "@selfsup/data";
import { Random } from "@selfsup/internal";
import { predictionTable, transformationPrediction } from "./transformation_prediction.ts";

tf.enableProdMode();

/** `n` images of a dim background with a bright block near the top-left corner. */
function blocks(n: number, h: number, w: number, c: number) {
  const random = new Random(3);
  const pixels = new Uint8Array(n * h * w * c);
  for (let i = 0; i < n; i++) {
    const [y0, x0] = [random.integer(3), random.integer(3)];
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const bright = y >= y0 && y < y0 + 4 && x >= x0 && x < x0 + 4;
        for (let k = 0; k < c; k++) {
          pixels[((i * h + y) * w + x) * c + k] = bright
            ? 200 + random.integer(56)
            : 20 + random.integer(20) + 30 * k;
        }
      }
    }
  }
  return fromArrays(pixels, [n, h, w, c]);
}

/** The pixels as h, and a head that maps every h to 0: z knows nothing. */
function models(h: number, w: number, c: number) {
  const input = tf.input({ shape: [h, w, c] });
  const encoder = tf.model({
    inputs: input,
    outputs: tf.layers.flatten().apply(input) as tf.SymbolicTensor,
  });
  const hIn = tf.input({ shape: [h * w * c] });
  const zero = tf.layers.dense({ units: 8, useBias: false, kernelInitializer: "zeros" });
  const head = tf.model({ inputs: hIn, outputs: zero.apply(hIn) as tf.SymbolicTensor });
  return { encoder, head };
}

Deno.test("transformationPrediction(): h that keeps the pixels tells the rotation, z that keeps nothing is at chance", async () => {
  const { encoder, head } = models(12, 12, 1);
  const options = { seed: 5, probeEpochs: 30, colorStrength: 0.5 };
  const rows = await transformationPrediction(encoder, head, blocks(200, 12, 12, 1), options);
  assert.deepEqual(rows.map((r) => [r.classes, r.chance, r.trainImages, r.testImages]), [
    [4, 0.25, 100, 100],
    [2, 0.5, 100, 100],
    [2, 0.5, 100, 100],
    [2, 0.5, 100, 100],
    [2, 0.5, 100, 100],
  ]);
  assert.match(rows[0].task, /^rotation/);
  // The block moves to another corner with each quarter turn: linear on the pixels.
  assert.ok(rows[0].h >= 0.95, `rotation on h: ${rows[0].h}`);
  // Sobel turns the bright block into its outline.
  assert.match(rows[2].task, /Sobel/);
  assert.ok(rows[2].h >= 0.9, `Sobel on h: ${rows[2].h}`);
  // Constant z: the probe can only guess one class, which is chance on balanced classes.
  for (const r of rows) assert.equal(r.z, r.chance, r.task);
  // The same seed, the same table.
  const again = await transformationPrediction(encoder, head, blocks(200, 12, 12, 1), options);
  assert.deepEqual(again, rows);
  encoder.dispose();
  head.dispose();
});

Deno.test("transformationPrediction(): colour vs grayscale for colour images, no rotation unless square", async () => {
  const { encoder, head } = models(12, 10, 3);
  const rows = await transformationPrediction(encoder, head, blocks(40, 12, 10, 3), {
    seed: 1,
    probeEpochs: 20,
    colorStrength: 1,
  });
  assert.deepEqual(rows.map((r) => r.task.split(" (")[0]), [
    "colour vs grayscale",
    "original vs Gaussian noise",
    "original vs Sobel-filtered",
    "original vs blurred",
    "original vs colour-jittered",
  ]);
  // The background's channels differ by 30 and 60 levels: grayscale removes that.
  assert.ok(rows[0].h >= 0.9, `grayscale on h: ${rows[0].h}`);
  const table = predictionTable(rows);
  assert.equal(table.trim().split("\n").length, 2 + 5);
  assert.match(table, /\| colour vs grayscale \| 50\.00% \| \d+\.\d\d% \| 50\.00% \| 20 \/ 20 \|/);
  encoder.dispose();
  head.dispose();
});
