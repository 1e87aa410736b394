import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { resNet18 } from "./res_net.ts";
import { toStockTopology } from "./_stock_topology.ts";

tf.enableProdMode();

/** A tiny ResNet-18 (small stem, 1 channel) and a batch for it. */
function tinyResNet() {
  const model = resNet18({
    inputShape: [8, 8, 1],
    stem: "small",
    widthMultiplier: 1 / 16,
    seed: 3,
  });
  const x = tf.randomUniform([2, 8, 8, 1], 0, 1, "float32", 4);
  return { model, x };
}

/** The gradients of sum(h^2) with respect to every trainable weight, in the model's order. */
function weightGradients(model: tf.LayersModel, x: tf.Tensor): Float32Array[] {
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const { grads, value } = tf.variableGrads(
    () => tf.sum(tf.square(model.apply(x, { training: true }) as tf.Tensor)),
    variables,
  );
  const out = variables.map((v) => grads[v.name]!.dataSync() as Float32Array);
  tf.dispose([value, ...Object.values(grads)]);
  return out;
}

Deno.test("the encoders' convolutions never compute the image's gradient, and train as tfjs's Conv2D", async () => {
  await tf.setBackend("cpu");
  const { model, x } = tinyResNet();
  const classes = model.layers.map((l) => l.getClassName());
  const convolutions = classes.filter((c) => c === "Conv2D" || c === "SelfsupPaddedConv2D").length;
  assert.equal(convolutions, 20);
  // The three strided 3x3 convolutions take their padding themselves.
  assert.equal(classes.filter((c) => c === "SelfsupPaddedConv2D").length, 3);
  assert.equal(classes.filter((c) => c === "ZeroPadding2D").length, 0);
  const profile = await tf.profile(() => void weightGradients(model, x));
  const count = (name: string) => profile.kernels.filter((k) => k.name === name).length;
  // Every convolution's filter gradient; the input gradient of all but the first, whose input
  // is the image (tfjs's fused conv2d computes it anyway: 20).
  assert.equal(count("Conv2DBackpropFilter"), convolutions);
  assert.equal(count("Conv2DBackpropInput"), convolutions - 1);
  assert.equal(count("FusedConv2D"), 0);

  // The same architecture and weights through tfjs's own layers (what plain tfjs loads a saved
  // model as: a ZeroPadding2D before each strided "valid" Conv2D) give the same gradients.
  const stock = await tf.models.modelFromJSON(
    {
      modelTopology: toStockTopology(model.toJSON(null, false) as object),
    } as Parameters<typeof tf.models.modelFromJSON>[0],
  );
  stock.setWeights(model.getWeights());
  assert.ok(
    stock.layers.every((l) => l.getClassName() !== "Conv2D" || l.constructor.name === "Conv2D"),
    "loaded as the stock layer",
  );
  assert.equal(stock.layers.filter((l) => l.getClassName() === "ZeroPadding2D").length, 3);
  assert.equal(stock.layers.filter((l) => l.getClassName() === "Conv2D").length, convolutions);
  const ours = weightGradients(model, x);
  const theirs = weightGradients(stock, x);
  assert.equal(ours.length, model.trainableWeights.length);
  assert.equal(theirs.length, ours.length);
  ours.forEach((g, k) => {
    const h = theirs[k]!;
    assert.equal(g.length, h.length);
    for (let i = 0; i < g.length; i++) {
      assert.ok(Math.abs(g[i]! - h[i]!) <= 1e-5 * (1 + Math.abs(h[i]!)), `weight ${k} [${i}]`);
    }
  });
  tf.dispose([x]);
  model.dispose();
  stock.dispose();
});
