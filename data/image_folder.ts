import { join, sep } from "node:path";
import { checkOptions, typeError } from "@selfsup/internal";
import type { Batch } from "./batches.ts";
import { type Dataset, fromArrays } from "./dataset.ts";
import { kindOf, readFileNamed, toPath } from "./_files.ts";
import { type BatchPlan, batchRanges, checkBatchOptions } from "./_batch_order.ts";
import { checkDecodeOptions, decodeChecked, type DecodeSettings } from "./_decode.ts";

const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

/** An entry of an image folder that was not used, and why (see {@linkcode listImageFolder}). */
export interface SkippedEntry {
  /** The entry's path under the root. */
  readonly path: string;
  /** Why it was skipped, e.g. "a named pipe, not a regular file". */
  readonly reason: string;
}

/** The files of an image folder, from {@linkcode listImageFolder}. */
export interface ImageFolderListing {
  /** Image paths, sorted by class then name. */
  readonly files: readonly string[];
  /** Label of each file; absent for a flat folder. */
  readonly labels?: Int32Array;
  /** Sub-folder names (sorted), `classNames[label]`; absent for a flat folder. */
  readonly classNames?: readonly string[];
  /**
   * Entries that look like images or class folders but were not used: links that resolve
   * outside the root or nowhere, and named pipes, sockets or devices.
   */
  readonly skipped: readonly SkippedEntry[];
}

/** Options of {@linkcode loadImageFolder} and {@linkcode imageFolderBatches}. */
export interface ImageFolderOptions {
  /**
   * `[height, width]` to resize every image to (bilinear). Without it all images must have
   * the same size.
   */
  size?: readonly [number, number];
  /** 1 (grey) or 3 (RGB); default: the channels of the first image. */
  channels?: 1 | 3;
  /**
   * The most pixels an image may declare, checked before it is decoded (default
   * `DEFAULT_MAX_PIXELS` of `@selfsup/data`, 2^25).
   */
  maxPixels?: number;
  /**
   * Called once for each entry that is skipped (see {@linkcode ImageFolderListing.skipped});
   * default: a `console.warn` naming the entry and the reason.
   */
  onSkip?: (entry: SkippedEntry) => void;
}

/**
 * Lists an image folder without reading the images.
 *
 * Two layouts are understood: `root/<class>/*.png|jpg|jpeg` (labelled; classes are the
 * sub-folder names in sorted order, as torchvision's `ImageFolder` does) and a flat
 * `root/*.png|jpg|jpeg` (unlabelled). Other files and hidden entries are ignored.
 *
 * **Links and special files.** Symbolic links are followed only when they resolve inside
 * the root folder, for class folders and image files alike: a linked class folder inside the
 * root is a class like any other, while a link that leads outside the root (or nowhere) is
 * skipped, so a folder cannot make the loader read files elsewhere. Named pipes, sockets and
 * devices are skipped, never opened (reading a named pipe would wait forever). Each skipped
 * entry is listed in `skipped` with its reason. The check is repeated when an image is read.
 *
 * @param root The folder.
 * @returns The files, and labels and class names when there are sub-folders.
 * @throws {TypeError} If `root` is not a path or `file:` URL.
 * @throws {Error} If the folder cannot be read, holds no image, mixes images with class
 *   folders, or has a class folder without images (naming the folder).
 *
 * @example
 * ```ts
 * import { listImageFolder } from "@selfsup/data/files";
 * import { encode } from "fast-png";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * for (const name of ["cat", "dog"]) {
 *   await Deno.mkdir(`${root}/${name}`);
 *   const png = encode({ width: 1, height: 1, data: new Uint8Array([9]), channels: 1 });
 *   await Deno.writeFile(`${root}/${name}/a.png`, png);
 * }
 * const listing = await listImageFolder(root);
 * assert.deepEqual(listing.classNames, ["cat", "dog"]);
 * assert.deepEqual([...listing.labels!], [0, 1]);
 * assert.deepEqual(listing.skipped, []);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function listImageFolder(root: string | URL): Promise<ImageFolderListing> {
  const fn = "listImageFolder";
  return (await list(fn, toPath(fn, "root", root))).listing;
}

interface Listed {
  readonly listing: ImageFolderListing;
  /** The root's real path: every file read must resolve inside it. */
  readonly realRoot: string;
}

