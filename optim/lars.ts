import * as tf from "@tensorflow/tfjs";
import {
  checkBoolean,
  checkNumber,
  checkOptions,
  checkProbability,
  rangeError,
  typeError,
} from "@selfsup/internal";

// The public function that option errors name, also for the constructor: most code calls lars().
const FN = "lars";

/**
 * The variable-name patterns that {@linkcode lars} excludes from weight decay and from the
 * trust ratio by default: google-research/simclr's `['batch_normalization', 'bias']` adapted to
 * TensorFlow.js weight names.
 *
 * TensorFlow.js names a layer's variables `<layer name>/<weight name>`, e.g.
 * `conv2d_Conv2D1/bias`, `batch_normalization_BatchNormalization1/gamma`, or `dense_1/bias_1`
 * when a name is taken twice. `batch_normalization` and `bias` match those as in the reference;
 * `/gamma` and `/beta` also catch the scale and offset of a normalisation layer that was given
 * its own name (`tf.layers.batchNormalization({ name: "stem_bn" })` makes `stem_bn/gamma`).
 * Patterns are regular expressions searched anywhere in the name, like Python's `re.search`.
 *
 * @example The default patterns against TensorFlow.js names
 * ```ts
 * import { lars } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const optimizer = lars({ learningRate: 0.1 });
 * assert.ok(optimizer.isExcluded("batch_normalization_BatchNormalization1/gamma"));
 * assert.ok(optimizer.isExcluded("stem_bn/beta"));
 * assert.ok(optimizer.isExcluded("dense_1/bias_1"));
 * assert.ok(!optimizer.isExcluded("conv2d_Conv2D1/kernel"));
 * optimizer.dispose();
 * ```
 */
export const DEFAULT_LARS_EXCLUDE: readonly string[] = Object.freeze([
  "batch_normalization",
  "bias",
  "/gamma",
  "/beta",
]);

/**
 * Options for {@linkcode lars} and the {@linkcode LarsOptimizer} constructor.
 *
 * @example SimCLR's settings (the learning rate comes from a schedule)
 * ```ts
 * import { lars, type LarsOptions } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const options: LarsOptions = { learningRate: 0, momentum: 0.9, weightDecay: 1e-6, eta: 0.001 };
 * const optimizer = lars(options);
 * assert.equal(optimizer.getConfig().momentum, 0.9);
 * optimizer.dispose();
 * ```
 */
export interface LarsOptions {
  /** Learning rate; finite, >= 0. Change it between steps with `optimizer.learningRate = x`. */
  learningRate: number;
  /** Momentum coefficient, in [0, 1]. Defaults to 0.9. */
  momentum?: number;
  /** L2 weight-decay coefficient added to the gradient; finite, >= 0. Defaults to 0. */
  weightDecay?: number;
  /** Trust coefficient eta of the trust ratio `eta * |w| / |g|`; finite, > 0. Defaults to 0.001. */
  eta?: number;
  /**
   * Which variables skip both weight decay and the trust ratio, judged by variable name: either
   * regular-expression patterns (a variable is excluded when any pattern matches anywhere in its
   * name) or a predicate on the name. Defaults to {@linkcode DEFAULT_LARS_EXCLUDE}. A predicate
   * cannot be serialised: use patterns if the optimizer's config must be saved.
   */
  exclude?: readonly string[] | ((name: string) => boolean);
  /** Use Nesterov momentum. Defaults to false. */
  nesterov?: boolean;
  /**
   * Classic momentum (the default, true) scales the gradient by `lr * trustRatio` before it
   * enters the momentum buffer; false gives the reference's "popular" momentum, which
   * accumulates raw gradients and scales the step, with the trust ratio taken on the step.
   */
  classicMomentum?: boolean;
}

/**
 * A tensor with a name, as `getWeights`/`setWeights` and `applyGradients` exchange them.
 *
 * @example The iteration count, as `getWeights()` returns it first
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { lars, type NamedTensor } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const optimizer = lars({ learningRate: 0.1 });
 * const state: NamedTensor[] = await optimizer.getWeights();
 * assert.equal(state[0].name, "iter");
 * tf.dispose(state.map((s) => s.tensor));
 * optimizer.dispose();
 * ```
 */
