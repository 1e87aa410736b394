import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel, saveModel } from "./model_files.ts";
import { resNet18 } from "./res_net.ts";
import { smallConvNet } from "./small_conv_net.ts";
import { mulberry32, randomizeBatchNorms } from "./_test_utils.ts";

tf.enableProdMode();

function tinyResNet(seed = 1): tf.LayersModel {
  const model = resNet18({ inputShape: [12, 12, 3], widthMultiplier: 1 / 16, seed });
  randomizeBatchNorms(model, mulberry32(seed));
  return model;
}

function images(seed: number): tf.Tensor4D {
  return tf.tensor4d(Float32Array.from({ length: 2 * 12 * 12 * 3 }, mulberry32(seed)), [
    2,
    12,
    12,
    3,
  ]);
}

/** Output bits of `model` on `x` (float32 compared as raw bytes). */
function outputBytes(model: tf.LayersModel, x: tf.Tensor): Uint8Array {
  const y = model.predict(x) as tf.Tensor;
  const bytes = new Uint8Array((y.dataSync() as Float32Array).slice().buffer);
  y.dispose();
  return bytes;
}

async function listDir(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

async function withTempDir(fn: (parent: string) => Promise<void>): Promise<void> {
  const parent = await Deno.makeTempDir({ prefix: "selfsup_model_files_" });
  try {
    await fn(parent);
  } finally {
    await Deno.remove(parent, { recursive: true });
  }
}

Deno.test("saveModel() then loadModel() gives the same names, weights and bitwise outputs", async () => {
  await withTempDir(async (parent) => {
    const model = tinyResNet();
    const dir = path.join(parent, "encoder");
    await saveModel(model, dir);
    assert.deepEqual(await listDir(parent), ["encoder"]);
    assert.deepEqual(await listDir(dir), ["model.json", "weights.bin"]);
    const json = JSON.parse(await Deno.readTextFile(path.join(dir, "model.json")));
    assert.equal(json.format, "layers-model");
    assert.deepEqual(json.weightsManifest[0].paths, ["weights.bin"]);

    const loaded = await loadModel(dir);
    assert.equal(loaded.name, model.name);
    assert.deepEqual(loaded.layers.map((l) => l.name), model.layers.map((l) => l.name));
    const a = model.getWeights().map((w) => Array.from(w.dataSync()));
    const b = loaded.getWeights().map((w) => Array.from(w.dataSync()));
    assert.deepEqual(b, a);
    const x = images(2);
    assert.deepEqual(outputBytes(loaded, x), outputBytes(model, x));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });
});

Deno.test("saveModel() refuses an existing folder unless overwrite, and replaces it atomically", async () => {
  await withTempDir(async (parent) => {
    const dir = path.join(parent, "m");
    const first = tinyResNet(1);
    const second = tinyResNet(2);
    await saveModel(first, dir);
    const firstBytes = await Deno.readFile(path.join(dir, "weights.bin"));
    await assert.rejects(
      saveModel(second, dir),
      (e: Error) => /already exists; pass \{ overwrite: true \}/.test(e.message),
    );
    assert.deepEqual(await Deno.readFile(path.join(dir, "weights.bin")), firstBytes);

    await saveModel(second, dir, { overwrite: true });
    assert.deepEqual(await listDir(parent), ["m"]);
    const loaded = await loadModel(dir);
    const x = images(3);
    assert.deepEqual(outputBytes(loaded, x), outputBytes(second, x));
    tf.dispose([x]);
    [first, second, loaded].forEach((m) => m.dispose());
  });
});

Deno.test("saveModel() leaves nothing half-written when a write or the final rename fails", async () => {
  const deno = Deno as unknown as Record<string, unknown>;
  const realOpen = Deno.open;
  const realRename = Deno.rename;
  await withTempDir(async (parent) => {
    const model = tinyResNet();
    try {
      deno.open = (file: string | URL, options?: Deno.OpenOptions) =>
        String(file).endsWith("model.json")
          ? Promise.reject(new Error("injected: disk full"))
          : realOpen(file, options);
      await assert.rejects(saveModel(model, path.join(parent, "a")), /injected: disk full/);
      assert.deepEqual(await listDir(parent), []);
      deno.open = realOpen;

      // With overwrite, the old folder is moved aside, the new one fails to move in, and the
      // old one must come back.
      await saveModel(model, path.join(parent, "b"));
      const before = await Deno.readFile(path.join(parent, "b", "weights.bin"));
      deno.rename = (from: string | URL, to: string | URL) =>
        String(from).includes(".tmp-") && !String(from).endsWith(".old")
          ? Promise.reject(new Error("injected: rename failed"))
          : realRename(from, to);
      await assert.rejects(
        saveModel(tinyResNet(5), path.join(parent, "b"), { overwrite: true }),
        /injected: rename failed/,
      );
      assert.deepEqual(await listDir(parent), ["b"]);
      assert.deepEqual(await Deno.readFile(path.join(parent, "b", "weights.bin")), before);
      await assert.rejects(saveModel(model, path.join(parent, "c")), /injected: rename failed/);
      assert.deepEqual(await listDir(parent), ["b"]);
    } finally {
      deno.open = realOpen;
      deno.rename = realRename;
      model.dispose();
    }
  });
});

Deno.test("saveModel() and loadModel() reject bad arguments and missing folders", async () => {
  const model = smallConvNet({ inputShape: [4, 4, 1], filters: [2], seed: 0 });
  await assert.rejects(saveModel({} as never, "/tmp/x"), TypeError);
  await assert.rejects(saveModel(model, ""), TypeError);
  await assert.rejects(loadModel(3 as never), TypeError);
  await withTempDir(async (parent) => {
    await assert.rejects(
      saveModel(model, path.join(parent, "no", "such", "m")),
      /parent folder .* does not exist/,
    );
    assert.deepEqual(await listDir(parent), []);
    await assert.rejects(loadModel(path.join(parent, "none")), /cannot open the model folder/);
  });
  model.dispose();
});

/**
 * Saves a tiny model, lets `corrupt` damage the folder, and checks that loading fails with a
 * message matching `message` and leaks no tensor.
 */
async function assertLoadFails(
  corrupt: (dir: string, parent: string) => Promise<void>,
  message: RegExp,
): Promise<void> {
  await withTempDir(async (parent) => {
    const model = smallConvNet({ inputShape: [4, 4, 1], filters: [2, 3], seed: 0 });
    const dir = path.join(parent, "m");
    await saveModel(model, dir);
    model.dispose();
    await corrupt(dir, parent);
    const before = tf.memory().numTensors;
    await assert.rejects(loadModel(dir), (e: Error) => {
      assert.match(e.message, message);
      return true;
    });
    assert.equal(tf.memory().numTensors, before);
  });
}

async function editManifest(dir: string, edit: (json: tf.io.ModelJSON) => void): Promise<void> {
  const file = path.join(dir, "model.json");
  const json = JSON.parse(await Deno.readTextFile(file));
  edit(json);
  await Deno.writeTextFile(file, JSON.stringify(json));
}

Deno.test("loadModel() rejects a corrupt model.json, naming it", async () => {
  await assertLoadFails(
    (dir) => Deno.writeTextFile(path.join(dir, "model.json"), '{"modelTopology": {'),
    /model\.json is not valid JSON/,
  );
  await assertLoadFails(
    (dir) => Deno.writeTextFile(path.join(dir, "model.json"), '{"weightsManifest": []}'),
    /model\.json is not a TensorFlow.js layers model: modelTopology is missing/,
  );
  await assertLoadFails(
    (dir) => editManifest(dir, (j) => (j.weightsManifest[0].weights[0].shape = ["x" as never])),
    /model\.json is not a TensorFlow.js layers model: weight spec/,
  );
  await assertLoadFails(
    (dir) => Deno.remove(path.join(dir, "model.json")),
    /cannot open .*model\.json/,
  );
});

Deno.test("loadModel() rejects truncated, padded and mismatched weight files, naming them", async () => {
  const resize = (delta: number) => async (dir: string) => {
    const file = path.join(dir, "weights.bin");
    const bytes = await Deno.readFile(file);
    const resized = new Uint8Array(bytes.byteLength + delta);
    resized.set(bytes.subarray(0, Math.min(bytes.byteLength, resized.byteLength)));
    await Deno.writeFile(file, resized);
  };
  await assertLoadFails(
    resize(-4),
    /weights\.bin holds \d+ bytes, but .*model\.json describes \d+ bytes .*truncated or mismatched/,
  );
  await assertLoadFails(resize(+8), /weights\.bin holds \d+ bytes.*truncated or mismatched/);
  await assertLoadFails(
    (dir) => Deno.remove(path.join(dir, "weights.bin")),
    /cannot open .*weights\.bin/,
  );
  // Same byte count, but the names no longer match the topology's weights.
  await assertLoadFails(
    (dir) => editManifest(dir, (j) => (j.weightsManifest[0].weights[0].name = "elsewhere/kernel")),
    /weights in .*model\.json do not fit its model/,
  );
  // Same byte count, but a kernel's shape no longer matches its layer.
  await assertLoadFails(
    (dir) => editManifest(dir, (j) => j.weightsManifest[0].weights[0].shape.reverse()),
    /weights in .*model\.json do not fit its model/,
  );
  await assertLoadFails(
    (dir) => editManifest(dir, (j) => (j.weightsManifest[0].weights[0].dtype = "string")),
    /unsupported dtype string/,
  );
});

Deno.test("loadModel() confines weight paths to the model folder", async () => {
  const pointTo = (weightPath: (dir: string, parent: string) => string) =>
  async (
    dir: string,
    parent: string,
  ) => {
    // A valid copy of the weights outside the folder, so only the path check can refuse it.
    await Deno.copyFile(path.join(dir, "weights.bin"), path.join(parent, "outside.bin"));
    const p = weightPath(dir, parent);
    await editManifest(dir, (j) => (j.weightsManifest[0].paths = [p]));
  };
  const inside = /must be a relative path inside the model folder/;
  await assertLoadFails(pointTo(() => "../outside.bin"), inside);
  await assertLoadFails(pointTo(() => "./sub/../../outside.bin"), inside);
  await assertLoadFails(pointTo((_, parent) => path.join(parent, "outside.bin")), inside);
  await assertLoadFails(pointTo(() => "file:///etc/passwd"), inside);
  await assertLoadFails(pointTo(() => "http://127.0.0.1/weights.bin"), inside);
  await assertLoadFails(pointTo(() => "..\\outside.bin"), inside);
  await assertLoadFails(pointTo(() => "C:/outside.bin"), inside);
  await assertLoadFails(pointTo(() => ""), inside);
  // A link inside the folder that leads out of it.
  await assertLoadFails(
    pointTo((dir, parent) => {
      Deno.symlinkSync(path.join(parent, "outside.bin"), path.join(dir, "link.bin"));
      return "link.bin";
    }),
    /link\.bin resolves to .*outside\.bin, outside the model folder/,
  );
  await assertLoadFails(
    async (dir, parent) => {
      await Deno.rename(path.join(dir, "model.json"), path.join(parent, "model.json"));
      await Deno.symlink(path.join(parent, "model.json"), path.join(dir, "model.json"));
    },
    /model\.json resolves to .*, outside the model folder/,
  );
  await assertLoadFails(
    pointTo((dir) => {
      Deno.mkdirSync(path.join(dir, "sub"));
      return "sub";
    }),
    /sub is not a regular file/,
  );
});

Deno.test("loadModel() follows links that stay inside the folder", async () => {
  await withTempDir(async (parent) => {
    const model = smallConvNet({ inputShape: [4, 4, 1], filters: [2], seed: 0 });
    const dir = path.join(parent, "m");
    await saveModel(model, dir);
    await Deno.mkdir(path.join(dir, "shards"));
    await Deno.rename(path.join(dir, "weights.bin"), path.join(dir, "shards", "w.bin"));
    await Deno.symlink(path.join("shards", "w.bin"), path.join(dir, "weights.bin"));
    const loaded = await loadModel(dir);
    const x = tf.ones([1, 4, 4, 1]);
    assert.deepEqual(outputBytes(loaded, x), outputBytes(model, x));
    x.dispose();
    model.dispose();
    loaded.dispose();
  });
});

const hasNode = (() => {
  try {
    return new Deno.Command("node", { args: ["--version"], stdout: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

// Runs in Node.js: serves the model folder on a loopback port and loads it with the plain
// `tf.loadLayersModel("http://...")` a browser or Node user would call (no tfjs-node).
const NODE_SCRIPT = `
import http from "node:http";
import fs from "node:fs";
import path from "node:path";
import * as tf from "@tensorflow/tfjs";

tf.enableProdMode();
const [dir, inputFile] = process.argv.slice(2);
const server = http.createServer((req, res) => {
  const name = path.basename(new URL(req.url, "http://localhost").pathname);
  fs.readFile(path.join(dir, name), (error, data) => {
    res.writeHead(error ? 404 : 200);
    res.end(error ? "" : data);
  });
});
await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
const model = await tf.loadLayersModel("http://127.0.0.1:" + server.address().port + "/model.json");
server.close();
const { shape, values } = JSON.parse(fs.readFileSync(inputFile, "utf8"));
const y = model.predict(tf.tensor(values, shape));
process.stdout.write(JSON.stringify({
  backend: tf.getBackend(),
  names: model.layers.map((l) => l.name),
  shape: y.shape,
  values: Array.from(y.dataSync()),
}));
`;

Deno.test({
  name:
    "a saved encoder loads in Node.js with plain tf.loadLayersModel and gives the same outputs" +
    (hasNode ? "" : " (ignored: needs `node` on PATH)"),
  ignore: !hasNode,
  fn: async () => {
    await withTempDir(async (parent) => {
      const model = tinyResNet(7);
      await saveModel(model, path.join(parent, "encoder"));
      const x = images(8);
      await Deno.writeTextFile(
        path.join(parent, "input.json"),
        JSON.stringify({ shape: x.shape, values: Array.from(x.dataSync()) }),
      );
      // node_modules for Node, made from Deno's npm cache (or the npm registry).
      const project = path.join(parent, "node_project");
      await Deno.mkdir(project);
      await Deno.writeTextFile(
        path.join(project, "package.json"),
        JSON.stringify({ type: "module", dependencies: { "@tensorflow/tfjs": tf.version.tfjs } }),
      );
      await Deno.writeTextFile(path.join(project, "load.mjs"), NODE_SCRIPT);
      const install = await new Deno.Command(Deno.execPath(), {
        args: ["install", "--quiet"],
        cwd: project,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(install.success, new TextDecoder().decode(install.stderr));
      const run = await new Deno.Command("node", {
        args: ["load.mjs", path.join(parent, "encoder"), path.join(parent, "input.json")],
        cwd: project,
        stdout: "piped",
        stderr: "piped",
      }).output();
      assert.ok(run.success, new TextDecoder().decode(run.stderr));
      const result = JSON.parse(new TextDecoder().decode(run.stdout));
      assert.equal(result.backend, "cpu");
      assert.deepEqual(result.names, model.layers.map((l) => l.name));
      const y = model.predict(x) as tf.Tensor;
      assert.deepEqual(result.shape, y.shape);
      const nodeBytes = new Uint8Array(Float32Array.from(result.values).buffer);
      assert.deepEqual(nodeBytes, outputBytes(model, x));
      tf.dispose([x, y]);
      model.dispose();
    });
  },
});
