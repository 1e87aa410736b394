import { join } from "node:path";
import { type Dataset, fromArrays } from "./dataset.ts";
import { decodeIdx, encodeIdx, type IdxArray } from "./idx.ts";
import { readFileNamed, toPath, transform, writeFileAtomic } from "./_files.ts";

/**
 * Reads an IDX file, gzip-compressed or not (recognised from its first bytes, so
 * `train-images-idx3-ubyte.gz` and the unpacked `train-images-idx3-ubyte` both work).
 *
 * @param path The file's path or `file:` URL.
 * @returns The decoded array.
 * @throws {Error} If the file is missing, unreadable or not valid gzip (naming the file).
 * @throws {RangeError} If the content is not a valid uint8 IDX file (naming the file).
 *
 * @example Write and read back a gzip-compressed labels file
 * ```ts
 * import { readIdxFile, writeIdxFile } from "@selfsup/data/files";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await writeIdxFile(`${dir}/labels-idx1-ubyte.gz`, { data: new Uint8Array([3, 1]), shape: [2] });
 * const { data, shape } = await readIdxFile(`${dir}/labels-idx1-ubyte.gz`);
 * assert.deepEqual([[...data], shape], [[3, 1], [2]]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readIdxFile(path: string | URL): Promise<IdxArray> {
  const file = toPath(path);
  let bytes = await readFileNamed(file, "IDX file");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await transform(bytes, new DecompressionStream("gzip"));
    } catch (error) {
      throw new Error(`cannot decompress IDX file "${file}": ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
  return decodeIdx(bytes, `IDX file "${file}"`);
}

/** Options of {@linkcode writeIdxFile}. */
export interface WriteIdxOptions {
  /** Compress with gzip; default: when the path ends in `.gz`. */
  gzip?: boolean;
}

/**
 * Writes a uint8 array as an IDX file, atomically (temporary file, then rename).
 *
 * @param path Where to write.
 * @param array Values and shape.
 * @param options Whether to gzip.
 * @returns Resolves once the file is in place.
 * @throws {RangeError} If the shape does not match the data.
 * @throws {Error} If the file cannot be written (naming it).
 *
 * @example
 * ```ts
 * import { readIdxFile, writeIdxFile } from "@selfsup/data/files";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const images = { data: new Uint8Array(2 * 3 * 3).fill(9), shape: [2, 3, 3] };
 * await writeIdxFile(`${dir}/images-idx3-ubyte`, images);
 * assert.deepEqual((await readIdxFile(`${dir}/images-idx3-ubyte`)).shape, [2, 3, 3]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeIdxFile(
  path: string | URL,
  array: IdxArray,
  options: WriteIdxOptions = {},
): Promise<void> {
  const file = toPath(path);
  const { gzip = file.endsWith(".gz") } = options;
  let bytes = encodeIdx(array.data, array.shape);
  if (gzip) bytes = await transform(bytes, new CompressionStream("gzip"));
  await writeFileAtomic(file, bytes);
}

/** Paths of {@linkcode loadIdx}. */
export interface LoadIdxOptions {
  /** Images file: `[N, H, W]` (grey, as in MNIST) or `[N, H, W, C]`. */
  images: string | URL;
  /** Optional labels file: `[N]`. */
  labels?: string | URL;
  /** Optional class names for the labels. */
  classNames?: readonly string[];
}

