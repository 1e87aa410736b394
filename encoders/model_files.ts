/**
 * Saves models to folders and loads them back, from Deno, in the standard TensorFlow.js layers
 * format (`model.json` + `weights.bin`), without tfjs-node: a saved model loads unchanged with
 * plain `tf.loadLayersModel` in a browser or Node (for example from
 * `http://.../model.json`).
 *
 * This is the one file of `@selfsup/encoders` that touches the runtime (`Deno.*` file system
 * calls). It is a separate entry point, `@selfsup/encoders/model_files`, so the model builders
 * in `mod.ts` stay runtime-agnostic and run in browsers and Node; tfjs's own `file://` IO
 * needs tfjs-node, which we do not require.
 *
 * Works for any `tf.LayersModel` (encoders, heads, a user's own Keras-style model). The
 * encoders' strided convolutions, which take their padding themselves (class
 * `SelfsupPaddedConv2D`), are written as the stock pair they equal, a `ZeroPadding2D` layer
 * `<name>_pad` feeding a "valid" `Conv2D` `<name>`, and loading merges such a pair back.
 *
 * @example Round trip through a temporary folder
 * ```ts
 * import { smallConvNet } from "@selfsup/encoders";
 * import { loadModel, saveModel } from "@selfsup/encoders/model_files";
 * import assert from "node:assert/strict";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 0 });
 * const parent = await Deno.makeTempDir();
 * await saveModel(encoder, `${parent}/encoder`);
 * const loaded = await loadModel(`${parent}/encoder`);
 * assert.deepEqual(loaded.outputs[0].shape, [null, 4]);
 * encoder.dispose();
 * loaded.dispose();
 * await Deno.remove(parent, { recursive: true });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";
import { checkBoolean, checkOptions, describe, typeError } from "@selfsup/internal";
import { recoverFolder, writeFolder } from "@selfsup/internal/atomic_folder";
import { modelFromTopology } from "./_model_from_topology.ts";
import { fromStockTopology, toStockTopology } from "./_stock_topology.ts";

/**
 * Name of the topology + manifest file inside a model folder.
 *
 * @example
 * ```ts
 * import { MODEL_JSON } from "@selfsup/encoders/model_files";
 * import assert from "node:assert/strict";
 *
 * assert.equal(MODEL_JSON, "model.json");
 * ```
 */
export const MODEL_JSON = "model.json";

/**
 * Name of the weights file {@linkcode saveModel} writes.
 *
 * @example
 * ```ts
 * import { WEIGHTS_BIN } from "@selfsup/encoders/model_files";
 * import assert from "node:assert/strict";
 *
 * assert.equal(WEIGHTS_BIN, "weights.bin");
 * ```
 */
export const WEIGHTS_BIN = "weights.bin";

/** Options of {@linkcode saveModel}. */
export interface SaveModelOptions {
  /**
   * Replace the model saved at `dir` before. Default false: anything at `dir` is an error.
   * Only a folder that holds a saved model and nothing else (`model.json` and the weight
   * files its manifest names), or an empty folder, is replaced; anything else is refused.
   */
  overwrite?: boolean;
}

