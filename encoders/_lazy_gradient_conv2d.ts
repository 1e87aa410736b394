// tfjs's Conv2D layer, run through the plain `tf.conv2d` op where it has no bias and no
// activation (every convolution of the encoders). tfjs-layers calls `tf.fused.conv2d`, whose
// gradient computes the input's gradient and the filter's together, even where the input's is
// not needed: at the first layer that is the image's gradient, a full convolution per step
// thrown away. The plain op's gradients are computed only for what the tape asks for.
// Same outputs and gradients; serialised as "Conv2D", so a saved model is the stock layer.
import * as tf from "@tensorflow/tfjs";
import { stockConv2DClass } from "./_stock_conv2d.ts";

/** Conv2D whose unneeded input gradient is never computed. */
export class LazyGradientConv2D extends stockConv2DClass() {
  /** Serialised (and loaded back) as tfjs's own Conv2D. */
  static className = "Conv2D";

  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: tf.serialization.ConfigDict): tf.Tensor {
    if (this.bias !== null || this.activation.getClassName() !== "linear") {
      return super.call(inputs, kwargs) as tf.Tensor;
    }
    return tf.tidy(() => {
      const x = (Array.isArray(inputs) ? inputs[0] : inputs) as tf.Tensor4D;
      return tf.conv2d(
        x,
        this.kernel.read() as tf.Tensor4D,
        this.strides as [number, number],
        this.padding as "same" | "valid",
        "NHWC",
        this.dilationRate as [number, number],
      );
    });
  }
}
