/**
 * File loaders of `@selfsup/data`: the embedded Fashion-MNIST (with its binary cache), IDX
 * files (MNIST, Fashion-MNIST, KMNIST; plain or gzip) and image folders (PNG, JPEG).
 *
 * These read the file system with `Deno.*`, so they live in this separate entry point: the
 * main entry `@selfsup/data` stays free of runtime APIs and also runs in Node and browsers.
 *
 * ```ts
 * import { loadIdx, writeIdxFile } from "@selfsup/data/files";
 * import { batches } from "@selfsup/data";
 * import assert from "node:assert/strict";
 *
 * const dir = await Deno.makeTempDir();
 * await writeIdxFile(`${dir}/x.gz`, { data: new Uint8Array(4 * 28 * 28), shape: [4, 28, 28] });
 * await writeIdxFile(`${dir}/y.gz`, { data: new Uint8Array([0, 1, 2, 3]), shape: [4] });
 * const ds = await loadIdx({ images: `${dir}/x.gz`, labels: `${dir}/y.gz` });
 * const shapes = [...batches(ds, { batchSize: 2, seed: 0 })].map((batch) => batch.shape);
 * assert.deepEqual(shapes, [[2, 28, 28, 1], [2, 28, 28, 1]]);
 * await Deno.remove(dir, { recursive: true });
 * ```
 *
 * @module
 */

export * from "./fashion_mnist.ts";
export * from "./idx_files.ts";
export * from "./image_folder.ts";