/**
 * Saves a model to the folder `dir` in the TensorFlow.js layers format: `model.json`
 * (topology, format "layers-model", and a manifest with one weights group) and
 * `weights.bin` (all weights, in manifest order).
 *
 * The save is crash-safe. Both files are written and flushed in a hidden temporary folder
 * next to `dir` (`.<name>.tmp-*`, same parent, so on the same file system), which is renamed
 * to `dir` once complete. Replacing (`overwrite`) takes two renames: the old folder moves
 * aside, the new one in, then the old one is removed. If the process dies at any point, `dir`
 * holds the complete old model or the complete new one once the next `saveModel` or
 * {@linkcode loadModel} of that path has run: they finish or undo the interrupted save, and the
 * next save removes the hidden folders left over. On an error (rather than a crash), `dir` is
 * left as it was and the temporary folders are removed.
 *
 * One process at a time may save to a path; loading it while a save runs is fine.
 *
 * @param model Any `tf.LayersModel`; it is not modified or disposed.
 * @param dir Folder to create (or to replace, with `overwrite`); its parent must exist.
 * @param options `overwrite` (default false).
 * @returns Resolves once the folder is in place.
 * @throws {TypeError} If `model` is not a `tf.LayersModel`, `dir` not a non-empty string, or
 *   `options` not an object with a boolean `overwrite`.
 * @throws {Error} If the parent of `dir` is missing or not a folder; if something is at `dir`
 *   and `overwrite` is not set; or, with `overwrite`, if what is at `dir` is not a saved model
 *   folder (the message lists what is there). File system errors pass through once the
 *   temporary folders are removed.
 *
 * @example Save twice to one path
 * ```ts
 * import { smallConvNet } from "@selfsup/encoders";
 * import { saveModel } from "@selfsup/encoders/model_files";
 * import assert from "node:assert/strict";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 3], filters: [4, 8], seed: 0 });
 * const parent = await Deno.makeTempDir();
 * await saveModel(encoder, `${parent}/encoder`);
 * await assert.rejects(saveModel(encoder, `${parent}/encoder`)); // already there
 * await saveModel(encoder, `${parent}/encoder`, { overwrite: true }); // a script run again
 * const files = [...Deno.readDirSync(`${parent}/encoder`)].map((e) => e.name).sort();
 * assert.deepEqual(files, ["model.json", "weights.bin"]);
 * assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["encoder"]);
 * encoder.dispose();
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<void> {
  const fn = "saveModel";
  if (!(model instanceof tf.LayersModel)) throw typeError(fn, "model", "a tf.LayersModel", model);
  if (typeof dir !== "string" || dir.length === 0) {
    throw typeError(fn, "dir", "a non-empty string", dir);
  }
  checkOptions(fn, options);
  const overwrite = options.overwrite === undefined
    ? false
    : checkBoolean(fn, "options.overwrite", options.overwrite);
  const target = path.resolve(dir);
  await checkParent(fn, dir, path.dirname(target));

  // What is there once an interrupted save is finished or undone decides whether we may
  // replace it (writeFolder would replace anything).
  await recoverFolder(target, { clean: true });
  const there = await whatIsAt(target);
  if (there.kind !== "none" && !overwrite) {
    throw new Error(
      `${fn}(): dir must be a path where nothing exists yet (pass { overwrite: true } to ` +
        `replace a saved model), got ${describe(dir)}, ${there.what}`,
    );
  }
  if (there.kind === "other") {
    throw new Error(
      `${fn}(): dir must be a new path, or a folder holding only a saved model (model.json ` +
        `and its weight files) to replace, got ${describe(dir)}, ${there.what}`,
    );
  }

  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(tf.io.withSaveHandler((a) => {
    artifacts = a;
    return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) });
  }));
  const { modelTopology, weightSpecs = [], weightData } = artifacts!;
  const weights = new Uint8Array(
    weightData === undefined ? new ArrayBuffer(0) : tf.io.CompositeArrayBuffer.join(weightData),
  );
  const modelJson: tf.io.ModelJSON = {
    format: "layers-model",
    generatedBy: artifacts!.generatedBy,
    convertedBy: artifacts!.convertedBy ?? null,
    modelTopology: toStockTopology(modelTopology as object),
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: weightSpecs }],
  };
  await writeFolder(target, [
    { name: WEIGHTS_BIN, bytes: weights },
    { name: MODEL_JSON, bytes: new TextEncoder().encode(JSON.stringify(modelJson)) },
  ]);
}

/**
 * Loads a model saved in the TensorFlow.js layers format from the folder `dir`: the files
 * {@linkcode saveModel} writes, or any layers-model folder whose weight files sit inside it
 * (several weights groups and shards are fine).
 *
 * When `dir` is missing because a save was interrupted between its two renames, the complete
 * model that save left is moved into place first (see {@linkcode saveModel}).
 *
 * Before anything is built, `model.json` is checked: every weight path must be a relative path
 * inside `dir` (no `..` segment, no absolute path, no URL, no backslash), and after resolving
 * symbolic links it must still be a regular file inside `dir`. The bytes of each group's files
 * must add up exactly to what the manifest's weight specs describe, so a truncated, padded or
 * mismatched weights file is rejected with an error naming it. The model is then built layer
 * by layer, and a layer whose weights would take it past the values the manifest holds is
 * refused before it is allocated, so a small `model.json` cannot make it allocate gigabytes.
 * Stateful recurrent layers (whose states the topology sizes) are refused.
 *
 * @param dir Folder holding `model.json` and the weight files.
 * @returns The model; the caller disposes it.
 * @throws {TypeError} If `dir` is not a non-empty string.
 * @throws {Error} If the folder or a file is missing, `dir` is not a folder, `model.json` is
 *   not valid JSON or not a layers model, a weight path escapes the folder, the weight bytes do
 *   not match the manifest, the topology declares more weights than the manifest, or the
 *   weights do not fit the model's layers; the message names the file. Nothing is left
 *   allocated when it throws.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { resNet18 } from "@selfsup/encoders";
 * import { loadModel, saveModel } from "@selfsup/encoders/model_files";
 * import assert from "node:assert/strict";
 *
 * const encoder = resNet18({ inputShape: [8, 8, 3], widthMultiplier: 0.0625, seed: 1 });
 * const parent = await Deno.makeTempDir();
 * await saveModel(encoder, `${parent}/resnet`);
 * const loaded = await loadModel(`${parent}/resnet`);
 * const x = tf.ones([1, 8, 8, 3]);
 * const [a, b] = [encoder.predict(x), loaded.predict(x)] as tf.Tensor[];
 * assert.deepEqual(b.dataSync(), a.dataSync());
 * tf.dispose([x, a, b]);
 * encoder.dispose();
 * loaded.dispose();
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const fn = "loadModel";
  const where = `${fn}()`;
  if (typeof dir !== "string" || dir.length === 0) {
    throw typeError(fn, "dir", "a non-empty string", dir);
  }
  try {
    await recoverFolder(dir);
  } catch {
    // Nothing to recover from, or a path that cannot hold a model: said just below.
  }
  let root: string;
  try {
    root = await Deno.realPath(dir);
  } catch (error) {
    throw new Error(`${where}: cannot open the model folder ${dir}: ${message(error)}`, {
      cause: error,
    });
  }
  if (!(await Deno.stat(root)).isDirectory) {
    throw new Error(
      `${where}: dir must be a folder holding ${MODEL_JSON}, got ${describe(dir)}, a file`,
    );
  }
  const jsonPath = path.join(root, MODEL_JSON);
  const json = parseModelJson(await readInside(root, MODEL_JSON, where), jsonPath, where);

  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
  let values = 0;
  for (const group of json.weightsManifest) {
    const files: Uint8Array[] = [];
    for (const p of group.paths) files.push(await readInside(root, p, where));
    const actual = files.reduce((n, f) => n + f.byteLength, 0);
    const expected = group.weights.reduce((n, s) => n + specBytes(s, jsonPath, where), 0);
    if (actual !== expected) {
      throw new Error(
        `${where}: weights file${group.paths.length === 1 ? "" : "s"} ${
          group.paths.map((p) => path.join(root, p)).join(", ")
        } hold${group.paths.length === 1 ? "s" : ""} ${actual} bytes, but ${jsonPath} ` +
          `describes ${expected} bytes for ${group.weights.length} weights ` +
          `(truncated or mismatched weights file)`,
      );
    }
    weightSpecs.push(...group.weights);
    buffers.push(...files);
    values += group.weights.reduce((n, s) => n + s.shape.reduce((m, d) => m * d, 1), 0);
  }
  const weightData = new Uint8Array(buffers.reduce((n, b) => n + b.byteLength, 0));
  let offset = 0;
  for (const b of buffers) {
    weightData.set(b, offset);
    offset += b.byteLength;
  }
  // What tf.loadLayersModel does, in two steps, so that a model whose weights do not fit its
  // topology is disposed instead of leaking its variables.
  let model: tf.LayersModel;
  try {
    model = await modelFromTopology(
      fromStockTopology(json.modelTopology as object),
      values,
      jsonPath,
    );
  } catch (error) {
    throw new Error(`${where}: cannot build the model of ${jsonPath}: ${message(error)}`, {
      cause: error,
    });
  }
  const weights = tf.io.decodeWeights(weightData.buffer, weightSpecs);
  try {
    model.loadWeights(weights, true);
  } catch (error) {
    model.dispose();
    throw new Error(
      `${where}: the weights in ${jsonPath} do not fit its model: ${message(error)}`,
      { cause: error },
    );
  } finally {
    tf.dispose(Object.values(weights));
  }
  return model;
}

/** Bytes per element of each weight dtype (and quantisation dtype) the layers format uses. */
const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  complex64: 8,
  uint8: 1,
  uint16: 2,
  float16: 2,
};

