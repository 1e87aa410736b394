import * as tf from "@tensorflow/tfjs";
import { encode as encodePng } from "fast-png";
import jpeg from "jpeg-js";
import assert from "node:assert/strict";
import { deriveSeed, permutation } from "@selfsup/internal";
import {
  imageFolderBatches,
  listImageFolder,
  loadImageFolder,
  type SkippedEntry,
} from "./image_folder.ts";

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
    await assert.rejects(loadImageFolder(root), {
      name: "RangeError",
      message: `loadImageFolder(): image "${root}/b.jpg" must be 5x6 like "${root}/a.png", ` +
        "got 10x12: pass the size option to resize them all",
    });
    // Streaming checks the size across batches too.
    const stream = imageFolderBatches(root, { batchSize: 1, shuffle: false });
    assert.deepEqual((await stream.next()).value?.shape, [1, H, W, 1]);
    await assert.rejects(
      stream.next(),
      /^RangeError: imageFolderBatches\(\): image "[^"]*b.jpg" must be 5x6 like/,
    );
    const ds = await loadImageFolder(root, { size: [4, 4], channels: 1 });
    assert.deepEqual(ds.shape, [2, 4, 4, 1]);
    assert.equal(ds.labels, undefined);
    ds.images.forEach((v) => assert.ok(Math.abs(v - 9) <= 2));
  });
});

Deno.test("image folders that are empty, mixed, missing or broken give errors naming them", async () => {
  await withFolder({ "readme.txt": new Uint8Array(1) }, async (root) => {
    await assert.rejects(loadImageFolder(root), {
      message: `loadImageFolder(): image folder "${root}" must hold PNG or JPEG images, got none`,
    });
    await assert.rejects(
      loadImageFolder(`${root}/missing`),
      /^Error: loadImageFolder\(\): cannot read image folder "[^"]*missing"/,
    );
  });
  await withFolder(
    { "a/x.png": png(1, () => 0), "b/readme.txt": new Uint8Array(1) },
    async (root) => {
      await assert.rejects(listImageFolder(root), {
        message:
          `listImageFolder(): class folder "${root}/b" must hold PNG or JPEG images, got none`,
      });
    },
  );
  await withFolder({ "a/x.png": png(1, () => 0), "y.png": png(1, () => 0) }, async (root) => {
    await assert.rejects(listImageFolder(root), {
      message: `listImageFolder(): image folder "${root}" must use one layout, got images ` +
        '("y.png") beside class folders ("a")',
    });
  });
  await withFolder({ "a.png": new TextEncoder().encode("not a png") }, async (root) => {
    await assert.rejects(
      loadImageFolder(root),
      /^RangeError: loadImageFolder\(\): image "[^"]*a.png" must be a PNG or JPEG file/,
    );
  });
});

Deno.test("image-folder loaders check their options when called", async () => {
  await withFolder({ "a.png": png(1, () => 0) }, async (root) => {
    // The async generator throws at the call, before the folder is listed.
    assert.throws(() => imageFolderBatches(root, { batchSize: 0, seed: 1 }), {
      name: "RangeError",
      message: "imageFolderBatches(): batchSize must be an integer >= 1, got 0",
    });
    assert.throws(() => imageFolderBatches(root, { batchSize: 1 }), {
      name: "TypeError",
      message: "imageFolderBatches(): seed must be a safe integer when shuffle is true, " +
        "got undefined",
    });
    assert.throws(() => imageFolderBatches(root, { batchSize: 1, seed: 1, channels: 2 as 1 }), {
      name: "RangeError",
      message: "imageFolderBatches(): channels must be one of 1, 3, got 2",
    });
    assert.throws(() => imageFolderBatches(7 as never, { batchSize: 1, seed: 1 }), {
      name: "TypeError",
      message: "imageFolderBatches(): root must be a path or file: URL, got 7",
    });
    await assert.rejects(loadImageFolder(root, { maxPixels: -1 }), {
      name: "RangeError",
      message: "loadImageFolder(): maxPixels must be an integer >= 1, got -1",
    });
    await assert.rejects(loadImageFolder(root, { onSkip: 1 as never }), {
      name: "TypeError",
      message: "loadImageFolder(): onSkip must be a function, got 1",
    });
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
    // The order of batches() for the same seed and epoch 0.
    assert.deepEqual(seen, [...permutation(7, deriveSeed(4, 0))]);
    let checked = 0;
    for (const batch of epoch) {
      batch.indices.forEach((index, i) => {
        const value = Number(listing.files[index].match(/(\d)\.png$/)![1]) * 10;
        assert.equal(batch.images[i * 6], value);
        assert.equal(batch.labels![i], listing.labels![index]);
        checked++;
      });
    }
    assert.equal(checked, 7);
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
  });
});

// Links and special files (issue 15, item 6): links are followed only inside the root.
const posix = Deno.build.os !== "windows";