async function list(fn: string, dir: string): Promise<Listed> {
  let realRoot: string;
  try {
    realRoot = await Deno.realPath(dir);
  } catch (error) {
    throw new Error(`${fn}(): cannot read image folder "${dir}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  const skipped: SkippedEntry[] = [];
  const { images, folders } = await readFolder(fn, dir, realRoot, skipped);
  if (folders.length === 0) {
    if (images.length === 0) {
      throw new Error(`${fn}(): image folder "${dir}" must hold PNG or JPEG images, got none`);
    }
    return { listing: { files: images.map((name) => join(dir, name)), skipped }, realRoot };
  }
  if (images.length > 0) {
    throw new Error(
      `${fn}(): image folder "${dir}" must use one layout, got images ("${images[0]}") ` +
        `beside class folders ("${folders[0]}")`,
    );
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (const [label, folder] of folders.entries()) {
    const inner = await readFolder(fn, join(dir, folder), realRoot, skipped);
    if (inner.images.length === 0) {
      throw new Error(
        `${fn}(): class folder "${join(dir, folder)}" must hold PNG or JPEG images, got none`,
      );
    }
    for (const name of inner.images) {
      files.push(join(dir, folder, name));
      labels.push(label);
    }
  }
  return {
    listing: { files, labels: Int32Array.from(labels), classNames: folders, skipped },
    realRoot,
  };
}

/**
 * Loads a whole image folder into memory as a {@linkcode Dataset}. For folders too large
 * for memory, use {@linkcode imageFolderBatches}.
 *
 * Images are decoded as `decodeImage` of `@selfsup/data` does (PNG and JPEG, with its pixel
 * limit and decompression caps); links and special files follow the policy of
 * {@linkcode listImageFolder}.
 *
 * @param root The folder (layouts as in {@linkcode listImageFolder}).
 * @param options Size and channels of the result, the pixel limit, what to do on a skip.
 * @returns All images, with labels and class names for a class-folder layout.
 * @throws {TypeError} If `root` or an option has the wrong type.
 * @throws {Error} For the folder errors of {@linkcode listImageFolder} or an unreadable file.
 * @throws {RangeError} If an option is out of range, an image cannot be decoded or declares
 *   more than `maxPixels` pixels, or has a size different from the first image while no
 *   `size` is given (naming the file).
 *
 * @example A flat folder of two colour PNGs, resized to 4x4 grey
 * ```ts
 * import { loadImageFolder } from "@selfsup/data/files";
 * import { encode } from "fast-png";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * const data = new Uint8Array(8 * 8 * 3).fill(100);
 * await Deno.writeFile(`${root}/a.png`, encode({ width: 8, height: 8, data, channels: 3 }));
 * await Deno.writeFile(`${root}/b.png`, encode({ width: 8, height: 8, data, channels: 3 }));
 * const ds = await loadImageFolder(root, { size: [4, 4], channels: 1 });
 * assert.deepEqual(ds.shape, [2, 4, 4, 1]);
 * assert.equal(ds.labels, undefined);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function loadImageFolder(
  root: string | URL,
  options: ImageFolderOptions = {},
): Promise<Dataset> {
  const fn = "loadImageFolder";
  const dir = toPath(fn, "root", root);
  const settings = checkFolderOptions(fn, options);
  const listed = await list(fn, dir);
  report(listed.listing, settings.onSkip);
  const indices = Int32Array.from(listed.listing.files, (_, i) => i);
  const batch = await decodeFiles(fn, listed, indices, settings);
  return fromArrays(batch.images, batch.shape, {
    labels: listed.listing.labels,
    classNames: listed.listing.classNames,
  });
}

/** Options of {@linkcode imageFolderBatches}. */
export interface ImageFolderBatchesOptions extends ImageFolderOptions {
  /** Images per batch, a positive integer. */
  batchSize: number;
  /** Shuffle the order (default true). */
  shuffle?: boolean;
  /** Integer seed of the shuffle; required when shuffling. */
  seed?: number;
  /** Epoch number, an integer in [0, 2^32 - 1], mixed into the seed (default 0). */
  epoch?: number;
  /** Skip the last, smaller batch (default false). */
  dropLast?: boolean;
}

/**
 * Streams an image folder in batches: only the file list and one batch of pixels are held
 * in memory at a time, so folders of any size work. Each image is read and decoded when its
 * batch is requested. The order is seeded as `batches()` orders a dataset; `indices` are
 * positions in the sorted listing of {@linkcode listImageFolder}.
 *
 * The options are checked when `imageFolderBatches()` is called; the folder is listed at the
 * first `next()`.
 *
 * @param root The folder (layouts as in {@linkcode listImageFolder}).
 * @param options Batch size, shuffling, size, channels and the pixel limit.
 * @returns An async generator of batches.
 * @throws {TypeError} If `root` or an option has the wrong type, or `seed` is missing while
 *   `shuffle` is true.
 * @throws {RangeError} If `batchSize` is not a positive integer, `seed` not a safe integer or
 *   `epoch` out of range; for the file errors see {@linkcode loadImageFolder}.
 *
 * @example
 * ```ts
 * import { imageFolderBatches } from "@selfsup/data/files";
 * import { encode } from "fast-png";
 * import assert from "node:assert/strict";
 *
 * const root = await Deno.makeTempDir();
 * for (let i = 0; i < 5; i++) {
 *   const png = encode({ width: 2, height: 2, data: new Uint8Array(4).fill(i), channels: 1 });
 *   await Deno.writeFile(`${root}/${i}.png`, png);
 * }
 * const sizes = [];
 * for await (const batch of imageFolderBatches(root, { batchSize: 2, seed: 1 })) {
 *   sizes.push(batch.shape[0]);
 * }
 * assert.deepEqual(sizes, [2, 2, 1]);
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export function imageFolderBatches(
  root: string | URL,
  options: ImageFolderBatchesOptions,
): AsyncGenerator<Batch> {
  const fn = "imageFolderBatches";
  const dir = toPath(fn, "root", root);
  const plan = checkBatchOptions(fn, options);
  const settings = checkFolderOptions(fn, options);
  return stream(fn, dir, plan, settings);
}

async function* stream(
  fn: string,
  dir: string,
  plan: BatchPlan,
  settings: FolderSettings,
): AsyncGenerator<Batch> {
  const listed = await list(fn, dir);
  report(listed.listing, settings.onSkip);
  const n = listed.listing.files.length;
  const order = plan.order(n);
  const first: FirstImage = {};
  for (const [start, end] of batchRanges(n, plan)) {
    yield await decodeFiles(fn, listed, order.slice(start, end), settings, first);
  }
}

interface FolderSettings extends DecodeSettings {
  readonly onSkip: (entry: SkippedEntry) => void;
}

function checkFolderOptions(fn: string, options: ImageFolderOptions): FolderSettings {
  checkOptions(fn, options);
  const decode = checkDecodeOptions(fn, options);
  const onSkip = options.onSkip ??
    ((entry: SkippedEntry) => console.warn(`${fn}(): skipped "${entry.path}": ${entry.reason}`));
  if (typeof onSkip !== "function") throw typeError(fn, "onSkip", "a function", onSkip);
  return { ...decode, onSkip };
}

function report(listing: ImageFolderListing, onSkip: (entry: SkippedEntry) => void): void {
  for (const entry of listing.skipped) onSkip(entry);
}

// The first decoded image fixes the size and channels of all later ones (of this call and,
// when streaming, of every later batch), so that the batches of one pass share one shape.
interface FirstImage {
  file?: string;
  height?: number;
  width?: number;
  channels?: 1 | 3;
}

async function decodeFiles(
  fn: string,
  listed: Listed,
  indices: Int32Array,
  settings: DecodeSettings,
  first: FirstImage = {},
): Promise<Batch> {
  const { listing, realRoot } = listed;
  const pixels = () => first.height! * first.width! * first.channels!;
  let images: Uint8Array | undefined;
  for (let i = 0; i < indices.length; i++) {
    const file = listing.files[indices[i]];
    await checkInsideRoot(fn, file, realRoot);
    const bytes = await readFileNamed(fn, file, "image");
    // Only an explicit size resizes; otherwise every image must match the first one.
    const image = decodeChecked(fn, `image "${file}"`, bytes, {
      ...settings,
      channels: first.channels ?? settings.channels,
    });
    if (first.file === undefined) {
      Object.assign(first, {
        file,
        height: image.height,
        width: image.width,
        channels: image.channels,
      });
    } else if (image.height !== first.height || image.width !== first.width) {
      throw new RangeError(
        `${fn}(): image "${file}" must be ${first.height}x${first.width} like ` +
          `"${first.file}", got ${image.height}x${image.width}: pass the size option to ` +
          `resize them all`,
      );
    }
    images ??= new Uint8Array(indices.length * pixels());
    images.set(image.data, i * pixels());
  }
  const labels = listing.labels && Int32Array.from(indices, (i) => listing.labels![i]);
  return {
    images: images ?? new Uint8Array(0),
    shape: [indices.length, first.height ?? 1, first.width ?? 1, first.channels ?? 1],
    labels,
    classNames: listing.classNames,
    indices,
  };
}

function isInside(path: string, realRoot: string): boolean {
  return path === realRoot || path.startsWith(realRoot.endsWith(sep) ? realRoot : realRoot + sep);
}

// The listing's policy again at read time: the folder may have changed since it was listed.
async function checkInsideRoot(fn: string, file: string, realRoot: string): Promise<void> {
  let real: string;
  try {
    real = await Deno.realPath(file);
  } catch (error) {
    throw new Error(`${fn}(): cannot read image "${file}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!isInside(real, realRoot)) {
    throw new Error(
      `${fn}(): image "${file}" must resolve inside the folder "${realRoot}", got "${real}"`,
    );
  }
}

async function readFolder(
  fn: string,
  dir: string,
  realRoot: string,
  skipped: SkippedEntry[],
): Promise<{ images: string[]; folders: string[] }> {
  const images: string[] = [];
  const folders: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".")) continue;
      const path = join(dir, entry.name);
      const isImageName = IMAGE_EXTENSIONS.test(entry.name);
      let { isFile, isDirectory } = entry;
      let kind = "";
      if (entry.isSymlink) {
        const target = await resolveLink(path, realRoot);
        if ("reason" in target) {
          // Reported only when the entry would have been used: a folder or an image name.
          if (isImageName || target.isDirectory) skipped.push({ path, reason: target.reason });
          continue;
        }
        ({ isFile, isDirectory, kind } = target);
      } else if (!isFile && !isDirectory) {
        kind = kindOf(await Deno.lstat(path));
      }
      if (isDirectory) folders.push(entry.name);
      else if (!isImageName) continue;
      else if (isFile) images.push(entry.name);
      else skipped.push({ path, reason: `a ${kind}, not a regular file` });
    }
  } catch (error) {
    throw new Error(`${fn}(): cannot read image folder "${dir}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { images: images.sort(byName), folders: folders.sort(byName) };
}

interface LinkTarget {
  readonly isFile: boolean;
  readonly isDirectory: boolean;
  readonly kind: string;
}

interface SkippedLink {
  readonly isDirectory: boolean;
  readonly reason: string;
}

// What a link leads to when it resolves inside the root, else why it is skipped.
async function resolveLink(path: string, realRoot: string): Promise<LinkTarget | SkippedLink> {
  let real: string;
  let info: Deno.FileInfo;
  try {
    real = await Deno.realPath(path);
    info = await Deno.stat(real);
  } catch {
    return {
      isDirectory: false,
      reason: "a symbolic link that resolves nowhere (broken or a loop)",
    };
  }
  if (!isInside(real, realRoot)) {
    return {
      isDirectory: info.isDirectory,
      reason: `a symbolic link to "${real}", outside the root`,
    };
  }
  return { isFile: info.isFile, isDirectory: info.isDirectory, kind: kindOf(info) };
}