function specBytes(spec: tf.io.WeightsManifestEntry, file: string, where: string): number {
  const dtype = spec.quantization?.dtype ?? spec.dtype;
  const bytes = DTYPE_BYTES[dtype];
  if (bytes === undefined) {
    throw new Error(`${where}: ${file}: weight "${spec.name}" has unsupported dtype ${dtype}`);
  }
  return spec.shape.reduce((n, d) => n * d, 1) * bytes;
}

/** Checks the parts of model.json this module relies on; the topology is left to tfjs. */
function parseModelJson(bytes: Uint8Array, file: string, where: string): tf.io.ModelJSON {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes));
  } catch (error) {
    throw new Error(`${where}: ${file} is not valid JSON: ${message(error)}`, { cause: error });
  }
  const bad = (what: string) =>
    new Error(`${where}: ${file} is not a TensorFlow.js layers model: ${what}`);
  if (typeof json !== "object" || json === null) throw bad("not a JSON object");
  const { modelTopology, weightsManifest } = json as Record<string, unknown>;
  if (typeof modelTopology !== "object" || modelTopology === null) {
    throw bad("modelTopology is missing");
  }
  if (!Array.isArray(weightsManifest)) throw bad("weightsManifest is not an array");
  for (const group of weightsManifest) {
    if (
      typeof group !== "object" || group === null || !Array.isArray(group.paths) ||
      !group.paths.every((p: unknown) => typeof p === "string") || !Array.isArray(group.weights)
    ) {
      throw bad("a weightsManifest group lacks string paths or weights");
    }
    for (const spec of group.weights) {
      if (
        typeof spec !== "object" || spec === null || typeof spec.name !== "string" ||
        !Array.isArray(spec.shape) ||
        !spec.shape.every((d: unknown) => Number.isSafeInteger(d) && (d as number) >= 0) ||
        typeof spec.dtype !== "string"
      ) {
        throw bad(`weight spec ${JSON.stringify(spec)} needs a name, a shape and a dtype`);
      }
    }
  }
  return json as tf.io.ModelJSON;
}

