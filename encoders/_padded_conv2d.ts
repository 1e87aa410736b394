// A Conv2D with explicit zero padding: tfjs-layers' Conv2D pads only "same" (TensorFlow's,
// more at the bottom/right) or not at all, and the encoders' strided convolutions pad
// symmetrically, as torchvision's. A ZeroPadding2D layer before a "valid" Conv2D would cost a
// padded copy of the input each step (and a Slice of its gradient), and on the blas backend the
// unpadded geometry (whose last window ends before the input does) leaves oneDNN for a slower
// path; the convolution ops take the padding themselves. Without bias and activation (every
// convolution of the encoders) it runs the plain `tf.conv2d` op, whose gradients are computed
// only for what the tape asks for (see _lazy_gradient_conv2d.ts); `inferenceModel` gives it a
// bias and a ReLU, run as one `tf.fused.conv2d` call.
import * as tf from "@tensorflow/tfjs";
import { type Conv2DArgs, stockConv2DClass } from "./_stock_conv2d.ts";

/** Zero rows / columns added before and after: `[[top, bottom], [left, right]]`. */
export type Padding2D = [[number, number], [number, number]];

/** tfjs's Conv2D ("valid") after `explicitPadding` zeros, in one convolution op call. */
export class PaddedConv2D extends stockConv2DClass() {
  /** The class name under which tfjs serialises (and, once registered, loads) the layer. */
  static className = "SelfsupPaddedConv2D";
  readonly explicitPadding: Padding2D;

  constructor(args: Conv2DArgs & { explicitPadding?: unknown }) {
    const { explicitPadding, ...rest } = args;
    super({ ...rest, padding: "valid", dataFormat: "channelsLast" } as Conv2DArgs);
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
      const [[top, bottom], [left, right]] = this.explicitPadding;
      const pad: tf.backend_util.ExplicitPadding = [[0, 0], [top, bottom], [left, right], [0, 0]];
      const filter = this.kernel.read() as tf.Tensor4D;
      const strides = this.strides as [number, number];
      if (this.bias === null && activation === "linear") {
        return tf.conv2d(x, filter, strides, pad, "NHWC", this.dilationRate as [number, number]);
      }
      const fused = activation === "relu" || activation === "linear";
      const y = tf.fused.conv2d({
        x,
        filter,
        strides,
        pad,
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
