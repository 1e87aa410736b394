import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { classCounts, type Dataset, FASHION_MNIST_CLASSES, selectImages } from "@selfsup/data";
import { loadFashionMnist, writeIdxFile } from "@selfsup/data/files";
import { encode } from "fast-png";
import { DataSourceError, loadTrainData, type TrainData } from "./data_source.ts";

tf.enableProdMode();

// One 32-bit FNV-1a hash per image, to compare splits by content.
function imageHashes(ds: Dataset): number[] {
  const [n, h, w, c] = ds.shape;
  const size = h * w * c;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    let hash = 0x811c9dc5;
    for (let j = i * size; j < (i + 1) * size; j++) {
      hash = Math.imul(hash ^ ds.images[j], 0x01000193);
    }
    out.push(hash >>> 0);
  }
  return out;
}

function image(ds: Dataset, i: number): number[] {
  const size = ds.shape[1] * ds.shape[2] * ds.shape[3];
  return [...ds.images.subarray(i * size, (i + 1) * size)];
}

// Loading Fashion-MNIST takes a second or two on a busy machine: the tests share these loads.
let reference: Promise<Dataset> | undefined;
const fashionMnist = () => reference ??= loadFashionMnist({ split: "all" });
let seedFive: Promise<TrainData> | undefined;
const fashionSeedFive = () => seedFive ??= loadTrainData("fashion-mnist", { seed: 5 });

Deno.test("loadTrainData('fashion-mnist') holds out a seeded, class-stratified validation slice", async () => {
  const all = await fashionMnist();
  const data = await fashionSeedFive();
  assert.deepEqual(data.train.shape, [59000, 28, 28, 1]);
  assert.deepEqual(data.validation.shape, [1000, 28, 28, 1]);
  assert.deepEqual(data.test.shape, [10000, 28, 28, 1]);
  assert.deepEqual(classCounts(data.validation), Array(10).fill(100));
  assert.deepEqual(classCounts(data.train), Array(10).fill(5900));
  assert.equal(data.numClasses, 10);
  assert.deepEqual(data.classNames, FASHION_MNIST_CLASSES);
  assert.deepEqual(data.train.classNames, FASHION_MNIST_CLASSES);
  assert.equal(
    data.description,
    "fashion-mnist (embedded, 28x28x1): 59,000 train, 1,000 validation, 10,000 test",
  );
  // train + validation is loadFashionMnist's training split, image for image (as multisets of
  // contents, with the labels), and every split keeps the original order.
  const key = (ds: Dataset) => imageHashes(ds).map((h, i) => `${h}:${ds.labels![i]}`);
  const full = key(all).slice(0, 60000);
  const counts = new Map<string, number>();
  for (const h of full) counts.set(h, (counts.get(h) ?? 0) + 1);
  for (const h of [...key(data.train), ...key(data.validation)]) {
    const left = counts.get(h);
    assert.ok(left !== undefined && left > 0, "an image not in the training split");
    counts.set(h, left - 1);
  }
  assert.ok([...counts.values()].every((v) => v === 0));
  // The test split is loadFashionMnist's test split.
  assert.deepEqual(data.test.images, all.images.subarray(60000 * 784));
  assert.deepEqual(data.test.labels, all.labels!.subarray(60000));
});

Deno.test("loadTrainData() limit keeps the first images, class-balanced; the same seed, the same slice", async () => {
  const full = await fashionSeedFive();
  const data = await loadTrainData("fashion-mnist", { seed: 5, limit: { train: 95, test: 30 } });
  assert.deepEqual(classCounts(data.train), [10, 10, 10, 10, 10, 9, 9, 9, 9, 9]);
  assert.deepEqual(classCounts(data.test), Array(10).fill(3));
  assert.deepEqual(data.validation.images, full.validation.images);
  // The first 10 images of classes 0-4 and the first 9 of classes 5-9, in their order.
  const taken = Array(10).fill(0);
  const expected = [...full.train.labels!.keys()].filter((i) => {
    const label = full.train.labels![i];
    return taken[label] < (label < 5 ? 10 : 9) && ++taken[label] > 0;
  });
  assert.equal(expected.length, 95);
  assert.deepEqual(data.train.images, selectImages(full.train, expected).images);
  assert.deepEqual(data.train.labels, selectImages(full.train, expected).labels);
  // The test split is interleaved, so there the balanced first images are the prefix.
  assert.deepEqual(data.test.images, full.test.images.subarray(0, 30 * 784));
  assert.match(data.description, /: 95 train, 1,000 validation, 30 test \(limited\)$/);
});

