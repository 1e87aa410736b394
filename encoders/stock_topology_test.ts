import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { resNet18 } from "./res_net.ts";
import { PaddedConv2D } from "./_padded_conv2d.ts";
import { fromStockTopology, toStockTopology } from "./_stock_topology.ts";

tf.enableProdMode();
await tf.setBackend("cpu");

type Json = Record<string, unknown>;
type Layer = { name: string; class_name: string; config: Json; inbound_nodes?: unknown[] };

const topologyOf = (model: tf.LayersModel) => model.toJSON(null, false) as Json;
const layersOf = (topology: object) => ((topology as Json).config as Json).layers as Layer[];
const classes = (topology: object) => layersOf(topology).map((l) => l.class_name);
const build = (topology: object) =>
  tf.models.modelFromJSON(
    { modelTopology: topology } as Parameters<
      typeof tf.models.modelFromJSON
    >[0],
  );

/** Whether two models give the same bits on the same batch. */
function sameOutputs(a: tf.LayersModel, b: tf.LayersModel, shape: number[]): void {
  const x = tf.randomUniform(shape, -1, 1, "float32", 5);
  const [ya, yb] = [a.predict(x), b.predict(x)] as tf.Tensor[];
  assert.deepEqual(yb!.dataSync(), ya!.dataSync());
  tf.dispose([x, ya!, yb!]);
}

Deno.test("toStockTopology writes each padded convolution as ZeroPadding2D + Conv2D, fromStockTopology merges them back", async () => {
  const encoder = resNet18({ inputShape: [10, 10, 2], widthMultiplier: 0.125, seed: 2 });
  const topology = topologyOf(encoder);
  assert.equal(classes(topology).filter((c) => c === "SelfsupPaddedConv2D").length, 3);

  const stock = toStockTopology(topology);
  assert.equal(classes(stock).filter((c) => c === "SelfsupPaddedConv2D").length, 0);
  const pad = layersOf(stock).find((l) => l.name === "stage2_block1_conv1_pad")!;
  const conv = layersOf(stock).find((l) => l.name === "stage2_block1_conv1")!;
  assert.equal(pad.class_name, "ZeroPadding2D");
  assert.deepEqual(pad.config.padding, [[1, 1], [1, 1]]);
  assert.deepEqual(pad.inbound_nodes, [[["stage1_block2_out", 0, 0, {}]]]);
  assert.equal(conv.class_name, "Conv2D");
  assert.equal(conv.config.padding, "valid");
  assert.equal("explicit_padding" in conv.config, false);
  assert.deepEqual(conv.inbound_nodes, [[["stage2_block1_conv1_pad", 0, 0, {}]]]);
  // The pad comes right before its convolution; nothing else moves.
  const names = layersOf(stock).map((l) => l.name);
  assert.equal(names.indexOf(pad.name) + 1, names.indexOf(conv.name));
  assert.equal(names.length, layersOf(topology).length + 3);

  assert.deepEqual(fromStockTopology(stock), topology);
  // The topology itself is not changed.
  assert.equal(classes(topology).filter((c) => c === "SelfsupPaddedConv2D").length, 3);

  // The stock model (stock layers only) gives the encoder's outputs bit for bit.
  const model = await build(stock);
  assert.ok(model.layers.every((l) => !(l instanceof PaddedConv2D)));
  model.setWeights(encoder.getWeights());
  sameOutputs(encoder, model, [3, 10, 10, 2]);
  model.dispose();
  encoder.dispose();
});

/** input -> ZeroPadding2D `padName` (padding) -> Conv2D `c` (valid, stride 2) -> more. */
function stockModel(
  options: { padName?: string; padding?: unknown; convPadding?: "same" | "valid" } = {},
) {
  const input = tf.input({ shape: [9, 9, 2], name: "input" });
  const padded = tf.layers.zeroPadding2d({
    padding: (options.padding ?? [[1, 2], [0, 1]]) as [[number, number], [number, number]],
    name: options.padName ?? "c_pad",
  }).apply(input) as tf.SymbolicTensor;
  const conv = tf.layers.conv2d({
    filters: 3,
    kernelSize: 3,
    strides: 2,
    padding: options.convPadding ?? "valid",
    name: "c",
    kernelInitializer: tf.initializers.randomNormal({ seed: 7 }),
  }).apply(padded) as tf.SymbolicTensor;
  const out = tf.layers.flatten({ name: "flat" }).apply(conv) as tf.SymbolicTensor;
  return { input, padded, conv, out };
}