export interface NamedTensor {
  /** The variable or state name, e.g. `dense_Dense1/kernel` or `iter`. */
  name: string;
  /** The value. */
  tensor: tf.Tensor;
}

interface Accumulator {
  originalName: string;
  variable: tf.Variable;
  // The variable this buffer belongs to; null for a buffer restored by setWeights until the
  // next step binds it to whatever variable is at its position.
  owner: string | null;
}

/**
 * LARS, layer-wise adaptive rate scaling (You, Gitman and Ginsburg, 2017, arXiv:1708.03888),
 * exactly as google-research/simclr `lars_optimizer.py` implements it for SimCLR. Build one
 * with {@linkcode lars}.
 *
 * For each variable `w` with gradient `g`, unless `w` is excluded (see `exclude`):
 * `g <- g + weightDecay * w`, and the step size is `lr * trustRatio` with
 * `trustRatio = eta * |w| / |g|`, or 1 when `|w|` or `|g|` is 0 (L2 norms over the whole
 * variable). Excluded variables get neither: their step size is `lr`. With classic momentum
 * (the default) the momentum buffer is `v <- momentum * v + lr * trustRatio * g` and
 * `w <- w - v` (Nesterov: `w <- w - (momentum * v + lr * trustRatio * g)`).
 *
 * Variables are recognised by name, as in the reference. A training loop that passes
 * `model.trainableWeights.map((w) => w.read())` to `minimize` hands the optimizer the
 * variables' TensorFlow.js names (`<layer name>/<weight name>`, with `_1`, `_2`... appended
 * when a name is taken twice), and `exclude` is matched against those names.
 *
 * Momentum buffers belong to positions in the gradient list, as in TensorFlow.js'
 * `MomentumOptimizer`: pass the same variables in the same order every step (one optimizer per
 * variable list). A different variable, or a different shape, at a position is an error, not a
 * silent mix-up. Buffers restored by {@linkcode LarsOptimizer.setWeights} bind to whichever
 * variables the next step passes at their positions, so a checkpoint restores into a freshly
 * loaded model even when its variables got different unique names.
 *
 * The learning rate is a plain property: set `optimizer.learningRate = schedule(step)` before
 * each step. It serialises like TensorFlow.js' built-in optimizers (`getConfig`, `fromConfig`,
 * registered with `tf.serialization.registerClass` under `"LARSOptimizer"`), and
 * `getWeights`/`setWeights` carry the iteration count and the momentum buffers, so a checkpoint
 * resumes bit-exactly.
 *
 * @example A SimCLR-style step
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { LarsOptimizer } from "@selfsup/optim";
 *
 * const model = tf.sequential({
 *   layers: [tf.layers.dense({ inputShape: [3], units: 2, kernelInitializer: "ones" })],
 * });
 * const optimizer = new LarsOptimizer({ learningRate: 0.3, weightDecay: 1e-6 });
 * const x = tf.ones([4, 3]);
 * optimizer.minimize(
 *   () => tf.mean(tf.square(model.apply(x, { training: true }) as tf.Tensor)),
 *   false,
 *   model.trainableWeights.map((w) => w.read() as tf.Variable),
 * );
 * // Every gradient entry is 3. The bias is excluded: plain momentum SGD, 0 - 0.3 * 3. The
 * // kernel moves by lr * trustRatio * 3, with trustRatio = 0.001 * |w| / |g| ~ 1/3000.
 * const [kernel, bias] = model.getWeights().map((w) => Array.from(w.dataSync()));
 * assert.ok(bias.every((b) => Math.abs(b + 0.9) < 1e-6));
 * assert.ok(kernel.every((k) => Math.abs(k - (1 - 0.0003)) < 1e-6));
 * x.dispose();
 * model.dispose();
 * optimizer.dispose();
 * ```
 */
export class LarsOptimizer extends tf.Optimizer {
  /** The name this class is registered under in `tf.serialization`. */
  static get className(): string {
    return "LARSOptimizer";
  }

  #learningRate: number;
  readonly #momentum: number;
  readonly #weightDecay: number;
  readonly #eta: number;
  readonly #exclude: readonly string[] | ((name: string) => boolean);
  readonly #isExcluded: (name: string) => boolean;
  readonly #nesterov: boolean;
  readonly #classicMomentum: boolean;
  #accumulators: Accumulator[] = [];

