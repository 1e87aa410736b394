import { join } from "node:path";
import type { Batch } from "./batches.ts";
import { type Dataset, fromArrays } from "./dataset.ts";
import { decodeImage } from "./decode_image.ts";
import { readFileNamed, toPath } from "./_files.ts";
import { checkSeed, mixSeed, permutation } from "./_random.ts";

const IMAGE_EXTENSIONS = /\.(png|jpe?g)$/i;

/** The files of an image folder, from {@linkcode listImageFolder}. */
export interface ImageFolderListing {
  /** Image paths, sorted by class then name. */
  readonly files: readonly string[];
  /** Label of each file; absent for a flat folder. */
  readonly labels?: Int32Array;
  /** Sub-folder names (sorted), `classNames[label]`; absent for a flat folder. */
  readonly classNames?: readonly string[];
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
}

/**
 * Lists an image folder without reading the images.
 *
 * Two layouts are understood: `root/<class>/*.png|jpg|jpeg` (labelled; classes are the
 * sub-folder names in sorted order, as torchvision's `ImageFolder` does) and a flat
 * `root/*.png|jpg|jpeg` (unlabelled). Other files and hidden entries are ignored.
 *
 * @param root The folder.
 * @returns The files, and labels and class names when there are sub-folders.
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
 * await Deno.remove(root, { recursive: true });
 * ```
 */
export async function listImageFolder(root: string | URL): Promise<ImageFolderListing> {
  const dir = toPath(root);
  const { images, folders } = await readFolder(dir);
  if (folders.length === 0) {
    if (images.length === 0) throw new Error(`image folder "${dir}" holds no PNG or JPEG image`);
    return { files: images.map((name) => join(dir, name)) };
  }
  if (images.length > 0) {
    throw new Error(
      `image folder "${dir}" mixes images ("${images[0]}") with class folders ` +
        `("${folders[0]}"): use one layout`,
    );
  }
  const files: string[] = [];
  const labels: number[] = [];
  for (const [label, folder] of folders.entries()) {
    const inner = await readFolder(join(dir, folder));
    if (inner.images.length === 0) {
      throw new Error(`class folder "${join(dir, folder)}" holds no PNG or JPEG image`);
    }
    for (const name of inner.images) {
      files.push(join(dir, folder, name));
      labels.push(label);
    }
  }
  return { files, labels: Int32Array.from(labels), classNames: folders };
}

/**
 * Loads a whole image folder into memory as a {@linkcode Dataset}. For folders too large
 * for memory, use {@linkcode imageFolderBatches}.
 *
 * Images are decoded with {@linkcode decodeImage} (PNG and JPEG).
 *
 * @param root The folder (layouts as in {@linkcode listImageFolder}).
 * @param options Size and channels of the result.
 * @returns All images, with labels and class names for a class-folder layout.
 * @throws {Error} For the folder errors of {@linkcode listImageFolder} or an unreadable file.
 * @throws {RangeError} If an image cannot be decoded, or has a size different from the first
 *   image while no `size` is given (naming the file).
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
  const listing = await listImageFolder(root);
  const indices = Int32Array.from(listing.files, (_, i) => i);
  const batch = await decodeFiles(listing, indices, options);
  return fromArrays(batch.images, batch.shape, {
    labels: listing.labels,
    classNames: listing.classNames,
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
  /** Epoch number, mixed into the seed (default 0). */
  epoch?: number;
  /** Skip the last, smaller batch (default false). */
  dropLast?: boolean;
}

/**
 * Streams an image folder in batches: only the file list and one batch of pixels are held
 * in memory at a time, so folders of any size work. Each image is read and decoded when its
 * batch is requested. The order is seeded like `batches()`; `indices` are positions in the
 * sorted listing of {@linkcode listImageFolder}.
 *
 * @param root The folder (layouts as in {@linkcode listImageFolder}).
 * @param options Batch size, shuffling, size and channels.
 * @returns An async generator of batches.
 * @throws {RangeError} If `batchSize` is not a positive integer or a seed is missing or not
 *   an integer; for the file errors see {@linkcode loadImageFolder}.
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
export async function* imageFolderBatches(
  root: string | URL,
  options: ImageFolderBatchesOptions,
): AsyncGenerator<Batch> {
  const { batchSize, shuffle = true, seed, epoch = 0, dropLast = false } = options;
  if (!Number.isInteger(batchSize) || batchSize <= 0) {
    throw new RangeError(`batchSize must be a positive integer, got ${batchSize}`);
  }
  checkSeed(epoch, "epoch");
  if (shuffle) {
    if (seed === undefined) {
      throw new RangeError("seed must be given when shuffle is true, got undefined");
    }
    checkSeed(seed);
  }
  const listing = await listImageFolder(root);
  const n = listing.files.length;
  const order = shuffle
    ? permutation(n, mixSeed(seed!, epoch))
    : Int32Array.from(listing.files, (_, i) => i);
  const first: FirstImage = {};
  const end = dropLast ? n - (n % batchSize) : n;
  for (let start = 0; start < end; start += batchSize) {
    const indices = order.slice(start, Math.min(start + batchSize, end));
    yield await decodeFiles(listing, indices, options, first);
  }
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
  listing: ImageFolderListing,
  indices: Int32Array,
  options: ImageFolderOptions,
  first: FirstImage = {},
): Promise<Batch> {
  const pixels = () => first.height! * first.width! * first.channels!;
  let images: Uint8Array | undefined;
  for (let i = 0; i < indices.length; i++) {
    const file = listing.files[indices[i]];
    const bytes = await readFileNamed(file, "image");
    // Only an explicit size resizes; otherwise every image must match the first one.
    const image = decodeImage(bytes, {
      size: options.size,
      channels: first.channels ?? options.channels,
      name: `image "${file}"`,
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
        `image "${file}" is ${image.height}x${image.width} but "${first.file}" is ` +
          `${first.height}x${first.width}: pass the size option to resize them all`,
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

async function readFolder(dir: string): Promise<{ images: string[]; folders: string[] }> {
  const images: string[] = [];
  const folders: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(".")) continue;
      if (entry.isDirectory) folders.push(entry.name);
      else if (IMAGE_EXTENSIONS.test(entry.name)) images.push(entry.name);
    }
  } catch (error) {
    throw new Error(`cannot read image folder "${dir}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  const byName = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return { images: images.sort(byName), folders: folders.sort(byName) };
}
