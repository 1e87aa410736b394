import * as tf from "@tensorflow/tfjs";
import { typeError } from "@selfsup/internal";
import { PaddedConv2D, type Padding2D } from "./_padded_conv2d.ts";

type Layer = tf.layers.Layer;
/** A call of a layer in a functional graph (tfjs-layers' `Node`, which tfjs does not export). */
type LayerNode = Layer["inboundNodes"][number];

const WHAT = "a functional tf.LayersModel";

/** The fields of tfjs's BatchNormalization layer that folding reads. */
interface BatchNormFields extends Layer {
  axis: number;
  epsilon: number;
  gamma?: tf.LayerVariable;
  beta?: tf.LayerVariable;
  movingMean: tf.LayerVariable;
  movingVariance: tf.LayerVariable;
}

/** Layers whose kernel's last axis is their output's last (channel) axis. */
const FOLDABLE_LINEAR = new Set(["Conv2D", PaddedConv2D.className, "Dense"]);

/**
 * An equivalent model for frozen (inference-mode) use, which runs fewer and cheaper kernels:
 * every batch norm that directly follows a `Conv2D` or `Dense` layer is folded into that
 * layer's kernel and a bias, a ReLU right after it becomes the layer's own activation, and a
 * `ZeroPadding2D` right before a `Conv2D` becomes the convolution's own padding.
 *
 * With scale = gamma / sqrt(moving variance + epsilon), the folded layer has kernel
 * `w * scale` (per output channel) and bias `(b - moving mean) * scale + beta` (b the layer's
 * own bias, or 0): the batch norm's inference formula applied to the layer's output.
 * tfjs-layers runs a `Conv2D` / `Dense` whose activation is `"relu"` as one fused kernel
 * (`tf.fused.conv2d` / `tf.fused.matMul`: product, bias and ReLU in one call), so a ResNet
 * block's conv -> batch norm -> ReLU becomes one kernel instead of three. A ReLU is a `ReLU`
 * layer without `maxValue` or an `Activation` layer with `"relu"`. tfjs's `Conv2D` pads only
 * TensorFlow's way ("same", more at the bottom and right), so a convolution that takes over a
 * symmetric padding becomes a `PaddedConv2D` (class name `SelfsupPaddedConv2D`, as the
 * encoders' strided convolutions already are; `saveModel` writes it as stock layers), one
 * `tf.fused.conv2d` call with explicit padding.
 *
 * A layer is folded only where that cannot change the result: the convolution or dense layer
 * has a linear activation, channels last, is called once in the model, and its output goes to
 * the batch norm alone (not also to another layer or to the model's outputs); the batch norm
 * normalises the last axis; the ReLU is the only reader of what it fuses, and the padding's
 * only reader is a `"valid"` convolution. Every other layer (pooling, adds, unfolded batch
 * norms, ...) is copied with its configuration and weights, so the result is equivalent for
 * any functional model, folded or not. Folding rounds differently from the batch norm: outputs
 * agree within float32 rounding (this package's tests hold ResNets to 1e-4 relative), not bit
 * for bit.
 *
 * Call the result with `training: false` (or `predict`): its batch norms are folded away, so
 * in training mode it would not normalise with batch statistics, and its layers are set
 * non-trainable. It shares no variables with the encoder, which is left untouched: build it
 * again after the encoder's weights change.
 *
 * @param encoder A functional `tf.LayersModel` (as `tf.model` or `tf.sequential` make, and
 *   every builder of this package), called in inference mode.
 * @returns A new `tf.LayersModel` with the encoder's inputs and outputs; the caller owns it and
 *   frees its weights with `model.dispose()`.
 * @throws {TypeError} If `encoder` is not a `tf.LayersModel`, has a model among its layers (a
 *   nested model: pass the inner model instead), or a layer whose class tfjs cannot rebuild
 *   from its configuration (a custom layer not registered with `tf.serialization`).
 *
 * @example Same features, fewer kernels
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { inferenceModel, resNet18 } from "@selfsup/encoders";
 * import assert from "node:assert/strict";
 *
 * const encoder = resNet18({ inputShape: [28, 28, 1], widthMultiplier: 0.125, seed: 1 });
 * const fast = inferenceModel(encoder);
 * const classes = (m: tf.LayersModel) => m.layers.map((l) => l.getClassName());
 * assert.equal(classes(encoder).filter((c) => c === "BatchNormalization").length, 20);
 * assert.equal(classes(fast).filter((c) => c === "BatchNormalization").length, 0);
 *
 * const images = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 7);
 * const h = encoder.apply(images, { training: false }) as tf.Tensor;
 * const hFast = fast.apply(images, { training: false }) as tf.Tensor;
 * const error = tf.max(tf.abs(tf.sub(h, hFast))).dataSync()[0];
 * assert.ok(error <= 1e-4 * (1 + tf.max(tf.abs(h)).dataSync()[0]));
 * tf.dispose([images, h, hFast]);
 * fast.dispose();
 * encoder.dispose();
 * ```
 */
