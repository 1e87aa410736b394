// tfjs-layers' own Conv2D class, which tfjs does not export, for the layers that refine it.
import * as tf from "@tensorflow/tfjs";

/** The tfjs Conv2D fields the subclasses read (tfjs declares them protected). */
export interface Conv2DFields extends tf.layers.Layer {
  kernel: tf.LayerVariable;
  bias: tf.LayerVariable | null;
  strides: number[];
  padding: "same" | "valid" | "causal";
  dilationRate: number[];
  activation: { getClassName(): string; apply(x: tf.Tensor): tf.Tensor };
}

/** What tfjs's Conv2D constructor takes: `tf.layers.conv2d`'s arguments, or a loaded config. */
export type Conv2DArgs = Parameters<typeof tf.layers.conv2d>[0] | tf.serialization.ConfigDict;

/** A constructor of tfjs's Conv2D layer. */
export type Conv2DClass = new (args: Conv2DArgs) => Conv2DFields;

/** tfjs's Conv2D layer class, as registered for deserialisation. */
export function stockConv2DClass(): Conv2DClass {
  const entry = tf.serialization.SerializationMap.getMap().classNameMap["Conv2D"];
  if (entry === undefined) throw new Error("tfjs has no Conv2D layer registered");
  return entry[0] as unknown as Conv2DClass;
}
