import { join } from "node:path";
import { checkBoolean, checkOneOf, checkOptions, typeError } from "@selfsup/internal";
import { type Dataset, fromArrays } from "./dataset.ts";
import type { IdxArray } from "./idx.ts";
import {
  decodeIdxBytes,
  encodeIdxChecked,
  type IdxHeader,
  lengthError,
  readIdxHeader,
} from "./_idx_header.ts";
import {
  gunzipCapped,
  gzip,
  join as joinChunks,
  readFileNamed,
  toPath,
  writeFileAtomic,
} from "./_files.ts";

// An IDX header is at most 4 + 4 * 255 bytes.
const MAX_HEADER = 4 + 4 * 255;

/**
 * Reads an IDX file, gzip-compressed or not (recognised from its first bytes, so
 * `train-images-idx3-ubyte.gz` and the unpacked `train-images-idx3-ubyte` both work).
 *
 * **Limits.** A gzip file is inflated as a stream and stopped as soon as it yields more bytes
 * than its IDX header declares, so a small file that inflates to gigabytes (a "zip bomb") is
 * rejected after at most a few megabytes; memory stays proportional to the declared size
 * (about twice the file's real content at most). Only regular files are read: a named pipe or
 * a device is refused, never waited on.
 *
 * @param path The file's path or `file:` URL.
 * @returns The decoded array.
 * @throws {TypeError} If `path` is not a string or `file:` URL.
 * @throws {Error} If the file is missing, unreadable, not a regular file or not valid gzip
 *   (naming the file).
 * @throws {RangeError} If the content is not a valid uint8 IDX file, or holds more or fewer
 *   bytes than its header declares (naming the file).
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
  const fn = "readIdxFile";
  return await readIdx(fn, toPath(fn, "path", path));
}

async function readIdx(fn: string, file: string): Promise<IdxArray> {
  const what = `IDX file "${file}"`;
  let bytes = await readFileNamed(fn, file, "IDX file");
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let header: IdxHeader | undefined;
    bytes = await gunzipCapped(fn, what, bytes, (chunks, total) => {
      header ??= readIdxHeader(fn, what, joinChunks(chunks, Math.min(total, MAX_HEADER)), false);
      if (header !== undefined && total > header.totalLength) {
        throw lengthError(fn, what, header, "more when decompressed");
      }
    });
  }
  return decodeIdxBytes(fn, what, bytes);
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
 * @throws {TypeError} If `path`, `array` or an option has the wrong type.
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
  const fn = "writeIdxFile";
  const file = toPath(fn, "path", path);
  checkOptions(fn, array, "array");
  checkOptions(fn, options);
  const compress = checkBoolean(fn, "gzip", options.gzip ?? file.endsWith(".gz"));
  let bytes = encodeIdxChecked(fn, "array.data", "array.shape", array.data, array.shape);
  if (compress) bytes = await gzip(bytes);
  await writeFileAtomic(fn, file, bytes);
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
 * @throws {TypeError} If `options`, a path or `classNames` has the wrong type.
 * @throws {Error} If a file is missing, unreadable or not a regular file (naming it).
 * @throws {RangeError} If a file is corrupt, has the wrong rank, or the label count does not
 *   match the image count (naming both files), or a label is not below `classNames.length`.
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
  return await loadIdxFiles("loadIdx", options);
}

async function loadIdxFiles(fn: string, options: LoadIdxOptions): Promise<Dataset> {
  checkOptions(fn, options);
  const imagesFile = toPath(fn, "images", options.images);
  const labelsFile = options.labels === undefined
    ? undefined
    : toPath(fn, "labels", options.labels);
  const { classNames } = options;
  if (
    classNames !== undefined &&
    !(Array.isArray(classNames) && classNames.every((name) => typeof name === "string"))
  ) {
    throw typeError(fn, "classNames", "an array of strings", classNames);
  }
  const images = await readIdx(fn, imagesFile);
  const { shape } = images;
  if (shape.length !== 3 && shape.length !== 4) {
    throw new RangeError(
      `${fn}(): images file "${imagesFile}" must have 3 or 4 dimensions ([N, H, W] or ` +
        `[N, H, W, C]), got [${shape.join(", ")}]`,
    );
  }
  if (shape.slice(1).some((d) => d === 0)) {
    throw new RangeError(
      `${fn}(): images file "${imagesFile}" must have images of positive size, got shape ` +
        `[${shape.join(", ")}]`,
    );
  }
  let labels: Uint8Array | undefined;
  if (labelsFile !== undefined) {
    const read = await readIdx(fn, labelsFile);
    if (read.shape.length !== 1 || read.shape[0] !== shape[0]) {
      throw new RangeError(
        `${fn}(): labels file "${labelsFile}" must have shape [${shape[0]}] to match the ` +
          `${shape[0]} images of "${imagesFile}", got [${read.shape.join(", ")}]`,
      );
    }
    labels = read.data;
  }
  const size = classNames?.length;
  if (labels !== undefined && size !== undefined) {
    const bad = labels.findIndex((label) => label >= size);
    if (bad >= 0) {
      throw new RangeError(
        `${fn}(): labels file "${labelsFile}" must hold labels below classNames.length ` +
          `${size}, got ${labels[bad]} at index ${bad}`,
      );
    }
  }
  return fromArrays(images.data, [shape[0], shape[1], shape[2], shape[3] ?? 1], {
    labels,
    classNames,
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
 * @throws {TypeError} If `dir` or an option has the wrong type.
 * @throws {Error} If a file is missing (naming the names looked for) or unreadable.
 * @throws {RangeError} If `split` is not "train" or "test", a file is corrupt or the counts
 *   do not match.
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
  const fn = "loadIdxFolder";
  const folder = toPath(fn, "dir", dir);
  checkOptions(fn, options);
  const { split = "train", classNames } = options;
  checkOneOf(fn, "split", split, ["train", "test"]);
  const prefix = split === "train" ? "train" : "t10k";
  const images = await findFile(fn, folder, `${prefix}-images-idx3-ubyte`);
  const labels = await findFile(fn, folder, `${prefix}-labels-idx1-ubyte`);
  return await loadIdxFiles(fn, { images, labels, classNames });
}

async function findFile(fn: string, folder: string, base: string): Promise<string> {
  for (const name of [base, `${base}.gz`]) {
    const path = join(folder, name);
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) {
        throw new Error(`${fn}(): cannot read "${path}": ${(error as Error).message}`, {
          cause: error,
        });
      }
    }
  }
  throw new Error(
    `${fn}(): cannot find "${join(folder, base)}" or "${join(folder, base)}.gz" (regular files)`,
  );
}