Deno.test("loadTrainData('fashion-mnist') draws another slice for another seed, resizes, converts channels", async () => {
  const all = await fashionMnist();
  const five = await fashionSeedFive();
  const data = await loadTrainData("fashion-mnist", {
    seed: 6,
    validationSize: 50,
    limit: { train: 10, test: 10 },
    imageSize: [14, 14],
    channels: 3,
  });
  assert.deepEqual(classCounts(data.validation), Array(10).fill(5));
  assert.deepEqual(data.train.shape, [10, 14, 14, 3]);
  // Seed 5's slice of 1,000 has 10% of the training images; seed 6's 50 are not a subset.
  const shared = new Set(imageHashes(five.validation));
  const seedSix = await loadTrainData("fashion-mnist", {
    seed: 6,
    validationSize: 50,
    limit: { train: 1, test: 1 },
  });
  assert.ok(imageHashes(seedSix.validation).filter((h) => shared.has(h)).length < 20);
  // A 2x downscale with half-pixel centres averages each 2x2 block (then rounds); grey is
  // repeated into the three channels. Train image 0 is all's image 0 unless held out.
  const first = image(data.train, 0);
  const source = image(all, 0);
  assert.deepEqual(image(seedSix.train, 0), source);
  for (const [y, x] of [[0, 0], [7, 5], [13, 13], [10, 3]]) {
    const mean = (source[2 * y * 28 + 2 * x] + source[2 * y * 28 + 2 * x + 1] +
      source[(2 * y + 1) * 28 + 2 * x] + source[(2 * y + 1) * 28 + 2 * x + 1]) / 4;
    const at = (y * 14 + x) * 3;
    assert.ok(Math.abs(first[at] - mean) <= 0.5 + 1e-4, `pixel ${y},${x}`);
    assert.deepEqual([first[at + 1], first[at + 2]], [first[at], first[at]]);
  }
});

async function writeIdxSplits(dir: string, gzip: boolean): Promise<void> {
  const ext = gzip ? ".gz" : "";
  // 30 training images of 3x3, labels 0,1,2,0,...; pixel value = image index.
  const write = async (name: string, n: number, offset: number) => {
    const data = Uint8Array.from({ length: n * 9 }, (_, i) => offset + Math.floor(i / 9));
    await writeIdxFile(`${dir}/${name}-images-idx3-ubyte${ext}`, { data, shape: [n, 3, 3] });
    const labels = Uint8Array.from({ length: n }, (_, i) => i % 3);
    await writeIdxFile(`${dir}/${name}-labels-idx1-ubyte${ext}`, { data: labels, shape: [n] });
  };
  await write("train", 30, 0);
  await write("t10k", 9, 100);
}

