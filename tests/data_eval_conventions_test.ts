// The house conventions (issue 16) over every export of @selfsup/data and @selfsup/eval, so a
// new function cannot leave them unnoticed: every bad argument's error starts with the name of
// the function called, a wrong type is a TypeError, and every function that draws takes an
// integer `seed` in its options.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as data from "@selfsup/data";
import * as files from "@selfsup/data/files";
import * as evaluation from "@selfsup/eval";

tf.enableProdMode();

// A call of each exported function with a first argument of the wrong type.
const badCalls: Record<string, () => unknown> = {
  fromArrays: () => data.fromArrays(42 as never, [1, 1, 1, 1]),
  selectImages: () => data.selectImages(42 as never, [0]),
  classCounts: () => data.classCounts(42 as never),
  batches: () => data.batches(42 as never, { batchSize: 1, seed: 0 }),
  labelledSubset: () => data.labelledSubset(42 as never, { fraction: 1, seed: 0 }),
  toImageTensor: () => data.toImageTensor(42 as never),
  toLabelTensor: () => data.toLabelTensor(42 as never),
  decodeIdx: () => data.decodeIdx(42 as never),
  encodeIdx: () => data.encodeIdx(42 as never, [1]),
  decodeImage: () => data.decodeImage(42 as never),
  loadFashionMnist: () => files.loadFashionMnist(42 as never),
  readIdxFile: () => files.readIdxFile(42 as never),
  writeIdxFile: () => files.writeIdxFile(42 as never, { data: new Uint8Array(1), shape: [1] }),
  loadIdx: () => files.loadIdx(42 as never),
  loadIdxFolder: () => files.loadIdxFolder(42 as never),
  listImageFolder: () => files.listImageFolder(42 as never),
  loadImageFolder: () => files.loadImageFolder(42 as never),
  imageFolderBatches: () => files.imageFolderBatches(42 as never, { batchSize: 1, seed: 0 }),
  extractFeatures: () => evaluation.extractFeatures(42 as never, tf.zeros([1, 1, 1, 1])),
  knnClassifier: () => evaluation.knnClassifier(42 as never, tf.zeros([1, 1])),
  linearProbe: () => evaluation.linearProbe(42 as never, 42 as never),
  accuracy: () => evaluation.accuracy(42 as never, [0]),
  confusionMatrix: () => evaluation.confusionMatrix(42 as never, [0]),
};

function exportedFunctions(module: Record<string, unknown>): string[] {
  return Object.entries(module).filter(([, v]) => typeof v === "function").map(([k]) => k);
}

Deno.test("every data and eval function is covered here", () => {
  const all = [
    ...exportedFunctions(data),
    ...exportedFunctions(files),
    ...exportedFunctions(evaluation),
  ].sort();
  assert.deepEqual(all, Object.keys(badCalls).sort());
});

Deno.test("every data and eval function names itself in a TypeError for a wrong argument", async () => {
  let checked = 0;
  for (const [name, call] of Object.entries(badCalls)) {
    let error: unknown;
    try {
      await call();
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof TypeError, `${name}: ${error}`);
    assert.ok(error.message.startsWith(`${name}(): `), `${name}: ${error.message}`);
    assert.match(error.message, / must be .*, got /, name);
    checked++;
  }
  assert.equal(checked, 23);
});

Deno.test("every data and eval function that draws takes an integer options.seed", async () => {
  const ds = data.fromArrays(new Uint8Array(4), [4, 1, 1, 1], { labels: [0, 1, 0, 1] });
  const features = tf.zeros([4, 2]) as tf.Tensor2D;
  const root = await Deno.makeTempDir();
  try {
    const drawing: Record<string, (seed: unknown) => unknown> = {
      batches: (seed) => data.batches(ds, { batchSize: 2, seed: seed as number }),
      labelledSubset: (seed) => data.labelledSubset(ds, { fraction: 0.5, seed: seed as number }),
      imageFolderBatches: (seed) =>
        files.imageFolderBatches(root, { batchSize: 2, seed: seed as number }),
      linearProbe: (seed) =>
        evaluation.linearProbe({ features, labels: ds.labels! }, {
          features,
          labels: ds.labels!,
        }, { epochs: 1, seed: seed as number }),
    };
    for (const [name, draw] of Object.entries(drawing)) {
      await draw(2 ** 40); // any safe integer
      for (const [seed, type] of [[0.5, RangeError], [2 ** 53, RangeError], ["1", TypeError]]) {
        await assert.rejects(async () => await draw(seed), {
          name: (type as typeof Error).name,
          message: `${name}(): seed must be a safe integer, got ${
            typeof seed === "string" ? `"${seed}"` : seed
          }`,
        });
      }
    }
    assert.equal(Object.keys(drawing).length, 4);
  } finally {
    features.dispose();
    await Deno.remove(root, { recursive: true });
  }
});
