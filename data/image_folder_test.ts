import * as tf from "@tensorflow/tfjs";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import assert from "node:assert/strict";
import { imageFolderBatches, listImageFolder, loadImageFolder } from "./image_folder.ts";

tf.enableProdMode();

const W = 6;
const H = 5;

function png(channels: 1 | 3, value: (p: number, c: number) => number, w = W, h = H): Uint8Array {
  const data = Uint8Array.from(
    { length: w * h * channels },
    (_, i) => value(Math.floor(i / channels), i % channels),
  );
  return encodePng({ width: w, height: h, data, channels });
}

function jpg(rgb: [number, number, number], w = W, h = H): Uint8Array {
  const data = new Uint8Array(w * h * 4);
  for (let p = 0; p < w * h; p++) data.set([...rgb, 255], 4 * p);
  return new Uint8Array(jpeg.encode({ width: w, height: h, data }, 95).data);
}

async function withFolder(
  files: Record<string, Uint8Array>,
  body: (root: string) => Promise<void>,
) {
  const root = await Deno.makeTempDir();
  try {
    for (const [name, bytes] of Object.entries(files)) {
      const slash = name.lastIndexOf("/");
      if (slash > 0) await Deno.mkdir(`${root}/${name.slice(0, slash)}`, { recursive: true });
      await Deno.writeFile(`${root}/${name}`, bytes);
    }
    await body(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

// Two classes, each with a PNG and a JPEG, one grey and one colour of each format.
const labelled = {
  "shirt/1.png": png(1, (p) => p * 8),
  "shirt/2.jpg": jpg([200, 40, 90]),
  "shoe/3.png": png(3, (p, c) => (p + 50 * c) % 256),
  "shoe/4.jpeg": jpg([128, 128, 128]),
  "shoe/notes.txt": new TextEncoder().encode("ignored"),
  ".hidden/x.png": png(1, () => 0),
};

Deno.test("loadImageFolder() reads PNG and JPEG, grey and colour, labelled by folder", async () => {
  await withFolder(labelled, async (root) => {
    const ds = await loadImageFolder(root, { channels: 3 });
    assert.deepEqual(ds.shape, [4, H, W, 3]);
    assert.deepEqual(ds.classNames, ["shirt", "shoe"]);
    assert.deepEqual([...ds.labels!], [0, 0, 1, 1]);
    const size = H * W * 3;
    const image = (i: number) => ds.images.subarray(i * size, (i + 1) * size);
    // Grey PNG repeated over RGB, colour PNG exact.
    assert.deepEqual([...image(0)], Array.from({ length: size }, (_, i) => Math.floor(i / 3) * 8));
    assert.deepEqual(
      [...image(2)],
      Array.from({ length: size }, (_, i) => (Math.floor(i / 3) + 50 * (i % 3)) % 256),
    );
    // JPEG within its error.
    image(1).forEach((v, i) => assert.ok(Math.abs(v - [200, 40, 90][i % 3]) <= 3, `${v}`));
    image(3).forEach((v) => assert.ok(Math.abs(v - 128) <= 2, `${v}`));
  });
});

Deno.test("loadImageFolder() takes the first image's channels by default and converts the rest", async () => {
  await withFolder(labelled, async (root) => {
    const ds = await loadImageFolder(root);
    assert.deepEqual(ds.shape, [4, H, W, 1]);
    const luma = 0.299 * 200 + 0.587 * 40 + 0.114 * 90;
    ds.images.subarray(H * W, 2 * H * W).forEach((v) => assert.ok(Math.abs(v - luma) <= 3));
  });
});

Deno.test("loadImageFolder() reads a flat folder as unlabelled and resizes on request", async () => {
  await withFolder({ "a.png": png(1, () => 9), "b.jpg": jpg([9, 9, 9], 12, 10) }, async (root) => {
    await assert.rejects(
      loadImageFolder(root),
      /image "[^"]*b.jpg" is 10x12 but "[^"]*a.png" is 5x6: pass the size option/,
    );
    // Streaming checks the size across batches too.
    const stream = imageFolderBatches(root, { batchSize: 1, shuffle: false });
    assert.deepEqual((await stream.next()).value?.shape, [1, H, W, 1]);
    await assert.rejects(stream.next(), /image "[^"]*b.jpg" is 10x12 but "[^"]*a.png" is 5x6/);
    const ds = await loadImageFolder(root, { size: [4, 4], channels: 1 });
    assert.deepEqual(ds.shape, [2, 4, 4, 1]);
    assert.equal(ds.labels, undefined);
    ds.images.forEach((v) => assert.ok(Math.abs(v - 9) <= 2));
  });
});

Deno.test("image folders that are empty, mixed, missing or broken give errors naming them", async () => {
  await withFolder({ "readme.txt": new Uint8Array(1) }, async (root) => {
    await assert.rejects(
      loadImageFolder(root),
      new RegExp(`image folder "${root}" holds no PNG or JPEG image`),
    );
    await assert.rejects(
      loadImageFolder(`${root}/missing`),
      /cannot read image folder "[^"]*missing"/,
    );
  });
  await withFolder(
    { "a/x.png": png(1, () => 0), "b/readme.txt": new Uint8Array(1) },
    async (root) => {
      await assert.rejects(
        listImageFolder(root),
        /class folder "[^"]*\/b" holds no PNG or JPEG image/,
      );
    },
  );
  await withFolder({ "a/x.png": png(1, () => 0), "y.png": png(1, () => 0) }, async (root) => {
    await assert.rejects(
      listImageFolder(root),
      /mixes images \("y.png"\) with class folders \("a"\)/,
    );
  });
  await withFolder({ "a.png": new TextEncoder().encode("not a png") }, async (root) => {
    await assert.rejects(loadImageFolder(root), /image "[^"]*a.png": cannot decode/);
  });
});

Deno.test("imageFolderBatches() streams every image once, in a seeded order", async () => {
  const files: Record<string, Uint8Array> = {};
  for (let i = 0; i < 7; i++) files[`c${i % 2}/${i}.png`] = png(1, () => i * 10, 3, 2);
  await withFolder(files, async (root) => {
    const listing = await listImageFolder(root);
    const run = async (options: { seed?: number; shuffle?: boolean; dropLast?: boolean }) => {
      const out = [];
      for await (const batch of imageFolderBatches(root, { batchSize: 3, ...options })) {
        out.push(batch);
      }
      return out;
    };
    const epoch = await run({ seed: 4 });
    assert.deepEqual(epoch.map((b) => b.shape), [[3, 2, 3, 1], [3, 2, 3, 1], [1, 2, 3, 1]]);
    const seen = epoch.flatMap((b) => [...b.indices]);
    assert.deepEqual([...seen].sort(), [0, 1, 2, 3, 4, 5, 6]);
    for (const batch of epoch) {
      batch.indices.forEach((index, i) => {
        const value = Number(listing.files[index].match(/(\d)\.png$/)![1]) * 10;
        assert.equal(batch.images[i * 6], value);
        assert.equal(batch.labels![i], listing.labels![index]);
      });
    }
    assert.deepEqual((await run({ seed: 4 })).flatMap((b) => [...b.indices]), seen);
    assert.deepEqual((await run({ shuffle: false })).flatMap((b) => [...b.indices]), [
      0,
      1,
      2,
      3,
      4,
      5,
      6,
    ]);
    assert.equal((await run({ seed: 4, dropLast: true })).length, 2);
    await assert.rejects(run({}), /seed must be given/);
  });
});