export function inferenceModel(encoder: tf.LayersModel): tf.LayersModel {
  const fn = "inferenceModel";
  if (!(encoder instanceof tf.LayersModel)) throw typeError(fn, "encoder", WHAT, encoder);
  const inputs = encoder.inputs;
  const outputs = encoder.outputs;
  if (!Array.isArray(inputs) || !Array.isArray(outputs) || outputs.length === 0) {
    throw new TypeError(`${fn}(): encoder must be ${WHAT}, got a model that is not built`);
  }
  const graph = walk(fn, inputs, outputs);
  const plan = fusions(graph);

  const made: Layer[] = [];
  try {
    const tensors = new Map<number, tf.SymbolicTensor>();
    for (const t of inputs) {
      const input = tf.input({ batchShape: t.shape, dtype: t.dtype, name: t.sourceLayer.name });
      made.push(input.sourceLayer);
      tensors.set(t.id, input);
    }
    const clones = new Map<Layer, Layer>();
    for (const node of graph.nodes) {
      if (plan.absorbed.has(node)) continue;
      const fusion = plan.fusions.get(node);
      const first = fusion?.pad ?? node;
      const args = first.inputTensors.map((t) => tensors.get(t.id)!);
      const input = args.length === 1 ? args[0]! : args;
      const layer = node.outboundLayer;
      let outs: tf.SymbolicTensor[];
      if (fusion === undefined) {
        let clone = clones.get(layer);
        const fresh = clone === undefined;
        if (clone === undefined) {
          clone = rebuild(layer, {});
          made.push(clone);
          clones.set(layer, clone);
        }
        outs = [clone.apply(input, node.callArgs ?? {}) as tf.SymbolicTensor].flat();
        // The first call builds the clone's weights; a shared layer's later calls reuse them.
        if (fresh) clone.setWeights(layer.getWeights());
      } else {
        const clone = fusedLayer(layer, fusion);
        made.push(clone);
        outs = [clone.apply(input, node.callArgs ?? {}) as tf.SymbolicTensor];
        foldWeights(layer, fusion.batchNorm, clone);
      }
      const last = fusion?.relu ?? fusion?.batchNorm ?? node;
      last.outputTensors.forEach((t, i) => tensors.set(t.id, outs[i]!));
    }
    const model = tf.model({
      inputs: inputs.map((t) => tensors.get(t.id)!),
      outputs: outputs.map((t) => tensors.get(t.id)!),
      name: `${encoder.name}_inference`,
    });
    model.trainable = false;
    return model;
  } catch (error) {
    for (const layer of made) if (layer.built) layer.dispose();
    throw error;
  }
}

/** The encoder's graph: its layer calls in an order where each follows its inputs' makers. */
interface Graph {
  nodes: LayerNode[];
  /** How many calls (and model outputs) read each symbolic tensor, by id. */
  readers: Map<number, number>;
  /** How many calls of each layer the graph holds. */
  calls: Map<Layer, number>;
}