  /**
   * Builds a LARS optimizer; {@linkcode lars} is the same as `new LarsOptimizer(options)`.
   *
   * Errors name `lars()`, the function most code calls, also when the constructor is called.
   *
   * @param options Hyper-parameters; see {@linkcode LarsOptions}.
   * @throws {TypeError} If `options` is not an object, or an option has the wrong type.
   * @throws {RangeError} If a number is out of range (see {@linkcode LarsOptions}) or a
   * pattern in `exclude` is not a valid regular expression.
   */
  constructor(options: LarsOptions) {
    super();
    checkOptions(FN, options);
    const given = <T>(value: T | undefined, fallback: T) => value === undefined ? fallback : value;
    this.#learningRate = checkNumber(FN, "learningRate", options.learningRate, { min: 0 });
    this.#momentum = checkProbability(FN, "momentum", given(options.momentum, 0.9));
    this.#weightDecay = checkNumber(FN, "weightDecay", given(options.weightDecay, 0), { min: 0 });
    this.#eta = checkNumber(FN, "eta", given(options.eta, 0.001), { above: 0 });
    this.#nesterov = checkBoolean(FN, "nesterov", given(options.nesterov, false));
    this.#classicMomentum = checkBoolean(
      FN,
      "classicMomentum",
      given(options.classicMomentum, true),
    );
    this.#exclude = given(options.exclude, DEFAULT_LARS_EXCLUDE);
    this.#isExcluded = excludePredicate(this.#exclude);
  }

  /**
   * The learning rate of the next step; set it (finite, >= 0) to follow a schedule. A bad
   * value throws (a `lars(): learningRate ...` TypeError or RangeError) and keeps the old rate.
   */
  get learningRate(): number {
    return this.#learningRate;
  }

  set learningRate(value: number) {
    this.#learningRate = checkNumber(FN, "learningRate", value, { min: 0 });
  }

  /**
   * Whether the variable with this name skips weight decay and the trust ratio.
   *
   * @param name A TensorFlow.js variable name, e.g. `dense_Dense1/bias`.
   * @returns True when the `exclude` option matches the name.
   *
   * @example
   * ```ts
   * import { lars } from "@selfsup/optim";
   * import assert from "node:assert/strict";
   *
   * const optimizer = lars({ learningRate: 0.1, exclude: ["^head/"] });
   * assert.ok(optimizer.isExcluded("head/kernel"));
   * assert.ok(!optimizer.isExcluded("conv/bias"));
   * optimizer.dispose();
   * ```
   */
  isExcluded(name: string): boolean {
    return this.#isExcluded(name);
  }

  /**
   * Applies one LARS step to the named variables and increments the iteration count. Runs in
   * `tf.tidy`; the gradients stay owned by the caller.
   *
   * @param variableGradients Gradients keyed by variable name (as `computeGradients` returns
   * them) or as a list of `{ name, tensor }` (as `minimize` passes them with a `varList`); a
   * missing gradient leaves its variable unchanged.
   * @throws {RangeError} If a name is not a registered variable, a gradient's shape differs
   * from its variable's, or a position's momentum buffer belongs to another variable or shape
   * (the step then changes nothing).
   *
   * @example
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import { lars } from "@selfsup/optim";
   * import assert from "node:assert/strict";
   *
   * const w = tf.tidy(() => tf.variable(tf.tensor1d([3, 4]), true, "example/kernel"));
   * const optimizer = lars({ learningRate: 1, eta: 0.1 });
   * const gradient = tf.tensor1d([0, 1]);
   * optimizer.applyGradients({ "example/kernel": gradient });
   * // trust ratio = 0.1 * |w| / |g| = 0.1 * 5 / 1, so w moves by 0.5 * g
   * assert.deepEqual(Array.from(w.dataSync()), [3, 3.5]);
   * tf.dispose([w, gradient]);
   * optimizer.dispose();
   * ```
   */
  override applyGradients(variableGradients: tf.NamedTensorMap | NamedTensor[]): void {
    const named: [string, tf.Tensor | undefined][] = Array.isArray(variableGradients)
      ? variableGradients.map(({ name, tensor }) => [name, tensor])
      : Object.entries(variableGradients);
    const fn = "LarsOptimizer.applyGradients";
    const registered = tf.engine().registeredVariables;
    const variables = named.map(([name, gradient], i) => {
      const variable = registered[name];
      if (variable == null) {
        throw rangeError(fn, "variableGradients", "keyed by registered variable names", name);
      }
      if (gradient != null && !sameShape(gradient.shape, variable.shape)) {
        throw rangeError(
          fn,
          `the gradient of ${name}`,
          `a tensor of its variable's shape [${variable.shape}]`,
          gradient,
        );
      }
      this.#checkBuffer(i, name, variable);
      return variable;
    });
    // Bound only once every position checked out, so a rejected step changes nothing.
    const buffers = variables.map((variable, i) => this.#bufferFor(i, named[i][0], variable));
    tf.tidy(() => {
      const hyper = {
        lr: tf.scalar(this.#learningRate),
        momentum: tf.scalar(this.#momentum),
        weightDecay: tf.scalar(this.#weightDecay),
        eta: tf.scalar(this.#eta),
      };
      named.forEach(([name, gradient], i) => {
        if (gradient == null) return;
        tf.tidy(() => this.#update(name, variables[i], buffers[i], gradient, hyper));
      });
    });
    this.incrementIterations();
  }

  #update(
    name: string,
    w: tf.Variable,
    v: tf.Variable,
    gradient: tf.Tensor,
    hyper: { lr: tf.Scalar; momentum: tf.Scalar; weightDecay: tf.Scalar; eta: tf.Scalar },
  ): void {
    const adapt = !this.#isExcluded(name);
    const g = adapt && this.#weightDecay !== 0
      ? tf.add(gradient, tf.mul(hyper.weightDecay, w))
      : gradient;
    let nextV: tf.Tensor;
    let nextW: tf.Tensor;
    if (this.#classicMomentum) {
      const scaledLr = adapt ? tf.mul(hyper.lr, trustRatio(w, g, hyper.eta)) : hyper.lr;
      const scaledG = tf.mul(scaledLr, g);
      nextV = tf.add(tf.mul(hyper.momentum, v), scaledG);
      const update = this.#nesterov ? tf.add(tf.mul(hyper.momentum, nextV), scaledG) : nextV;
      nextW = tf.sub(w, update);
    } else {
      nextV = tf.add(tf.mul(hyper.momentum, v), g);
      const update = this.#nesterov ? tf.add(tf.mul(hyper.momentum, nextV), g) : nextV;
      const scaledLr = adapt ? tf.mul(hyper.lr, trustRatio(w, update, hyper.eta)) : hyper.lr;
      nextW = tf.sub(w, tf.mul(scaledLr, update));
    }
    v.assign(nextV);
    w.assign(nextW);
  }

  #checkBuffer(i: number, name: string, variable: tf.Variable): void {
    const buffer = this.#accumulators[i];
    if (buffer == null) return;
    const problem = buffer.owner !== null && buffer.owner !== name
      ? `belongs to variable ${buffer.owner}`
      : !sameShape(buffer.variable.shape, variable.shape)
      ? `has shape [${buffer.variable.shape}]`
      : null;
    if (problem !== null) {
      throw new RangeError(
        `LarsOptimizer.applyGradients(): variable ${i} must match momentum buffer ${i} ` +
          `(${buffer.originalName}), which ${problem}; pass the same variables in the same ` +
          `order every step (one optimizer per variable list), got ${name} of shape ` +
          `[${variable.shape}]`,
      );
    }
  }

  // The momentum buffer at position i: created (zeros) on first use, or bound to `name` if it
  // was restored by setWeights.
  #bufferFor(i: number, name: string, variable: tf.Variable): tf.Variable {
    const buffer = this.#accumulators[i] ??= {
      originalName: `${name}/momentum`,
      variable: tf.tidy(() => tf.variable(tf.zerosLike(variable), false)),
      owner: name,
    };
    if (buffer.owner === null) {
      buffer.owner = name;
      buffer.originalName = `${name}/momentum`;
    }
    return buffer.variable;
  }

  /**
   * The optimizer's state: first the iteration count (`{ name: "iter" }`, an int32 scalar),
   * then one momentum buffer per variable position, named `<variable name>/momentum`.
   *
   * @returns Fresh tensors that the caller owns and must dispose.
   *
   * @example Checkpoint and restore
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import { lars, LarsOptimizer } from "@selfsup/optim";
   * import assert from "node:assert/strict";
   *
   * const w = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), true, "restore_example/kernel"));
   * const optimizer = lars({ learningRate: 0.1 });
   * const gradient = tf.tensor1d([1, 1]);
   * optimizer.applyGradients([{ name: w.name, tensor: gradient }]);
   *
   * const config = optimizer.getConfig();
   * const state = await optimizer.getWeights();
   * const restored = LarsOptimizer.fromConfig<LarsOptimizer>(LarsOptimizer, config);
   * await restored.setWeights(state);
   * assert.equal(restored.iterations, 1);
   *
   * tf.dispose([w, gradient, ...state.map((s) => s.tensor)]);
   * optimizer.dispose();
   * restored.dispose();
   * ```
   */
  override async getWeights(): Promise<NamedTensor[]> {
    return [
      await this.saveIterations(),
      ...this.#accumulators.map(({ originalName, variable }) => ({
        name: originalName,
        tensor: tf.clone(variable),
      })),
    ];
  }

  /**
   * Restores state saved by {@linkcode LarsOptimizer.getWeights}, replacing (and disposing) the
   * current momentum buffers. The optimizer copies what it keeps: the caller may dispose
   * `weightValues` afterwards.
   *
   * @param weightValues The iteration count (`"iter"`) first, then the momentum buffers in
   * variable order.
   * @throws {TypeError} If `weightValues` is not a list that starts with `"iter"`.
   *
   * @example
   * ```ts
   * import * as tf from "@tensorflow/tfjs";
   * import { lars } from "@selfsup/optim";
   * import assert from "node:assert/strict";
   *
   * const optimizer = lars({ learningRate: 0.1 });
   * const iter = tf.scalar(7, "int32");
   * await optimizer.setWeights([{ name: "iter", tensor: iter }]);
   * assert.equal(optimizer.iterations, 7);
   * iter.dispose();
   * optimizer.dispose();
   * ```
   */
  override async setWeights(weightValues: NamedTensor[]): Promise<void> {
    if (!Array.isArray(weightValues) || weightValues[0]?.name !== "iter") {
      throw typeError(
        "LarsOptimizer.setWeights",
        "weightValues",
        `the list from getWeights(), starting with "iter"`,
        Array.isArray(weightValues) ? weightValues.map((w) => w?.name) : weightValues,
      );
    }
    const buffers = await this.extractIterations(weightValues);
    this.#disposeAccumulators();
    this.#accumulators = buffers.map(({ name, tensor }) => ({
      originalName: name,
      variable: tf.variable(tensor, false),
      owner: null,
    }));
  }

  /**
   * The hyper-parameters, with the current learning rate, as a JSON-compatible dictionary.
   *
   * @returns `{ learningRate, momentum, weightDecay, eta, nesterov, classicMomentum, exclude }`.
   * @throws {TypeError} If `exclude` is a predicate, which cannot be serialised.
   *
   * @example
   * ```ts
   * import { lars } from "@selfsup/optim";
   * import assert from "node:assert/strict";
   *
   * const optimizer = lars({ learningRate: 0.5, weightDecay: 1e-6 });
   * assert.equal(optimizer.getConfig().weightDecay, 1e-6);
   * optimizer.dispose();
   * ```
   */
  override getConfig(): tf.serialization.ConfigDict {
    const exclude = this.#exclude;
    if (typeof exclude === "function") {
      throw typeError(
        "LarsOptimizer.getConfig",
        "exclude",
        "a list of patterns to be serialised (pass patterns to lars(), not a predicate)",
        exclude,
      );
    }
    return {
      learningRate: this.#learningRate,
      momentum: this.#momentum,
      weightDecay: this.#weightDecay,
      eta: this.#eta,
      nesterov: this.#nesterov,
      classicMomentum: this.#classicMomentum,
      exclude: [...exclude],
    };
  }

  /**
   * Builds an optimizer from {@linkcode LarsOptimizer.getConfig}'s output; used by
   * `tf.serialization` through the class registration.
   *
   * @param cls The class to build (`LarsOptimizer` or a subclass).
   * @param config A config from `getConfig()`.
   * @returns A new optimizer with those hyper-parameters and no state.
   * @throws {TypeError} If a value has the wrong type.
   * @throws {RangeError} If a value is out of range.
   *
   * @example
   * ```ts
   * import { lars, LarsOptimizer } from "@selfsup/optim";
   * import assert from "node:assert/strict";
   *
   * const original = lars({ learningRate: 0.5, momentum: 0.8 });
   * const copy = LarsOptimizer.fromConfig<LarsOptimizer>(LarsOptimizer, original.getConfig());
   * assert.deepEqual(copy.getConfig(), original.getConfig());
   * original.dispose();
   * copy.dispose();
   * ```
   */
  static override fromConfig<T extends tf.serialization.Serializable>(
    cls: tf.serialization.SerializableConstructor<T>,
    config: tf.serialization.ConfigDict,
  ): T {
    return new cls(config);
  }

  /** Disposes the momentum buffers. */
  override dispose(): void {
    this.#disposeAccumulators();
    super.dispose();
  }

  #disposeAccumulators(): void {
    tf.dispose(this.#accumulators.map((a) => a.variable));
    this.#accumulators = [];
  }
}

