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
 * Works for any `tf.LayersModel` (encoders, heads, a user's own Keras-style model).
 *
 * @example Round trip through a temporary folder
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { smallConvNet } from "@selfsup/encoders";
 * import { loadModel, saveModel } from "@selfsup/encoders/model_files";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 1], filters: [4], seed: 0 });
 * const parent = await Deno.makeTempDir();
 * await saveModel(encoder, `${parent}/encoder`);
 * const loaded = await loadModel(`${parent}/encoder`);
 * console.log(loaded.outputs[0].shape); // [null, 4]
 * encoder.dispose();
 * loaded.dispose();
 * await Deno.remove(parent, { recursive: true });
 * ```
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as path from "node:path";

/** Name of the topology + manifest file inside a model folder. */
export const MODEL_JSON = "model.json";
/** Name of the weights file {@linkcode saveModel} writes. */
export const WEIGHTS_BIN = "weights.bin";

/** Options of {@linkcode saveModel}. */
export interface SaveModelOptions {
  /** Replace `dir` if it already exists. Default false: an existing `dir` is an error. */
  overwrite?: boolean;
}

/**
 * Saves a model to the folder `dir` in the TensorFlow.js layers format: `model.json`
 * (topology, format "layers-model", and a manifest with one weights group) and
 * `weights.bin` (all weights, in manifest order).
 *
 * The write is atomic: both files are written and flushed in a temporary folder next to
 * `dir` (same parent, so on the same file system), which is then renamed to `dir`. On any
 * failure the temporary folder is removed and `dir` is left as it was. With `overwrite`, an
 * existing `dir` is first renamed aside and removed only once the new folder is in place
 * (restored if that rename fails).
 *
 * @param model Any `tf.LayersModel`; it is not modified or disposed.
 * @param dir Folder to create; its parent must exist.
 * @param options `overwrite` (default false).
 * @returns Resolves once the folder is in place.
 * @throws {TypeError} If `model` is not a `tf.LayersModel` or `dir` not a non-empty string.
 * @throws {Error} If `dir` exists and `overwrite` is not set, or its parent does not exist;
 *   file system errors pass through after the temporary folder has been removed.
 *
 * @example
 * ```ts
 * import { smallConvNet } from "@selfsup/encoders";
 * import { saveModel } from "@selfsup/encoders/model_files";
 *
 * const encoder = smallConvNet({ inputShape: [8, 8, 3], filters: [4, 8], seed: 0 });
 * const parent = await Deno.makeTempDir();
 * await saveModel(encoder, `${parent}/encoder`);
 * console.log([...Deno.readDirSync(`${parent}/encoder`)].map((e) => e.name).sort());
 * // ["model.json", "weights.bin"]
 * encoder.dispose();
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function saveModel(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<void> {
  const where = "saveModel()";
  if (!(model instanceof tf.LayersModel)) {
    throw new TypeError(`${where}: model must be a tf.LayersModel, got ${String(model)}`);
  }
  if (typeof dir !== "string" || dir.length === 0) {
    throw new TypeError(`${where}: dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  }
  const target = path.resolve(dir);
  const parent = path.dirname(target);
  const exists = await pathExists(target);
  if (exists && !options.overwrite) {
    throw new Error(`${where}: ${target} already exists; pass { overwrite: true } to replace it`);
  }
  if (!(await pathExists(parent))) {
    throw new Error(`${where}: the parent folder ${parent} of ${target} does not exist`);
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
    modelTopology: modelTopology as object,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: weightSpecs }],
  };

  const temp = await Deno.makeTempDir({ dir: parent, prefix: `.${path.basename(target)}.tmp-` });
  try {
    await writeFileSynced(path.join(temp, WEIGHTS_BIN), weights);
    await writeFileSynced(
      path.join(temp, MODEL_JSON),
      new TextEncoder().encode(JSON.stringify(modelJson)),
    );
    if (exists) {
      const old = `${temp}.old`;
      await Deno.rename(target, old);
      try {
        await Deno.rename(temp, target);
      } catch (error) {
        await Deno.rename(old, target);
        throw error;
      }
      await Deno.remove(old, { recursive: true });
    } else {
      await Deno.rename(temp, target);
    }
  } catch (error) {
    await Deno.remove(temp, { recursive: true }).catch(() => {});
    throw error;
  }
}

/**
 * Loads a model saved in the TensorFlow.js layers format from the folder `dir`: the files
 * {@linkcode saveModel} writes, or any layers-model folder whose weight files sit inside it
 * (several weights groups and shards are fine).
 *
 * Before anything is built, `model.json` is checked: every weight path must be a relative path
 * inside `dir` (no `..` segment, no absolute path, no URL, no backslash), and after resolving
 * symbolic links it must still be a regular file inside `dir`. The bytes of each group's files
 * must add up exactly to what the manifest's weight specs describe, so a truncated, padded or
 * mismatched weights file is rejected with an error naming it.
 *
 * @param dir Folder holding `model.json` and the weight files.
 * @returns The model; the caller disposes it.
 * @throws {TypeError} If `dir` is not a non-empty string.
 * @throws {Error} If the folder or a file is missing, `model.json` is not valid JSON or not a
 *   layers model, a weight path escapes the folder, the weight bytes do not match the manifest,
 *   or the weights do not fit the model's layers; the message names the file. Nothing is
 *   left allocated when it throws.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { resNet18 } from "@selfsup/encoders";
 * import { loadModel, saveModel } from "@selfsup/encoders/model_files";
 *
 * const encoder = resNet18({ inputShape: [8, 8, 3], widthMultiplier: 0.0625, seed: 1 });
 * const parent = await Deno.makeTempDir();
 * await saveModel(encoder, `${parent}/resnet`);
 * const loaded = await loadModel(`${parent}/resnet`);
 * const x = tf.ones([1, 8, 8, 3]);
 * const [a, b] = [encoder.predict(x), loaded.predict(x)] as tf.Tensor[];
 * console.log(tf.util.arraysEqual(a.dataSync(), b.dataSync())); // true
 * tf.dispose([x, a, b]);
 * encoder.dispose();
 * loaded.dispose();
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function loadModel(dir: string): Promise<tf.LayersModel> {
  const where = "loadModel()";
  if (typeof dir !== "string" || dir.length === 0) {
    throw new TypeError(`${where}: dir must be a non-empty string, got ${JSON.stringify(dir)}`);
  }
  let root: string;
  try {
    root = await Deno.realPath(dir);
  } catch (error) {
    throw new Error(`${where}: cannot open the model folder ${dir}: ${message(error)}`, {
      cause: error,
    });
  }
  const jsonPath = path.join(root, MODEL_JSON);
  const json = parseModelJson(await readInside(root, MODEL_JSON, where), jsonPath, where);

  const weightSpecs: tf.io.WeightsManifestEntry[] = [];
  const buffers: Uint8Array[] = [];
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
    model = await tf.models.modelFromJSON({ modelTopology: json.modelTopology });
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

async function pathExists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Writes and flushes a file, so the rename that publishes it never exposes partial data. */
async function writeFileSynced(file: string, data: Uint8Array): Promise<void> {
  using handle = await Deno.open(file, { write: true, createNew: true });
  let written = 0;
  while (written < data.byteLength) written += await handle.write(data.subarray(written));
  await handle.sync();
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
