// A Conv2D with explicit zero padding, for `inferenceModel`: tfjs-layers' Conv2D pads only
// "same" (TensorFlow's, more at the bottom/right) or not at all, so the encoders pad
// symmetrically with a ZeroPadding2D layer before their strided convolutions. That costs a
// padded copy of the input, and on the blas backend the unpadded geometry (whose last window
// ends before the input does) leaves oneDNN for a slower path; `tf.fused.conv2d` takes the
// padding itself.
import * as tf from "@tensorflow/tfjs";
import { stockConv2DClass } from "./_stock_conv2d.ts";

/** Zero rows / columns added before and after: `[[top, bottom], [left, right]]`. */
export type Padding2D = [[number, number], [number, number]];

/** tfjs's Conv2D ("valid") after `explicitPadding` zeros, in one `tf.fused.conv2d` call. */
export class PaddedConv2D extends stockConv2DClass() {
  /** The class name under which tfjs serialises (and, once registered, loads) the layer. */
  static className = "SelfsupPaddedConv2D";
  readonly explicitPadding: Padding2D;

  constructor(args: tf.serialization.ConfigDict) {
    const { explicitPadding, ...rest } = args;
    super({ ...rest, padding: "valid", dataFormat: "channelsLast" });
    this.explicitPadding = explicitPadding as Padding2D;
  }

  override computeOutputShape(inputShape: tf.Shape | tf.Shape[]): tf.Shape | tf.Shape[] {
    const shape = (Array.isArray(inputShape[0]) ? inputShape[0] : inputShape) as tf.Shape;
    const [[top, bottom], [left, right]] = this.explicitPadding;
    const grow = (d: number | null, by: number) => (d === null ? null : d + by);
    return super.computeOutputShape([
      shape[0]!,
      grow(shape[1]!, top + bottom),
      grow(shape[2]!, left + right),
      shape[3]!,
    ]);
  }

  override call(inputs: tf.Tensor | tf.Tensor[]): tf.Tensor {
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      const activation = this.activation.getClassName();
      const fused = activation === "relu" || activation === "linear";
      const [[top, bottom], [left, right]] = this.explicitPadding;
      const y = tf.fused.conv2d({
        x,
        filter: this.kernel.read() as tf.Tensor4D,
        strides: this.strides as [number, number],
        pad: [[0, 0], [top, bottom], [left, right], [0, 0]],
        dilations: this.dilationRate as [number, number],
        dataFormat: "NHWC",
        bias: this.bias?.read(),
        activation: fused ? activation as "relu" | "linear" : "linear",
      });
      return fused ? y : this.activation.apply(y);
    });
  }

  /** Builds the layer from {@linkcode PaddedConv2D.getConfig}'s output (tfjs's loader calls it). */
  static fromConfig(
    cls: new (args: tf.serialization.ConfigDict) => PaddedConv2D,
    config: tf.serialization.ConfigDict,
  ): PaddedConv2D {
    return new cls(config);
  }

  override getConfig(): tf.serialization.ConfigDict {
    return { ...super.getConfig(), explicitPadding: this.explicitPadding };
  }
}

tf.serialization.registerClass(PaddedConv2D);