tf.serialization.registerClass(LarsOptimizer);

/**
 * Builds a {@linkcode LarsOptimizer}: LARS as in google-research/simclr, with weight decay and
 * the trust ratio skipped for variables whose names match `exclude` (by default batch-norm
 * parameters and biases, see {@linkcode DEFAULT_LARS_EXCLUDE}).
 *
 * @param options Hyper-parameters; see {@linkcode LarsOptions}. SimCLR uses momentum 0.9,
 * weight decay 1e-6, eta 0.001 and a learning rate from {@linkcode warmupCosine}.
 * @returns The optimizer; call `dispose()` on it when done to free its momentum buffers.
 * @throws {TypeError} If `options` is not an object or an option has the wrong type.
 * @throws {RangeError} If a number is out of range (see {@linkcode LarsOptions}) or a pattern
 * is not a valid regular expression.
 *
 * @example Following a warmup + cosine schedule
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import assert from "node:assert/strict";
 * import { lars, warmupCosine } from "@selfsup/optim";
 *
 * const w = tf.tidy(() => tf.variable(tf.ones([2, 2]), true, "lars_example/kernel"));
 * const schedule = warmupCosine({ baseLr: 0.3, warmupSteps: 2, totalSteps: 10 });
 * const optimizer = lars({ learningRate: 0, weightDecay: 1e-6 });
 * while (optimizer.iterations < 3) {
 *   optimizer.learningRate = schedule(optimizer.iterations);
 *   optimizer.minimize(() => tf.sum(tf.square(w)), false, [w]);
 * }
 * assert.equal(optimizer.learningRate, 0.3);
 * assert.ok(w.dataSync().every((v) => v < 1)); // every step moved w downhill
 * w.dispose();
 * optimizer.dispose();
 * ```
 */