/**
 * Loads an images IDX file and, optionally, its labels file as a {@linkcode Dataset}.
 *
 * @param options The two paths and optional class names.
 * @returns The dataset, `[N, H, W, 1]` for MNIST-style files.
 * @throws {Error} If a file is missing or unreadable (naming it).
 * @throws {RangeError} If a file is corrupt, has the wrong rank, or the label count does not
 *   match the image count (naming both files).
 *
 * @example
 * ```ts
 * import { loadIdx, writeIdxFile } from "@selfsup/data/files";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await writeIdxFile(`${dir}/x`, { data: new Uint8Array(2 * 4 * 4), shape: [2, 4, 4] });
 * await writeIdxFile(`${dir}/y`, { data: new Uint8Array([1, 0]), shape: [2] });
 * const ds = await loadIdx({ images: `${dir}/x`, labels: `${dir}/y` });
 * assert.deepEqual(ds.shape, [2, 4, 4, 1]);
 * assert.deepEqual([...ds.labels!], [1, 0]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadIdx(options: LoadIdxOptions): Promise<Dataset> {
  const imagesFile = toPath(options.images);
  const images = await readIdxFile(imagesFile);
  const { shape } = images;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new RangeError(
      `IDX file "${imagesFile}": images must have 3 or 4 dimensions ([N, H, W] or ` +
        `[N, H, W, C]), got [${shape}]`,
    );
  }
  let labels: Uint8Array | undefined;
  if (options.labels !== undefined) {
    const labelsFile = toPath(options.labels);
    const read = await readIdxFile(labelsFile);
    if (read.shape.length !== 1 || read.shape[0] !== shape[0]) {
      throw new RangeError(
        `IDX file "${labelsFile}": labels must have shape [${shape[0]}] to match the ` +
          `${shape[0]} images of "${imagesFile}", got [${read.shape}]`,
      );
    }
    labels = read.data;
  }
  return fromArrays(images.data, [shape[0], shape[1], shape[2], shape[3] ?? 1], {
    labels,
    classNames: options.classNames,
  });
}

/** Options of {@linkcode loadIdxFolder}. */
export interface LoadIdxFolderOptions {
  /** `"train"` reads `train-*`, `"test"` reads `t10k-*` (default `"train"`). */
  split?: "train" | "test";
  /** Optional class names, e.g. `FASHION_MNIST_CLASSES`. */
  classNames?: readonly string[];
}

/**
 * Loads a split from a folder holding the official MNIST-family files
 * (`train-images-idx3-ubyte[.gz]`, `train-labels-idx1-ubyte[.gz]`, `t10k-...`), which
 * is how MNIST, Fashion-MNIST and KMNIST are distributed; this gives the official split.
 *
 * @param dir The folder.
 * @param options The split and class names.
 * @returns The labelled dataset.
 * @throws {Error} If a file is missing (naming the names looked for) or unreadable.
 * @throws {RangeError} If a file is corrupt or the counts do not match.
 *
 * @example
 * ```ts
 * import { loadIdxFolder, writeIdxFile } from "@selfsup/data/files";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const data = new Uint8Array(3 * 2 * 2);
 * await writeIdxFile(`${dir}/t10k-images-idx3-ubyte.gz`, { data, shape: [3, 2, 2] });
 * await writeIdxFile(`${dir}/t10k-labels-idx1-ubyte.gz`, { data: new Uint8Array(3), shape: [3] });
 * const test = await loadIdxFolder(dir, { split: "test" });
 * assert.equal(test.shape[0], 3);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function loadIdxFolder(
  dir: string | URL,
  options: LoadIdxFolderOptions = {},
): Promise<Dataset> {
  const { split = "train", classNames } = options;
  if (split !== "train" && split !== "test") {
    throw new RangeError(`split must be "train" or "test", got ${JSON.stringify(split)}`);
  }
  const prefix = split === "train" ? "train" : "t10k";
  const folder = toPath(dir);
  const images = await findFile(folder, `${prefix}-images-idx3-ubyte`);
  const labels = await findFile(folder, `${prefix}-labels-idx1-ubyte`);
  return await loadIdx({ images, labels, classNames });
}

async function findFile(folder: string, base: string): Promise<string> {
  for (const name of [base, `${base}.gz`]) {
    const path = join(folder, name);
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  }
  throw new Error(`cannot find "${join(folder, base)}" or "${join(folder, base)}.gz"`);
}
