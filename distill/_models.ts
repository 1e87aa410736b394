// Checks of the models the package takes: encoders, heads and logits models.
import * as tf from "@tensorflow/tfjs";
import { rangeErrorAs, shapeText, typeErrorAs } from "./_errors.ts";
import { typeError } from "@selfsup/internal";

const BLOCK_NAME = /^layer(\d+)_/;

/** The number of linear layers of a head, as `headUpTo` counts them. */
export function headLayers(head: tf.LayersModel): number {
  let layers = 0;
  for (const layer of head.layers) {
    const match = BLOCK_NAME.exec(layer.name);
    if (match) layers = Math.max(layers, Number(match[1]));
  }
  return layers;
}

/** The representation width D of an encoder `[N, H, W, C] -> [N, D]`. */
export function encoderWidth(fn: string, encoder: unknown): number {
  if (!(encoder instanceof tf.LayersModel)) {
    throw typeError(fn, "encoder", "a tf.LayersModel", encoder);
  }
  if (encoder.inputs.length !== 1 || encoder.outputs.length !== 1) {
    throw typeErrorAs(
      fn,
      "encoder",
      "a model with one input and one output",
      modelText(encoder),
    );
  }
  const out = encoder.outputs[0].shape;
  if (out.length !== 2 || typeof out[1] !== "number") {
    throw typeErrorAs(
      fn,
      "encoder",
      "a model whose output is h [N, D]",
      `output ${shapeText(out)}`,
    );
  }
  return out[1];
}

export function checkHead(fn: string, head: unknown, width: number): void {
  if (!(head instanceof tf.LayersModel)) {
    throw typeError(fn, "head", "a tf.LayersModel", head);
  }
  if (head.inputs.length !== 1 || head.outputs.length !== 1) {
    throw typeErrorAs(
      fn,
      "head",
      "a model with one input and one output",
      modelText(head),
    );
  }
  const input = head.inputs[0].shape;
  if (input.length !== 2 || input[1] !== width) {
    throw rangeErrorAs(
      fn,
      "head",
      `a head taking the encoder's output width [N, ${width}]`,
      `input ${shapeText(input)}`,
    );
  }
}

/** A model for messages: its name, inputs and outputs. */
export function modelText(model: tf.LayersModel): string {
  const { inputs, outputs } = model;
  return `model "${model.name}" with ${inputs.length} input(s) and ${outputs.length} output(s)`;
}

/** The class count a logits model produces: the width of its single `[N, K]` output. */
export function classCount(fn: string, name: string, model: unknown): number {
  if (!(model instanceof tf.LayersModel)) {
    throw typeError(fn, name, "a tf.LayersModel", model);
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw typeErrorAs(
      fn,
      name,
      "a model with one input and one output",
      modelText(model),
    );
  }
  const shape = model.outputs[0].shape;
  const k = shape[1];
  if (shape.length !== 2 || typeof k !== "number") {
    throw typeErrorAs(
      fn,
      name,
      "a model whose output is logits [N, K]",
      `output ${shapeText(shape)}`,
    );
  }
  if (k < 2) {
    throw rangeErrorAs(
      fn,
      name,
      "a model with at least 2 classes",
      `${k} class`,
    );
  }
  return k;
}