export function lars(options: LarsOptions): LarsOptimizer {
  return new LarsOptimizer(options);
}

// eta * |w| / |g|, or 1 when either norm is 0 (a fresh zero variable, or no signal).
function trustRatio(w: tf.Tensor, g: tf.Tensor, eta: tf.Scalar): tf.Tensor {
  const wNorm = tf.norm(w);
  const gNorm = tf.norm(g);
  const bothPositive = tf.logicalAnd(tf.greater(wNorm, 0), tf.greater(gNorm, 0));
  return tf.where(bothPositive, tf.div(tf.mul(eta, wNorm), gNorm), tf.onesLike(wNorm));
}

function excludePredicate(
  exclude: readonly string[] | ((name: string) => boolean),
): (name: string) => boolean {
  if (typeof exclude === "function") return exclude;
  if (!Array.isArray(exclude)) {
    throw typeError(FN, "exclude", "a list of patterns or a predicate", exclude);
  }
  const patterns = exclude.map((pattern, i) => {
    if (typeof pattern !== "string") {
      throw typeError(FN, `exclude[${i}]`, "a string pattern", pattern);
    }
    try {
      return new RegExp(pattern);
    } catch {
      throw rangeError(FN, `exclude[${i}]`, "a valid regular expression", pattern);
    }
  });
  return (name) => patterns.some((pattern) => pattern.test(name));
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