function walk(fn: string, inputs: tf.SymbolicTensor[], outputs: tf.SymbolicTensor[]): Graph {
  const inputIds = new Set(inputs.map((t) => t.id));
  const nodes: LayerNode[] = [];
  const done = new Set<LayerNode>();
  const readers = new Map<number, number>();
  const calls = new Map<Layer, number>();
  const read = (t: tf.SymbolicTensor) => readers.set(t.id, (readers.get(t.id) ?? 0) + 1);
  const nodeOf = (t: tf.SymbolicTensor) => t.sourceLayer.inboundNodes[t.nodeIndex]!;
  // Depth-first without recursion (a deep model must not overflow the stack): a node is
  // emitted once all the nodes making its inputs are.
  const stack: { node: LayerNode; expanded: boolean }[] = [];
  for (const t of outputs) {
    read(t);
    if (!inputIds.has(t.id)) stack.push({ node: nodeOf(t), expanded: false });
  }
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (done.has(top.node)) {
      stack.pop();
      continue;
    }
    if (!top.expanded) {
      top.expanded = true;
      checkLayer(fn, top.node.outboundLayer);
      for (const t of top.node.inputTensors) {
        if (inputIds.has(t.id)) continue;
        const node = nodeOf(t);
        if (!done.has(node)) stack.push({ node, expanded: false });
      }
      continue;
    }
    stack.pop();
    done.add(top.node);
    nodes.push(top.node);
    top.node.inputTensors.forEach(read);
    calls.set(top.node.outboundLayer, (calls.get(top.node.outboundLayer) ?? 0) + 1);
  }
  return { nodes, readers, calls };
}

function checkLayer(fn: string, layer: Layer): void {
  if (Array.isArray((layer as { layers?: unknown }).layers)) {
    throw new TypeError(
      `${fn}(): encoder must be ${WHAT} without nested models, got a model whose layer ` +
        `"${layer.name}" is a model (pass that model instead, or its layers in one model)`,
    );
  }
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  if (map[layer.getClassName()] === undefined) {
    throw new TypeError(
      `${fn}(): encoder must be ${WHAT} of layers registered with tf.serialization, got ` +
        `layer "${layer.name}" of the unregistered class ${layer.getClassName()}`,
    );
  }
}

/** A conv or dense call with what folds into it: padding before, batch norm and ReLU after. */
interface Fusion {
  pad?: LayerNode;
  batchNorm?: LayerNode;
  relu?: LayerNode;
}

/** Which calls fold which: fusions by their conv / dense call, and the calls they absorb. */
function fusions(graph: Graph): { fusions: Map<LayerNode, Fusion>; absorbed: Set<LayerNode> } {
  const { nodes, readers, calls } = graph;
  const makerOf = (t: tf.SymbolicTensor) => t.sourceLayer.inboundNodes[t.nodeIndex]!;
  // The call reading a node's single output, where it is the only reader (the model's outputs
  // count as readers).
  const soleReader = new Map<LayerNode, LayerNode>();
  for (const node of nodes) {
    for (const t of node.inputTensors) {
      const maker = makerOf(t);
      if (maker.outputTensors.length === 1 && readers.get(t.id) === 1) {
        soleReader.set(maker, node);
      }
    }
  }
  const result = new Map<LayerNode, Fusion>();
  const absorbed = new Set<LayerNode>();
  for (const node of nodes) {
    const layer = node.outboundLayer;
    const className = layer.getClassName();
    const config = layer.getConfig();
    if (
      !FOLDABLE_LINEAR.has(className) || calls.get(layer) !== 1 ||
      config.activation !== "linear" ||
      (className === "Conv2D" && config.dataFormat !== "channelsLast")
    ) {
      continue;
    }
    const fusion: Fusion = {};
    const before = node.inputTensors.length === 1 ? makerOf(node.inputTensors[0]!) : undefined;
    if (
      className === "Conv2D" && config.padding === "valid" && before !== undefined &&
      soleReader.get(before) === node && isChannelsLastZeroPadding(before)
    ) {
      fusion.pad = before;
    }
    let next = soleReader.get(node);
    if (next !== undefined && isLastAxisBatchNorm(next)) {
      fusion.batchNorm = next;
      next = soleReader.get(next);
    }
    if (next !== undefined && isRelu(next.outboundLayer)) fusion.relu = next;
    const parts = [fusion.pad, fusion.batchNorm, fusion.relu].filter((n) => n !== undefined);
    if (parts.length === 0) continue;
    result.set(node, fusion);
    for (const part of parts) absorbed.add(part);
  }
  return { fusions: result, absorbed };
}

