import assert from "node:assert/strict";
import { encodeIdx } from "./idx.ts";
import { loadIdx, loadIdxFolder, readIdxFile, writeIdxFile } from "./idx_files.ts";

async function withTempDir(body: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir();
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const images = {
  data: Uint8Array.from({ length: 3 * 4 * 5 }, (_, i) => (i * 7) % 256),
  shape: [3, 4, 5],
};
const labels = { data: new Uint8Array([9, 0, 4]), shape: [3] };

Deno.test("writeIdxFile() / readIdxFile() round-trip plain and gzip files", async () => {
  await withTempDir(async (dir) => {
    await writeIdxFile(`${dir}/plain`, images);
    await writeIdxFile(`${dir}/packed.gz`, images);
    const plainBytes = await Deno.readFile(`${dir}/plain`);
    assert.deepEqual(plainBytes, encodeIdx(images.data, images.shape));
    const packedBytes = await Deno.readFile(`${dir}/packed.gz`);
    assert.deepEqual([packedBytes[0], packedBytes[1]], [0x1f, 0x8b]);
    for (const name of ["plain", "packed.gz"]) {
      const read = await readIdxFile(`${dir}/${name}`);
      assert.deepEqual(read.shape, images.shape);
      assert.deepEqual(read.data, images.data);
    }
    // gzip is recognised from the content, not the name; URLs are accepted.
    await writeIdxFile(`${dir}/gz-without-suffix`, images, { gzip: true });
    const read = await readIdxFile(new URL(`file://${dir}/gz-without-suffix`));
    assert.deepEqual(read.data, images.data);
    assert.deepEqual([...Deno.readDirSync(dir)].filter((e) => e.name.endsWith(".tmp")), []);
  });
});

Deno.test("readIdxFile() rejects missing, corrupt and truncated files, naming them", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      readIdxFile(`${dir}/missing`),
      (e: Error) => e.message.startsWith(`readIdxFile(): cannot read IDX file "${dir}/missing"`),
    );
    await Deno.writeFile(`${dir}/text`, new TextEncoder().encode("hello world"));
    await assert.rejects(readIdxFile(`${dir}/text`), {
      name: "RangeError",
      message:
        `readIdxFile(): IDX file "${dir}/text" must start with the IDX magic number 00 00, ` +
        `got "68 65 6c 6c"`,
    });
    const full = encodeIdx(images.data, images.shape);
    await Deno.writeFile(`${dir}/cut`, full.subarray(0, full.length - 3));
    await assert.rejects(readIdxFile(`${dir}/cut`), {
      name: "RangeError",
      message: `readIdxFile(): IDX file "${dir}/cut" must be 76 bytes for its IDX shape ` +
        "[3, 4, 5], got 73 (truncated or corrupt)",
    });
    await writeIdxFile(`${dir}/cut.gz`, images);
    const gz = await Deno.readFile(`${dir}/cut.gz`);
    await Deno.writeFile(`${dir}/cut.gz`, gz.subarray(0, gz.length - 12));
    await assert.rejects(
      readIdxFile(`${dir}/cut.gz`),
      /^Error: readIdxFile\(\): cannot decompress IDX file "[^"]*cut.gz"/,
    );
    await Deno.mkdir(`${dir}/folder`);
    await assert.rejects(readIdxFile(`${dir}/folder`), {
      message: `readIdxFile(): IDX file "${dir}/folder" must be a regular file, got a folder`,
    });
    await assert.rejects(readIdxFile(42 as never), {
      name: "TypeError",
      message: "readIdxFile(): path must be a path or file: URL, got 42",
    });
  });
});

Deno.test("writeIdxFile() names the file when it cannot write and leaves nothing behind", async () => {
  await withTempDir(async (dir) => {
    await assert.rejects(
      writeIdxFile(`${dir}/no/such/dir/x`, images),
      /^Error: writeIdxFile\(\): cannot write "[^"]*no\/such\/dir\/x"/,
    );
    assert.deepEqual([...Deno.readDirSync(dir)], []);
    await assert.rejects(writeIdxFile(`${dir}/x`, { data: new Uint8Array(5), shape: [2, 3] }), {
      name: "RangeError",
      message:
        "writeIdxFile(): array.data.length must equal the product of array.shape [2, 3] = 6, got 5",
    });
  });
});

