import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { loadModel, saveModel } from "./model_files.ts";
import { resNet18 } from "./res_net.ts";
import { smallConvNet } from "./small_conv_net.ts";
import { isBatchNorm } from "./_test_utils.ts";
import { randomizeWeights, randomTensor } from "../internal/testing.ts";

tf.enableProdMode();

function tinyResNet(seed = 1): tf.LayersModel {
  const model = resNet18({ inputShape: [12, 12, 3], widthMultiplier: 1 / 16, seed });
  assert.equal(randomizeWeights(model, seed, isBatchNorm), 4 * 20);
  return model;
}

const images = (seed: number) => randomTensor([2, 12, 12, 3], seed);

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

Deno.test("saveModel() refuses an existing folder unless overwrite, and replaces a saved model", async () => {
  await withTempDir(async (parent) => {
    const dir = path.join(parent, "m");
    const first = tinyResNet(1);
    const second = tinyResNet(2);
    await saveModel(first, dir);
    const firstBytes = await Deno.readFile(path.join(dir, "weights.bin"));
    await assert.rejects(saveModel(second, dir), {
      message: `saveModel(): dir must be a path where nothing exists yet (pass { overwrite: ` +
        `true } to replace a saved model), got "${dir}", a saved model`,
    });
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

Deno.test("saveModel({ overwrite: true }) replaces only a saved model folder, naming what else is there (issue 15 item 5)", async () => {
  await withTempDir(async (parent) => {
    const model = smallConvNet({ inputShape: [4, 4, 1], filters: [2], seed: 0 });
    const refused = (dir: string, what: string) => ({
      message: `saveModel(): dir must be a new path, or a folder holding only a saved model ` +
        `(model.json and its weight files) to replace, got "${dir}", ${what}`,
    });
    // A folder of the user's: refused, untouched.
    const notes = path.join(parent, "notes");
    await Deno.mkdir(notes);
    await Deno.writeTextFile(path.join(notes, "todo.txt"), "keep me");
    await assert.rejects(
      saveModel(model, notes, { overwrite: true }),
      refused(notes, "a folder holding todo.txt (no model.json)"),
    );
    assert.equal(await Deno.readTextFile(path.join(notes, "todo.txt")), "keep me");
    // A regular file: refused, untouched.
    const file = path.join(parent, "file");
    await Deno.writeTextFile(file, "data");
    await assert.rejects(saveModel(model, file, { overwrite: true }), refused(file, "a file"));
    assert.equal(await Deno.readTextFile(file), "data");
    // A link, even to a saved model: refused (replacing it would not replace what it points to).
    const saved = path.join(parent, "saved");
    await saveModel(model, saved);
    const link = path.join(parent, "link");
    await Deno.symlink(saved, link);
    await assert.rejects(
      saveModel(model, link, { overwrite: true }),
      refused(link, "a symbolic link"),
    );
    // A saved model with a file of the user's beside it: refused, untouched.
    await Deno.writeTextFile(path.join(saved, "README.txt"), "mine");
    await assert.rejects(
      saveModel(model, saved, { overwrite: true }),
      refused(
        saved,
        "a folder holding README.txt, model.json, weights.bin (not files of the saved model: " +
          "README.txt)",
      ),
    );
    await Deno.remove(path.join(saved, "README.txt"));
    // A subfolder in it, or a model.json that is not a model: refused.
    await Deno.mkdir(path.join(saved, "sub"));
    await assert.rejects(
      saveModel(model, saved, { overwrite: true }),
      refused(saved, "a folder holding model.json, sub, weights.bin (not regular files: sub)"),
    );
    await Deno.remove(path.join(saved, "sub"));
    const fake = path.join(parent, "fake");
    await Deno.mkdir(fake);
    await Deno.writeTextFile(path.join(fake, "model.json"), "{}");
    await assert.rejects(
      saveModel(model, fake, { overwrite: true }),
      refused(
        fake,
        "a folder holding model.json (its model.json is not a TensorFlow.js layers model)",
      ),
    );
    assert.deepEqual(await listDir(parent), ["fake", "file", "link", "notes", "saved"]);
    // What may be replaced: a saved model (ours or sharded), and an empty folder.
    await saveModel(model, saved, { overwrite: true });
    const empty = path.join(parent, "empty");
    await Deno.mkdir(empty);
    await saveModel(model, empty, { overwrite: true });
    assert.deepEqual(await listDir(empty), ["model.json", "weights.bin"]);
    await editManifest(saved, (j) => (j.weightsManifest[0].paths = ["group1-shard1of1.bin"]));
    await Deno.rename(path.join(saved, "weights.bin"), path.join(saved, "group1-shard1of1.bin"));
    (await loadModel(saved)).dispose();
    await saveModel(model, saved, { overwrite: true });
    assert.deepEqual(await listDir(saved), ["model.json", "weights.bin"]);
    model.dispose();
  });
});

Deno.test("saveModel() leaves the target as it was when a write or a rename fails", async () => {
  const deno = Deno as unknown as Record<string, unknown>;
  const realOpen = Deno.open;
  const realRename = Deno.rename;
  await withTempDir(async (parent) => {
    const model = tinyResNet();
    try {
      deno.open = (file: string | URL, options?: Deno.OpenOptions) =>
        String(file).endsWith("model.json") && options?.write
          ? Promise.reject(new Error("injected: disk full"))
          : realOpen(file, options);
      await assert.rejects(saveModel(model, path.join(parent, "a")), /injected: disk full/);
      assert.deepEqual(await listDir(parent), []);
      deno.open = realOpen;

      // Each rename of a replacement fails in turn: the old model must stay, nothing else.
      const dir = path.join(parent, "b");
      await saveModel(model, dir);
      const before = await Deno.readFile(path.join(dir, "weights.bin"));
      const renames: [string, string][] = [];
      deno.rename = (from: string | URL, to: string | URL) => {
        renames.push([String(from), String(to)]);
        return realRename(from, to);
      };
      await saveModel(tinyResNet(5), path.join(parent, "probe"));
      await saveModel(tinyResNet(5), path.join(parent, "probe"), { overwrite: true });
      await Deno.remove(path.join(parent, "probe"), { recursive: true });
      // staging -> .tmp-new, .tmp-new -> target; then staging -> .tmp-new, target -> .tmp-old,
      // .tmp-new -> target.
      assert.equal(renames.length, 5);
      for (let failing = 0; failing < 3; failing++) {
        let count = 0;
        deno.rename = (from: string | URL, to: string | URL) =>
          count++ === failing
            ? Promise.reject(new Error(`injected: rename ${failing} failed`))
            : realRename(from, to);
        await assert.rejects(
          saveModel(tinyResNet(5), dir, { overwrite: true }),
          new RegExp(`injected: rename ${failing} failed`),
        );
        assert.deepEqual(await listDir(parent), ["b"], `rename ${failing}`);
        assert.deepEqual(await Deno.readFile(path.join(dir, "weights.bin")), before);
      }
    } finally {
      deno.open = realOpen;
      deno.rename = realRename;
      model.dispose();
    }
  });
});

Deno.test("saveModel() and loadModel() reject bad arguments in the house format", async () => {
  const model = smallConvNet({ inputShape: [4, 4, 1], filters: [2], seed: 0 });
  await assert.rejects(saveModel({} as never, "/tmp/x"), {
    name: "TypeError",
    message: "saveModel(): model must be a tf.LayersModel, got an object",
  });
  await assert.rejects(saveModel(model, ""), {
    name: "TypeError",
    message: 'saveModel(): dir must be a non-empty string, got ""',
  });
  await assert.rejects(saveModel(model, "/tmp/x", "yes" as never), {
    name: "TypeError",
    message: 'saveModel(): options must be an object, got "yes"',
  });
  await assert.rejects(saveModel(model, "/tmp/x", { overwrite: 1 as never }), {
    name: "TypeError",
    message: "saveModel(): options.overwrite must be a boolean, got 1",
  });
  await assert.rejects(loadModel(3 as never), {
    name: "TypeError",
    message: "loadModel(): dir must be a non-empty string, got 3",
  });
  await withTempDir(async (parent) => {
    const dir = path.join(parent, "no", "such", "m");
    await assert.rejects(saveModel(model, dir), {
      message: `saveModel(): dir must be inside an existing folder, got "${dir}" ` +
        `(${path.join(parent, "no")} does not exist)`,
    });
    assert.deepEqual(await listDir(parent), []);
    await assert.rejects(loadModel(path.join(parent, "none")), /cannot open the model folder/);
  });
  model.dispose();
});

Deno.test("saveModel() into a parent that is a file names dir and the file (issue 15 item 9)", async () => {
  await withTempDir(async (parent) => {
    const model = smallConvNet({ inputShape: [4, 4, 1], filters: [2], seed: 0 });
    const file = path.join(parent, "file");
    await Deno.writeTextFile(file, "data");
    for (const dir of [path.join(file, "m"), path.join(file, "deeper", "m")]) {
      await assert.rejects(saveModel(model, dir), {
        name: "Error",
        message: `saveModel(): dir must be inside an existing folder, got "${dir}" ` +
          `(${file} is a file, not a folder)`,
      });
    }
    await assert.rejects(loadModel(file), {
      message: `loadModel(): dir must be a folder holding model.json, got "${file}", a file`,
    });
    assert.deepEqual(await listDir(parent), ["file"]);
    assert.equal(await Deno.readTextFile(file), "data");
    model.dispose();
  });
});

Deno.test("loadModel() refuses a topology that declares more weights than its manifest, before allocating (issue 15 item 2)", async () => {
  await withTempDir(async (parent) => {
    // A 64 -> 4,194,304 Dense layer: 268,435,456 values, 1 GiB of float32, declared in a few
    // hundred bytes; the manifest and weights.bin describe a layer of 64 -> 1.
    const model = tf.sequential({
      layers: [tf.layers.dense({ name: "bomb", units: 1, inputShape: [64], useBias: false })],
    });
    const dir = path.join(parent, "m");
    await saveModel(model, dir);
    model.dispose();
    const file = path.join(dir, "model.json");
    const json = JSON.parse(await Deno.readTextFile(file));
    json.modelTopology.config.layers[0].config.units = 4_194_304;
    await Deno.writeTextFile(file, JSON.stringify(json));
    assert.ok((await Deno.stat(file)).size < 2000);

    // Every tensor made from values, a layer's initial weights included, is written to the
    // backend: the largest write is the largest allocation.
    const backend = tf.backend() as unknown as { write: (...args: unknown[]) => unknown };
    const write = backend.write;
    let largest = 0, writes = 0;
    backend.write = function (this: unknown, ...args: unknown[]) {
      writes++;
      largest = Math.max(largest, (args[0] as ArrayBufferView | undefined)?.byteLength ?? 0);
      return write.apply(this, args);
    };
    const before = tf.memory().numTensors;
    try {
      await assert.rejects(loadModel(dir), {
        message: `loadModel(): cannot build the model of ${file}: ${file} declares weight ` +
          "bomb/kernel of shape [64,4194304], which takes the model past the 64 values its " +
          "weight manifest holds",
      });
      // The same spy sees the kernel of the model as saved (64 floats) when it loads.
      json.modelTopology.config.layers[0].config.units = 1;
      await Deno.writeTextFile(file, JSON.stringify(json));
      const loaded = await loadModel(dir);
      loaded.dispose();
    } finally {
      backend.write = write;
    }
    assert.ok(writes > 0);
    assert.ok(largest >= 64 * 4 && largest < 1e6, `largest allocation ${largest} bytes`);
    assert.equal(tf.memory().numTensors, before);
  });
});

Deno.test("loadModel() frees the layers it built when a later layer is refused", async () => {
  await withTempDir(async (parent) => {
    const model = smallConvNet({ inputShape: [4, 4, 1], filters: [2, 3], seed: 0 });
    const dir = path.join(parent, "m");
    await saveModel(model, dir);
    model.dispose();
    // The second convolution asks for 3 * 3 * 2 * 1000 values: past the manifest's total.
    const file = path.join(dir, "model.json");
    const json = JSON.parse(await Deno.readTextFile(file));
    const conv = json.modelTopology.config.layers.find((l: { name: string }) =>
      l.name === "stage2_conv"
    );
    conv.config.filters = 1000;
    await Deno.writeTextFile(file, JSON.stringify(json));
    const before = tf.memory().numTensors;
    await assert.rejects(
      loadModel(dir),
      /declares weight stage2_conv\/kernel of shape \[3,3,2,1000\]/,
    );
    assert.equal(tf.memory().numTensors, before);
    // And a stateful layer, whose states the topology sizes, is refused outright.
    json.modelTopology.config.layers[1].config.stateful = true;
    await Deno.writeTextFile(file, JSON.stringify(json));
    await assert.rejects(loadModel(dir), /declares a stateful layer/);
    assert.equal(tf.memory().numTensors, before);
  });
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
      // Plain tfjs has no SelfsupPaddedConv2D: the strided convolutions load as their stock
      // pair, a ZeroPadding2D "<name>_pad" feeding a "valid" Conv2D.
      const padded = model.layers.filter((l) => l.getClassName() === "SelfsupPaddedConv2D");
      assert.ok(padded.length > 0);
      assert.deepEqual(
        result.names,
        model.layers.flatMap((l) =>
          l.getClassName() === "SelfsupPaddedConv2D" ? [`${l.name}_pad`, l.name] : [l.name]
        ),
      );
      const y = model.predict(x) as tf.Tensor;
      assert.deepEqual(result.shape, y.shape);
      const nodeBytes = new Uint8Array(Float32Array.from(result.values).buffer);
      assert.deepEqual(nodeBytes, outputBytes(model, x));
      tf.dispose([x, y]);
      model.dispose();
    });
  },
});