Deno.test("loadTrainData('idx:<folder>') reads the four files, plain or gzip", async () => {
  for (const gzip of [false, true]) {
    const dir = await Deno.makeTempDir();
    try {
      await writeIdxSplits(dir, gzip);
      const data = await loadTrainData(`idx:${dir}`, { seed: 3, validationSize: 6 });
      assert.deepEqual(data.train.shape, [24, 3, 3, 1]);
      assert.deepEqual(classCounts(data.validation), [2, 2, 2]);
      assert.deepEqual(data.test.shape, [9, 3, 3, 1]);
      assert.deepEqual(data.classNames, ["0", "1", "2"]);
      assert.equal(data.numClasses, 3);
      // Every image keeps its label (index % 3) and its order; the splits partition 0..29.
      const ids = (ds: Dataset) => Array.from({ length: ds.shape[0] }, (_, i) => image(ds, i)[0]);
      const [train, validation] = [ids(data.train), ids(data.validation)];
      assert.deepEqual([...train, ...validation].sort((a, b) => a - b), [...Array(30).keys()]);
      assert.deepEqual([...data.train.labels!], train.map((i) => i % 3));
      assert.deepEqual([...data.validation.labels!], validation.map((i) => i % 3));
      assert.deepEqual(train, [...train].sort((a, b) => a - b));
      assert.deepEqual(ids(data.test), [...Array(9).keys()].map((i) => 100 + i));
      assert.equal(
        data.description,
        `idx:${dir} (IDX files, 3x3x1): 24 train, 6 validation, 9 test`,
      );
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

async function writePng(path: string, width: number, height: number, value: number) {
  const data = new Uint8Array(width * height * 3).fill(value);
  await Deno.writeFile(path, encode({ width, height, data, channels: 3 }));
}

Deno.test("loadTrainData('folder:<path>') with train/ and test/ folders, resized on load", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const split of ["train", "test"]) {
      for (const [c, name] of ["cat", "dog"].entries()) {
        await Deno.mkdir(`${root}/${split}/${name}`, { recursive: true });
        const n = split === "train" ? 5 : 2;
        for (let i = 0; i < n; i++) {
          // Sizes differ; the first training image (train/cat/0.png) is 6x4.
          const [w, h] = i === 0 ? [6, 4] : [10 + i, 7];
          await writePng(`${root}/${split}/${name}/${i}.png`, w, h, 40 + 100 * c);
        }
      }
    }
    const data = await loadTrainData(`folder:${root}`, { seed: 0, validationSize: 2 });
    assert.deepEqual(data.train.shape, [8, 4, 6, 3]);
    assert.deepEqual(data.test.shape, [4, 4, 6, 3]);
    assert.deepEqual(classCounts(data.validation), [1, 1]);
    assert.deepEqual(data.classNames, ["cat", "dog"]);
    assert.deepEqual([...data.test.labels!], [0, 0, 1, 1]);
    // Flat colours survive the resize exactly.
    assert.ok(image(data.test, 0).every((v) => v === 40));
    assert.ok(image(data.test, 3).every((v) => v === 140));
    assert.match(data.description, /\(image folders train\/, test\/, 4x6x3\): 8 train, 2 valid/);

    const grey = await loadTrainData(`folder:${root}`, {
      seed: 0,
      validationSize: 0,
      imageSize: [5, 5],
      channels: 1,
    });
    assert.deepEqual(grey.train.shape, [10, 5, 5, 1]);
    assert.deepEqual(grey.validation.shape, [0, 5, 5, 1]);
    assert.ok(image(grey.test, 3).every((v) => v === 140));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("loadTrainData('folder:<path>') of class folders holds out a seeded test share", async () => {
  const root = await Deno.makeTempDir();
  try {
    for (const [c, name] of ["a", "b", "c"].entries()) {
      await Deno.mkdir(`${root}/${name}`);
      for (let i = 0; i < 10; i++) await writePng(`${root}/${name}/${i}.png`, 2, 2, 10 * c + i);
    }
    const data = await loadTrainData(`folder:${root}`, {
      seed: 9,
      validationSize: 3,
      testFraction: 0.3,
    });
    assert.deepEqual(classCounts(data.test), [3, 3, 3]);
    assert.deepEqual(classCounts(data.validation), [1, 1, 1]);
    assert.deepEqual(classCounts(data.train), [6, 6, 6]);
    const values = (ds: Dataset) => Array.from({ length: ds.shape[0] }, (_, i) => image(ds, i)[0]);
    const all = [...values(data.train), ...values(data.validation), ...values(data.test)];
    // Pixel values 10 * class + index: each image is in exactly one split.
    assert.deepEqual(all.sort((a, b) => a - b), [...Array(30).keys()]);
    const again = await loadTrainData(`folder:${root}`, {
      seed: 9,
      validationSize: 3,
      testFraction: 0.3,
    });
    assert.deepEqual(values(again.test), values(data.test));
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

async function rejectsData(spec: string, pattern: RegExp, options = { seed: 0 }) {
  await assert.rejects(loadTrainData(spec, options), (error: Error) => {
    assert.ok(error instanceof DataSourceError, `${error.name}: ${error.message}`);
    assert.equal(error.name, "DataSourceError");
    assert.match(error.message, /^loadTrainData\(\): --data /);
    assert.match(error.message, pattern);
    return true;
  });
}

Deno.test("loadTrainData() names --data and what it allows for a bad spec or missing data", async () => {
  const allowed = /--data must be one of "fashion-mnist", "idx:<folder>", "folder:<path>", got /;
  await rejectsData("mnist", allowed);
  await rejectsData("Fashion-MNIST", allowed);
  await rejectsData("", allowed);
  await rejectsData(3 as unknown as string, /got 3$/);
  await rejectsData(
    "idx:",
    /--data idx: must be followed by a folder \(idx:<folder>\), got "idx:"/,
  );
  await rejectsData("folder:", /--data folder: must be followed by a path/);

  const dir = await Deno.makeTempDir();
  try {
    await rejectsData(
      `idx:${dir}/missing`,
      /--data idx:<folder> must name a folder holding train-images-idx3-ubyte, .*: loadIdxFolder\(\): cannot find/,
    );
    await writeIdxSplits(dir, true);
    await Deno.remove(`${dir}/t10k-labels-idx1-ubyte.gz`);
    await rejectsData(`idx:${dir}`, /t10k-labels-idx1-ubyte/);
    await rejectsData(
      `folder:${dir}/missing`,
      /--data folder:<path> must name a folder of class sub-folders of PNG \/ JPEG images .*got "folder:.*missing": No such file/,
    );
    await rejectsData(
      `folder:${dir}`,
      /must name a folder of class sub-folders.*must hold PNG or JPEG images, got none$/,
    );
    // A flat folder has no labels.
    const flat = `${dir}/flat`;
    await Deno.mkdir(flat);
    await writePng(`${flat}/a.png`, 2, 2, 0);
    await rejectsData(`folder:${flat}`, /holds images but no class sub-folders/);
    // Test classes that differ from the training classes.
    const split = `${dir}/split`;
    await Deno.mkdir(`${split}/train/a`, { recursive: true });
    await Deno.mkdir(`${split}/test/b`, { recursive: true });
    await writePng(`${split}/train/a/0.png`, 2, 2, 0);
    await writePng(`${split}/test/b/0.png`, 2, 2, 0);
    await rejectsData(`folder:${split}`, /must have the class folders of .*\["a"\].*got \["b"\]/);
    // Too few images for the validation slice.
    const idx = `${dir}/idx`;
    await Deno.mkdir(idx);
    await writeIdxSplits(idx, false);
    await rejectsData(`idx:${idx}`, /validationSize 30\).*class sizes \[10, 10, 10\]/, {
      seed: 0,
      validationSize: 30,
    } as { seed: number });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadTrainData() rejects bad options with the house errors", async () => {
  await assert.rejects(loadTrainData("fashion-mnist", { seed: 0.5 }), {
    name: "RangeError",
    message: "loadTrainData(): seed must be a safe integer, got 0.5",
  });
  await assert.rejects(loadTrainData("fashion-mnist", { seed: 0, validationSize: -1 }), {
    name: "RangeError",
    message: "loadTrainData(): validationSize must be an integer >= 0, got -1",
  });
  await assert.rejects(loadTrainData("fashion-mnist", { seed: 0, channels: 2 as 1 }), {
    name: "RangeError",
  });
  await assert.rejects(
    loadTrainData("fashion-mnist", { seed: 0, limit: { train: 0, test: 1 } }),
    { name: "RangeError", message: "loadTrainData(): limit.train must be an integer >= 1, got 0" },
  );
  await assert.rejects(loadTrainData("fashion-mnist", { seed: 0, imageSize: 28 as never }), {
    name: "TypeError",
  });
});