Deno.test("loadIdx() builds an NHWC dataset and checks the label count", async () => {
  await withTempDir(async (dir) => {
    await writeIdxFile(`${dir}/x.gz`, images);
    await writeIdxFile(`${dir}/y.gz`, labels);
    const ds = await loadIdx({ images: `${dir}/x.gz`, labels: `${dir}/y.gz` });
    assert.deepEqual(ds.shape, [3, 4, 5, 1]);
    assert.deepEqual(ds.images, images.data);
    assert.deepEqual([...ds.labels!], [9, 0, 4]);
    const unlabelled = await loadIdx({ images: `${dir}/x.gz` });
    assert.equal(unlabelled.labels, undefined);

    await writeIdxFile(`${dir}/y2`, { data: new Uint8Array(2), shape: [2] });
    await assert.rejects(loadIdx({ images: `${dir}/x.gz`, labels: `${dir}/y2` }), {
      name: "RangeError",
      message: `loadIdx(): labels file "${dir}/y2" must have shape [3] to match the 3 images ` +
        `of "${dir}/x.gz", got [2]`,
    });
    await assert.rejects(
      loadIdx({ images: `${dir}/y2` }),
      /^RangeError: loadIdx\(\): images file "[^"]*y2" must have 3 or 4 dimensions/,
    );
    await assert.rejects(
      loadIdx({ images: `${dir}/x.gz`, labels: `${dir}/y.gz`, classNames: ["a", "b"] }),
      /labels below classNames.length 2, got 9 at index 0/,
    );
    await assert.rejects(loadIdx(`${dir}/x.gz` as never), {
      name: "TypeError",
      message: `loadIdx(): options must be an object, got "${dir}/x.gz"`,
    });
  });
});

Deno.test("loadIdxFolder() finds the official file names, gzipped or not", async () => {
  await withTempDir(async (dir) => {
    await writeIdxFile(`${dir}/train-images-idx3-ubyte.gz`, images);
    await writeIdxFile(`${dir}/train-labels-idx1-ubyte.gz`, labels);
    await writeIdxFile(`${dir}/t10k-images-idx3-ubyte`, {
      data: new Uint8Array(8),
      shape: [2, 2, 2],
    });
    await writeIdxFile(`${dir}/t10k-labels-idx1-ubyte`, {
      data: new Uint8Array([1, 1]),
      shape: [2],
    });
    const train = await loadIdxFolder(dir, {
      classNames: ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j"],
    });
    assert.deepEqual(train.shape, [3, 4, 5, 1]);
    assert.equal(train.classNames?.[9], "j");
    const test = await loadIdxFolder(dir, { split: "test" });
    assert.deepEqual([...test.labels!], [1, 1]);
    await Deno.remove(`${dir}/t10k-labels-idx1-ubyte`);
    await assert.rejects(
      loadIdxFolder(dir, { split: "test" }),
      /^Error: loadIdxFolder\(\): cannot find "[^"]*t10k-labels-idx1-ubyte" or/,
    );
    await assert.rejects(loadIdxFolder(dir, { split: "val" as "test" }), {
      name: "RangeError",
      message: 'loadIdxFolder(): split must be one of "train", "test", got "val"',
    });
    // A corrupt file found by the folder loader names the folder loader.
    await Deno.writeFile(`${dir}/t10k-labels-idx1-ubyte`, new Uint8Array([1, 2, 3]));
    await assert.rejects(
      loadIdxFolder(dir, { split: "test" }),
      /^RangeError: loadIdxFolder\(\): IDX file "[^"]*t10k-labels-idx1-ubyte" must start/,
    );
  });
});
