import * as tf from "@tensorflow/tfjs";
import {
  applyBatchNorm,
  applyRelu,
  applyTo,
  checkInteger,
  checkModelName,
  checkOptions,
  checkSeed,
  layerSeed,
} from "@selfsup/internal";

/** Options of {@linkcode byolProjector} and {@linkcode byolPredictor}. */
export interface ByolMlpOptions {
  /** Width of the input, `[N, inputDim]`. */
  inputDim: number;
  /** Width of the hidden layer; default 4096, as BYOL. */
  hiddenDim?: number;
  /** Width of the output; default 256, as BYOL. */
  outputDim?: number;
  /** Integer seed of every initializer. */
  seed: number;
  /** Model name; default `"byol_projector"` or `"byol_predictor"`. */
  name?: string;
}

/**
 * BYOL's MLP (Grill et al. 2020, arXiv:2006.07733, Sec. 3.3): Linear(hiddenDim) -> BN -> ReLU
 * -> Linear(outputDim), both linear layers with bias. Kernels start as Haiku's `hk.Linear`
 * (truncated normal, standard deviation 1 / sqrt(fan_in)), biases at 0.
 *
 * @param fn The public function the user called, for errors.
 */
export function byolMlp(
  options: ByolMlpOptions,
  defaultName: string,
  fn: string,
): tf.LayersModel {
  checkOptions(fn, options);
  const { inputDim, hiddenDim = 4096, outputDim = 256, seed, name = defaultName } = options;
  checkInteger(fn, "inputDim", inputDim, { min: 1 });
  checkInteger(fn, "hiddenDim", hiddenDim, { min: 1 });
  checkInteger(fn, "outputDim", outputDim, { min: 1 });
  checkSeed(fn, seed);
  checkModelName(fn, name);
  const dense = (layerName: string, units: number) =>
    tf.layers.dense({
      name: layerName,
      units,
      kernelInitializer: tf.initializers.varianceScaling({
        scale: 1,
        mode: "fanIn",
        distribution: "normal", // tfjs draws "normal" from a normal truncated at 2 sd
        // The kind joins the name so a projector and a predictor built with one seed differ.
        seed: layerSeed(seed, `${defaultName}/${layerName}`),
      }),
    });
  const input = tf.input({ shape: [inputDim], name: "input" });
  let x = applyTo(dense("layer1_dense", hiddenDim), input);
  x = applyRelu(applyBatchNorm(x, "layer1_bn"), "layer1_relu");
  x = applyTo(dense("layer2_dense", outputDim), x);
  return tf.model({ inputs: input, outputs: x, name });
}