Deno.test({
  name: "image folders follow links that stay inside the root and skip those that leave it",
  ignore: !posix,
  fn: async () => {
    const outside = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${outside}/secret.png`, png(1, () => 200));
      await Deno.mkdir(`${outside}/elsewhere`);
      await Deno.writeFile(`${outside}/elsewhere/e.png`, png(1, () => 201));
      await withFolder(
        { "store/cat/a.png": png(1, () => 1), "data/dog/b.png": png(1, () => 2) },
        async (top) => {
          const root = `${top}/data`;
          // A class folder linked from inside the root (the old loader dropped it silently)...
          await Deno.symlink(`${top}/data/dog`, `${root}/puppy`);
          // ...a file link inside the root, and links that lead outside.
          await Deno.symlink(`${root}/dog/b.png`, `${root}/dog/c.png`);
          await Deno.symlink(`${outside}/secret.png`, `${root}/dog/d.png`);
          await Deno.symlink(`${outside}/elsewhere`, `${root}/elsewhere`);
          await Deno.symlink(`${top}/store/cat`, `${root}/cat`); // outside `data`
          await Deno.symlink(`${root}/dog/missing.png`, `${root}/dog/e.png`);
          const listing = await listImageFolder(root);
          assert.deepEqual(listing.classNames, ["dog", "puppy"]);
          assert.deepEqual(listing.files, [
            `${root}/dog/b.png`,
            `${root}/dog/c.png`,
            `${root}/puppy/b.png`,
            `${root}/puppy/c.png`,
          ]);
          assert.deepEqual(listing.skipped.map((e) => e.path).sort(), [
            `${root}/cat`,
            `${root}/dog/d.png`,
            `${root}/dog/e.png`,
            `${root}/elsewhere`,
            `${root}/puppy/d.png`,
            `${root}/puppy/e.png`,
          ]);
          const reasons = new Map(listing.skipped.map((e) => [e.path, e.reason]));
          assert.equal(
            reasons.get(`${root}/dog/d.png`),
            `a symbolic link to "${await Deno.realPath(outside)}/secret.png", outside the root`,
          );
          assert.equal(
            reasons.get(`${root}/dog/e.png`),
            "a symbolic link that resolves nowhere (broken or a loop)",
          );
          // The loader reads only inside the root and reports every skip once.
          const skips: SkippedEntry[] = [];
          const ds = await loadImageFolder(root, { onSkip: (entry) => skips.push(entry) });
          assert.deepEqual(skips, listing.skipped);
          assert.deepEqual(ds.shape, [4, H, W, 1]);
          assert.ok(ds.images.every((v) => v === 2), "no pixel of the outside files");
        },
      );
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  },
});

Deno.test({
  name: "image folders skip a named pipe with a message instead of waiting on it forever",
  ignore: !posix,
  fn: async () => {
    await withFolder({ "a.png": png(1, () => 3), "c/x.png": png(1, () => 4) }, async (top) => {
      const root = `${top}/c`;
      const made = await new Deno.Command("mkfifo", { args: [`${root}/b.png`] }).output();
      assert.ok(made.success, "mkfifo failed");
      const listing = await listImageFolder(root);
      assert.deepEqual(listing.files, [`${root}/x.png`]);
      assert.deepEqual(listing.skipped, [
        { path: `${root}/b.png`, reason: "a named pipe, not a regular file" },
      ]);
      // The default report is a warning naming the function, the entry and the reason.
      const warnings: string[] = [];
      const warn = console.warn;
      console.warn = (...args: unknown[]) => warnings.push(args.join(" "));
      try {
        const batches = [];
        for await (const batch of imageFolderBatches(root, { batchSize: 4, seed: 0 })) {
          batches.push(batch);
        }
        assert.deepEqual(batches.map((b) => b.shape), [[1, H, W, 1]]);
      } finally {
        console.warn = warn;
      }
      assert.deepEqual(warnings, [
        `imageFolderBatches(): skipped "${root}/b.png": a named pipe, not a regular file`,
      ]);
      // A link to the pipe is refused the same way.
      await Deno.symlink(`${root}/b.png`, `${root}/y.png`);
      const again = await listImageFolder(root);
      assert.deepEqual(again.skipped.map((e) => e.reason), [
        "a named pipe, not a regular file",
        "a named pipe, not a regular file",
      ]);
    });
  },
});

Deno.test({
  name: "image folders re-check a file when they read it: a link swapped in later is refused",
  ignore: !posix,
  fn: async () => {
    const outside = await Deno.makeTempDir();
    try {
      await Deno.writeFile(`${outside}/secret.png`, png(1, () => 200));
      await withFolder({ "a.png": png(1, () => 1), "b.png": png(1, () => 2) }, async (root) => {
        const stream = imageFolderBatches(root, { batchSize: 1, shuffle: false });
        assert.equal((await stream.next()).value?.images[0], 1);
        await Deno.remove(`${root}/b.png`);
        await Deno.symlink(`${outside}/secret.png`, `${root}/b.png`);
        const [realRoot, realOutside] = [await Deno.realPath(root), await Deno.realPath(outside)];
        await assert.rejects(stream.next(), {
          message: `imageFolderBatches(): image "${root}/b.png" must resolve inside the folder ` +
            `"${realRoot}", got "${realOutside}/secret.png"`,
        });
      });
    } finally {
      await Deno.remove(outside, { recursive: true });
    }
  },
});
