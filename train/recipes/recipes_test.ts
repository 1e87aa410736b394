import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { classCounts, fromArrays } from "@selfsup/data";
import { Random } from "@selfsup/internal";
import type { TrainData } from "../data_source.ts";
import { METHODS, resolveForImages, resolveSettings } from "../settings.ts";
import { recipeFor } from "./recipes.ts";

tf.enableProdMode();

/** 200 random 28 x 28 grey images of 10 classes, 20 each, interleaved. */
function trainData(): TrainData {
  const random = new Random(5);
  const split = (n: number) =>
    fromArrays(
      Uint8Array.from({ length: n * 784 }, () => random.integer(256)),
      [n, 28, 28, 1],
      { labels: Array.from({ length: n }, (_, i) => i % 10) },
    );
  return {
    train: split(200),
    validation: split(20),
    test: split(20),
    numClasses: 10,
    classNames: Array.from({ length: 10 }, (_, i) => String(i)),
    description: "random",
  };
}

function settingsFor(method: string, extra: Record<string, unknown> = {}) {
  return resolveForImages(resolveSettings({ smoke: true, method, ...extra }).settings, 28, 28);
}

Deno.test("initialEncoder() is every recipe's encoder as its first stage builds it, before any step", async () => {
  const data = trainData();
  for (const method of METHODS) {
    const recipe = recipeFor(settingsFor(method), data);
    const learner = await recipe.stages[0].build(10, []);
    const initial = recipe.initialEncoder();
    try {
      const a = learner.monitorEncoder!.getWeights();
      const b = initial.getWeights();
      assert.equal(a.length, b.length, method);
      assert.ok(a.length > 0, method);
      for (let i = 0; i < a.length; i++) {
        assert.deepEqual(b[i].shape, a[i].shape, `${method} weight ${i}`);
        assert.deepEqual(b[i].dataSync(), a[i].dataSync(), `${method} weight ${i}`);
      }
      // Not a copy of some fixed state: another seed gives other weights.
      const other = recipeFor(settingsFor(method, { seed: 2 }), data).initialEncoder();
      assert.notDeepEqual(other.getWeights()[0].dataSync(), b[0].dataSync(), method);
      other.dispose();
    } finally {
      initial.dispose();
      learner.dispose();
    }
  }
});

Deno.test("supervised trains on the labelled images SimCLRv2 fine-tunes on, for the same seed and --labels", () => {
  const data = trainData();
  for (const labels of ["1%", "10%", "30", "all"]) {
    for (const seed of [1, 7]) {
      const supervised = recipeFor(settingsFor("supervised", { labels, seed }), data);
      const v2 = recipeFor(settingsFor("simclrv2", { labels, seed }), data);
      const a = supervised.stages[0].data;
      const b = v2.stages[1].data;
      assert.deepEqual(a.shape, b.shape, labels);
      assert.deepEqual(a.images, b.images, labels);
      assert.deepEqual(a.labels, b.labels, labels);
      assert.equal(supervised.labelledImages, a.shape[0]);
      assert.equal(v2.labelledImages, a.shape[0]);
      // Stratified: each of the 10 classes of 20 gives round(fraction x 20), at least 1.
      const perClass = { "1%": 1, "10%": 2, "30": 3, "all": 20 }[labels]!;
      assert.deepEqual(classCounts(a), Array(10).fill(perClass), labels);
    }
  }
  // Another seed draws other images (of the same classes).
  const s1 = recipeFor(settingsFor("supervised", { labels: "10%", seed: 1 }), data).stages[0].data;
  const s7 = recipeFor(settingsFor("supervised", { labels: "10%", seed: 7 }), data).stages[0].data;
  assert.notDeepEqual(s1.images, s7.images);
});

Deno.test("supervised with --labels all trains on the training split itself, as before --labels", () => {
  const data = trainData();
  const recipe = recipeFor(settingsFor("supervised"), data);
  assert.equal(recipe.stages[0].data, data.train);
  assert.equal(recipe.labelledImages, 200);
  for (const method of ["simclr", "byol"]) {
    assert.equal(recipeFor(settingsFor(method), data).labelledImages, 0);
  }
});