function isChannelsLastZeroPadding(node: LayerNode): boolean {
  const layer = node.outboundLayer;
  return layer.getClassName() === "ZeroPadding2D" &&
    layer.getConfig().dataFormat === "channelsLast";
}

function isLastAxisBatchNorm(node: LayerNode): boolean {
  const layer = node.outboundLayer as BatchNormFields;
  if (layer.getClassName() !== "BatchNormalization") return false;
  const rank = node.inputTensors[0]!.rank;
  return layer.axis === -1 || layer.axis === rank - 1;
}

function isRelu(layer: Layer): boolean {
  const config = layer.getConfig();
  if (layer.getClassName() === "ReLU") return config.maxValue == null;
  return layer.getClassName() === "Activation" && config.activation === "relu";
}

/** A new layer of `layer`'s class from its configuration with `changes` applied. */
function rebuild(layer: Layer, changes: tf.serialization.ConfigDict): Layer {
  const map = tf.serialization.SerializationMap.getMap().classNameMap;
  const [cls, fromConfig] = map[layer.getClassName()]!;
  return fromConfig(cls, withZeroInitializers({ ...layer.getConfig(), ...changes })) as Layer;
}

/**
 * `config` with every initializer replaced by zeros: the weights are overwritten right after
 * the layer is built, and a seeded random initializer would cost time for nothing.
 */
function withZeroInitializers(config: tf.serialization.ConfigDict): tf.serialization.ConfigDict {
  const zeros = { className: "Zeros", config: {} };
  return Object.fromEntries(
    Object.entries(config).map(([k, v]) => [k, k.endsWith("Initializer") && v != null ? zeros : v]),
  );
}

/** The conv / dense layer `layer` with what `fusion` folds into it (weights not yet set). */
function fusedLayer(layer: Layer, fusion: Fusion): Layer {
  const config = layer.getConfig();
  const changes: tf.serialization.ConfigDict = {
    useBias: config.useBias === true || fusion.batchNorm !== undefined,
    activation: fusion.relu === undefined ? "linear" : "relu",
  };
  if (fusion.pad === undefined) return rebuild(layer, changes);
  return new PaddedConv2D(withZeroInitializers({
    ...config,
    ...changes,
    explicitPadding: fusion.pad.outboundLayer.getConfig().padding as Padding2D,
  }));
}

/**
 * Writes `clone`'s kernel and bias: `layer`'s kernel and bias with the batch norm of `bnNode`
 * (if any) applied to their output channels.
 */
function foldWeights(layer: Layer, bnNode: LayerNode | undefined, clone: Layer): void {
  tf.tidy(() => {
    const [kernel, bias] = layer.getWeights() as [tf.Tensor, tf.Tensor | undefined];
    if (bnNode === undefined) {
      clone.setWeights(bias === undefined ? [kernel] : [kernel, bias]);
      return;
    }
    const bn = bnNode.outboundLayer as BatchNormFields;
    const mean = bn.movingMean.read();
    let scale = tf.rsqrt(tf.add(bn.movingVariance.read(), bn.epsilon));
    if (bn.gamma !== undefined) scale = tf.mul(scale, bn.gamma.read());
    let shift = tf.mul(bias === undefined ? tf.neg(mean) : tf.sub(bias, mean), scale);
    if (bn.beta !== undefined) shift = tf.add(shift, bn.beta.read());
    clone.setWeights([tf.mul(kernel, scale), shift]);
  });
}
