import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { representationDim } from "./representation_dim.ts";
import { resNet } from "./res_net.ts";
import { smallConvNet } from "./small_conv_net.ts";

tf.enableProdMode();

Deno.test("representationDim() reads D from the library's encoders and from a user's model", () => {
  const models: [tf.LayersModel, number][] = [
    [resNet({ depth: 18, inputShape: [8, 8, 3], widthMultiplier: 0.5, seed: 0 }), 256],
    [resNet({ depth: 50, inputShape: [8, 8, 3], widthMultiplier: 0.25, seed: 0 }), 512],
    [smallConvNet({ inputShape: [8, 8, 1], filters: [3, 7], seed: 0 }), 7],
    [tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 9 })] }), 9],
  ];
  for (const [model, d] of models) {
    assert.equal(representationDim(model), d);
    model.dispose();
  }
});

Deno.test("representationDim() rejects models without a single [N, D] output", () => {
  const input = tf.input({ shape: [4, 4, 2] });
  const conv = tf.layers.conv2d({ filters: 3, kernelSize: 1 }).apply(input) as tf.SymbolicTensor;
  const pooled = tf.layers.globalAveragePooling2d({}).apply(conv) as tf.SymbolicTensor;
  const spatial = tf.model({ inputs: input, outputs: conv });
  const flat = tf.layers.flatten().apply(conv) as tf.SymbolicTensor;
  const twoOutputs = tf.model({ inputs: input, outputs: [pooled, flat] });
  const what = "representationDim(): model must be a model with one output of shape [N, D] and " +
    "a known D, got";
  assert.throws(() => representationDim(spatial), {
    name: "TypeError",
    message: `${what} a model whose output has shape [null, 4, 4, 3]`,
  });
  assert.throws(() => representationDim(twoOutputs), {
    name: "TypeError",
    message: `${what} a model with 2 outputs`,
  });
  assert.throws(() => representationDim(undefined as never), {
    name: "TypeError",
    message: `${what} undefined`,
  });
  spatial.dispose(); // frees the conv kernel both models share
});