Deno.test("fromStockTopology merges a saved pair (incl. the encoders' older files) into a PaddedConv2D with the same outputs", async () => {
  for (const padding of [[[1, 2], [0, 1]], 2, [1, 3]]) {
    const { input, out } = stockModel({ padding });
    const stock = tf.model({ inputs: input, outputs: out });
    const merged = fromStockTopology(topologyOf(stock));
    assert.deepEqual(classes(merged), ["InputLayer", "SelfsupPaddedConv2D", "Flatten"]);
    const model = await build(merged);
    const layer = model.getLayer("c") as PaddedConv2D;
    assert.ok(layer instanceof PaddedConv2D);
    const pairs = typeof padding === "number"
      ? [[padding, padding], [padding, padding]]
      : Array.isArray(padding[0])
      ? padding
      : (padding as number[]).map((p) => [p, p]);
    assert.deepEqual(layer.explicitPadding, pairs);
    model.setWeights(stock.getWeights());
    sameOutputs(stock, model, [2, 9, 9, 2]);
    // And back: stock again, the same layers.
    assert.deepEqual(classes(toStockTopology(merged)), classes(topologyOf(stock)));
    stock.dispose();
    model.dispose();
  }
});

Deno.test("fromStockTopology leaves a pad alone unless it is `<conv>_pad` and read by that valid convolution only", () => {
  const unchanged = (model: tf.LayersModel) => {
    const topology = topologyOf(model);
    assert.deepEqual(fromStockTopology(topology), topology);
    model.dispose();
  };
  // Another name.
  let m = stockModel({ padName: "padding" });
  unchanged(tf.model({ inputs: m.input, outputs: m.out }));
  // A "same" convolution.
  m = stockModel({ convPadding: "same" });
  unchanged(tf.model({ inputs: m.input, outputs: m.out }));
  // The pad is also read by another layer.
  m = stockModel();
  const also = tf.layers.flatten({ name: "also" }).apply(m.padded) as tf.SymbolicTensor;
  unchanged(tf.model({ inputs: m.input, outputs: [m.out, also] }));
  // The pad is one of the model's outputs.
  m = stockModel();
  unchanged(tf.model({ inputs: m.input, outputs: [m.out, m.padded] }));
});

Deno.test("toStockTopology rewrites models nested in a model, and Sequential ones", () => {
  const encoder = resNet18({ inputShape: [8, 8, 1], widthMultiplier: 0.0625, seed: 1 });
  const input = tf.input({ shape: [8, 8, 1] });
  const outer = tf.model({
    inputs: input,
    outputs: tf.layers.dense({ units: 2, name: "fc" }).apply(
      encoder.apply(input) as tf.SymbolicTensor,
    ) as tf.SymbolicTensor,
  });
  const stock = toStockTopology(topologyOf(outer));
  const inner = layersOf(stock).find((l) =>
    l.class_name === "Model" || l.class_name === "Functional"
  )!;
  assert.ok(inner !== undefined);
  assert.equal(classes(inner).filter((c) => c === "SelfsupPaddedConv2D").length, 0);
  assert.equal(classes(inner).filter((c) => c === "ZeroPadding2D").length, 3);
  assert.deepEqual(fromStockTopology(stock), topologyOf(outer));

  const sequential = tf.sequential({
    layers: [
      tf.layers.dense({ units: 4 * 4 * 2, inputShape: [3] }),
      tf.layers.reshape({ targetShape: [4, 4, 2] }),
      new PaddedConv2D({
        filters: 1,
        kernelSize: 3,
        strides: 2,
        explicitPadding: [[1, 1], [1, 1]],
      }),
    ],
  });
  const seq = toStockTopology(topologyOf(sequential));
  assert.deepEqual(classes(seq), ["Dense", "Reshape", "ZeroPadding2D", "Conv2D"]);
  assert.equal(layersOf(seq)[2]!.inbound_nodes, undefined);
  outer.dispose();
  sequential.dispose();
});