/**
 * Reads `relative` from inside `root`, refusing any path that is absolute, a URL, has a `..`
 * segment or a backslash, or resolves (through symbolic links) outside `root` or to something
 * other than a regular file.
 */
async function readInside(root: string, relative: string, where: string): Promise<Uint8Array> {
  const segments = relative.split("/");
  if (
    relative.length === 0 || path.isAbsolute(relative) || path.win32.isAbsolute(relative) ||
    /^[a-zA-Z][a-zA-Z0-9+.-]*:/.test(relative) || relative.includes("\\") ||
    segments.includes("..")
  ) {
    throw new Error(
      `${where}: weight path ${JSON.stringify(relative)} in ${path.join(root, MODEL_JSON)} ` +
        `must be a relative path inside the model folder ${root}`,
    );
  }
  const file = path.join(root, relative);
  let real: string;
  try {
    real = await Deno.realPath(file);
  } catch (error) {
    throw new Error(`${where}: cannot open ${file}: ${message(error)}`, { cause: error });
  }
  if (!real.startsWith(root + path.sep)) {
    throw new Error(
      `${where}: ${file} resolves to ${real}, outside the model folder ${root}`,
    );
  }
  if (!(await Deno.stat(real)).isFile) {
    throw new Error(`${where}: ${file} is not a regular file`);
  }
  return await Deno.readFile(real);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Checks that the parent of `dir` is an existing folder, naming the part of the path that is
 * missing or is a file.
 */
async function checkParent(fn: string, dir: string, parent: string): Promise<void> {
  const refuse = (problem: string) =>
    new Error(`${fn}(): dir must be inside an existing folder, got ${describe(dir)} (${problem})`);
  let child = parent;
  for (let p = parent;; p = path.dirname(p)) {
    try {
      const info = await Deno.stat(p);
      if (!info.isDirectory) throw refuse(`${p} is a file, not a folder`);
      if (p === parent) return;
      throw refuse(`${child} does not exist`);
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory)) {
        throw error;
      }
    }
    if (path.dirname(p) === p) throw refuse(`${p} does not exist`);
    child = p;
  }
}

/** What {@linkcode whatIsAt} found: nothing, a folder we may replace, or something else. */
type There = { kind: "none" } | { kind: "model" | "other"; what: string };

/**
 * Describes what is at `target` for saveModel: a folder we may replace (empty, or holding
 * only a saved model: `model.json`, which parses as a layers model, and weight files its
 * manifest names, all regular files), or anything else, with a description that names it.
 */
async function whatIsAt(target: string): Promise<There> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(target);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return { kind: "none" };
    throw error;
  }
  if (info.isSymlink) return { kind: "other", what: "a symbolic link" };
  if (info.isFile) return { kind: "other", what: "a file" };
  if (!info.isDirectory) return { kind: "other", what: "neither a file nor a folder" };
  const entries = await Array.fromAsync(Deno.readDir(target));
  if (entries.length === 0) return { kind: "model", what: "an empty folder" };
  const names = entries.map((e) => e.name).sort();
  const listed = names.length <= 8
    ? names.join(", ")
    : `${names.slice(0, 8).join(", ")} and ${names.length - 8} more`;
  const other = (why: string): There => ({
    kind: "other",
    what: `a folder holding ${listed} (${why})`,
  });
  if (!names.includes(MODEL_JSON)) return other(`no ${MODEL_JSON}`);
  const notFiles = entries.filter((e) => !e.isFile).map((e) => e.name).sort();
  if (notFiles.length > 0) return other(`not regular files: ${notFiles.join(", ")}`);
  let weightFiles: Set<string>;
  try {
    const json = parseModelJson(await Deno.readFile(path.join(target, MODEL_JSON)), "", "");
    weightFiles = new Set(json.weightsManifest.flatMap((group) => group.paths));
  } catch {
    return other(`its ${MODEL_JSON} is not a TensorFlow.js layers model`);
  }
  const strangers = names.filter((n) => n !== MODEL_JSON && !weightFiles.has(n));
  if (strangers.length > 0) {
    return other(`not files of the saved model: ${strangers.join(", ")}`);
  }
  return { kind: "model", what: "a saved model" };
}
