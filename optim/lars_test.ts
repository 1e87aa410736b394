import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { DEFAULT_LARS_EXCLUDE, lars, LarsOptimizer, type LarsOptions } from "./lars.ts";
import { warmupCosine } from "./warmup_cosine.ts";

tf.enableProdMode();

// ---------------------------------------------------------------------------------------------
// An independent float64 LARS, written from google-research/simclr lars_optimizer.py on plain
// arrays: it shares no code with the optimizer under test.

interface RefConfig {
  momentum: number;
  weightDecay: number;
  eta: number;
  nesterov: boolean;
  classicMomentum: boolean;
  excluded: (name: string) => boolean;
}

function norm(x: number[]): number {
  return Math.sqrt(x.reduce((s, a) => s + a * a, 0));
}

function refTrust(eta: number, w: number[], g: number[]): number {
  const wn = norm(w);
  const gn = norm(g);
  return wn > 0 && gn > 0 ? eta * wn / gn : 1;
}

/** One reference step on one flattened variable; returns [next w, next v]. */
function refStep(
  c: RefConfig,
  name: string,
  lr: number,
  w: number[],
  v: number[],
  grad: number[],
): [number[], number[]] {
  const adapt = !c.excluded(name);
  const g = adapt && c.weightDecay !== 0 ? grad.map((gi, i) => gi + c.weightDecay * w[i]) : grad;
  if (c.classicMomentum) {
    const scaledLr = lr * (adapt ? refTrust(c.eta, w, g) : 1);
    const nextV = v.map((vi, i) => c.momentum * vi + scaledLr * g[i]);
    const update = c.nesterov ? nextV.map((nv, i) => c.momentum * nv + scaledLr * g[i]) : nextV;
    return [w.map((wi, i) => wi - update[i]), nextV];
  }
  const nextV = v.map((vi, i) => c.momentum * vi + g[i]);
  const update = c.nesterov ? nextV.map((nv, i) => c.momentum * nv + g[i]) : nextV;
  const scaledLr = lr * (adapt ? refTrust(c.eta, w, update) : 1);
  return [w.map((wi, i) => wi - scaledLr * update[i]), nextV];
}

// ---------------------------------------------------------------------------------------------

const SHAPES: Record<string, number[]> = {
  "ref_conv/kernel": [3, 3, 2, 4],
  "ref_conv/bias": [4],
  "ref_batch_normalization/gamma": [4],
  "ref_dense/kernel": [4, 3],
  "ref_scalar/kernel": [],
};

function randomArray(shape: number[], seed: number, scale = 1): number[] {
  return tf.tidy(() => Array.from(tf.randomNormal(shape, 0, scale, "float32", seed).dataSync()));
}

function assertClose(actual: ArrayLike<number>, expected: number[], tol: number, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  for (let i = 0; i < expected.length; i++) {
    const err = Math.abs(actual[i] - expected[i]);
    assert.ok(
      err <= tol * (1 + Math.abs(expected[i])),
      `${what}[${i}]: got ${actual[i]}, expected ${expected[i]} (error ${err})`,
    );
  }
}

/** Runs `steps` LARS steps on random variables in tfjs and in float64, and compares. */
function compareWithReference(options: Omit<LarsOptions, "learningRate">, seed: number) {
  const names = Object.keys(SHAPES);
  const optimizer = lars({ learningRate: 0, ...options });
  const config: RefConfig = {
    momentum: options.momentum ?? 0.9,
    weightDecay: options.weightDecay ?? 0,
    eta: options.eta ?? 0.001,
    nesterov: options.nesterov ?? false,
    classicMomentum: options.classicMomentum ?? true,
    excluded: (name) => optimizer.isExcluded(name),
  };
  const schedule = warmupCosine({ baseLr: 0.8, warmupSteps: 2, totalSteps: 6 });
  const refW = names.map((n, i) => randomArray(SHAPES[n], seed + i));
  const refV = names.map((n) => new Array(SHAPES[n].reduce((a, b) => a * b, 1)).fill(0));
  const variables = tf.tidy(() =>
    names.map((n, i) => tf.variable(tf.tensor(refW[i], SHAPES[n]), true, n))
  );
  try {
    for (let step = 1; step <= 5; step++) {
      const lr = schedule(step);
      optimizer.learningRate = lr;
      const grads = names.map((n, i) => randomArray(SHAPES[n], 1000 * step + seed + i, 0.5));
      const tensors = names.map((n, i) => tf.tensor(grads[i], SHAPES[n]));
      optimizer.applyGradients(names.map((name, i) => ({ name, tensor: tensors[i] })));
      tf.dispose(tensors);
      names.forEach((name, i) => {
        [refW[i], refV[i]] = refStep(config, name, lr, refW[i], refV[i], grads[i]);
        assertClose(variables[i].dataSync(), refW[i], 2e-5, `${name} after step ${step}`);
      });
    }
    assert.equal(optimizer.iterations, 5);
  } finally {
    tf.dispose(variables);
    optimizer.dispose();
  }
}

Deno.test("lars() matches a float64 reference with classic momentum and weight decay", () => {
  compareWithReference({ weightDecay: 0.05, eta: 0.1 }, 1);
});

Deno.test("lars() matches a float64 reference with Nesterov momentum", () => {
  compareWithReference({ weightDecay: 0.05, eta: 0.02, nesterov: true, momentum: 0.8 }, 2);
});

Deno.test("lars() matches a float64 reference with popular (non-classic) momentum", () => {
  compareWithReference({ weightDecay: 0.01, eta: 0.1, classicMomentum: false }, 3);
  compareWithReference({ eta: 0.1, classicMomentum: false, nesterov: true }, 4);
});

Deno.test("lars() matches a float64 reference with a custom exclusion predicate", () => {
  compareWithReference({ weightDecay: 0.1, eta: 0.05, exclude: (n) => n.includes("dense") }, 5);
});

Deno.test("lars() uses trust ratio 1 when the weights are zero", () => {
  const w = tf.tidy(() => tf.variable(tf.zeros([3]), true, "zero_w/kernel"));
  const g = tf.tensor1d([1, -2, 2]);
  const optimizer = lars({ learningRate: 0.5, weightDecay: 0.1, eta: 0.001 });
  optimizer.applyGradients({ [w.name]: g });
  // eta * |w| / |g| would be 0 and freeze w forever; the reference takes 1 instead.
  assert.deepEqual(Array.from(w.dataSync()), [-0.5, 1, -1]);
  tf.dispose([w, g]);
  optimizer.dispose();
});

Deno.test("lars() uses trust ratio 1 when the gradient is zero, and never makes NaN", () => {
  const w = tf.tidy(() => tf.variable(tf.tensor1d([3, 4]), true, "zero_g/kernel"));
  const g1 = tf.tensor1d([0, 2]);
  const g0 = tf.zeros([2]);
  const optimizer = lars({ learningRate: 1, eta: 0.1, momentum: 0.5 });
  optimizer.applyGradients({ [w.name]: g1 }); // trust 0.1 * 5 / 2 = 0.25: v = [0, 0.5]
  assertClose(w.dataSync(), [3, 3.5], 1e-7, "after the first step");
  optimizer.applyGradients({ [w.name]: g0 }); // trust 1 (|g| = 0): v = 0.5 * v = [0, 0.25]
  assertClose(w.dataSync(), [3, 3.25], 1e-7, "after the zero-gradient step");
  tf.dispose([w, g1, g0]);
  optimizer.dispose();

  const z = tf.tidy(() => tf.variable(tf.zeros([2]), true, "zero_both/kernel"));
  const zg = tf.zeros([2]);
  const fresh = lars({ learningRate: 1, weightDecay: 0.1 });
  fresh.applyGradients({ [z.name]: zg });
  assert.deepEqual(Array.from(z.dataSync()), [0, 0]);
  tf.dispose([z, zg]);
  fresh.dispose();
});

Deno.test("lars() leaves a variable without a gradient unchanged", () => {
  const a = tf.tidy(() => tf.variable(tf.tensor1d([1, 2]), true, "no_grad/a"));
  const b = tf.tidy(() => tf.variable(tf.tensor1d([3, 4]), true, "no_grad/b"));
  const optimizer = lars({ learningRate: 0.1 });
  optimizer.minimize(() => tf.sum(b), false, [a, b]);
  assert.deepEqual(Array.from(a.dataSync()), [1, 2]);
  assert.notDeepEqual(Array.from(b.dataSync()), [3, 4]);
  tf.dispose([a, b]);
  optimizer.dispose();
});

Deno.test("lars() excludes batch-norm and bias variables by name when given a model's varList", () => {
  const model = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units: 4, kernelInitializer: "glorotNormal" }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 2, name: "out_with_bn", useBias: false }),
      tf.layers.batchNormalization({ name: "custom_bn" }),
    ],
  });
  const varList = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const names = varList.map((v) => v.name);
  const excluded = names.filter((n) => /bias|gamma|beta/.test(n));
  assert.equal(excluded.length, 5, `tfjs weight names: ${names.join(", ")}`);
  assert.ok(names.some((n) => n.includes("batch_normalization")), names.join(", "));
  assert.ok(names.includes("custom_bn/gamma"), names.join(", "));

  const x = tf.tensor2d([[1, 2, 3], [-1, 0, 2], [0.5, -2, 1], [2, 1, -1]]);
  const target = tf.tensor2d([[1, 0], [0, 1], [1, 1], [0, 0]]);
  const loss = () =>
    tf.losses.meanSquaredError(
      target,
      model.apply(x, { training: true }) as tf.Tensor,
    ) as tf.Scalar;
  const lr = 0.7, eta = 0.01, weightDecay = 0.1;
  const optimizer = lars({ learningRate: lr, eta, weightDecay });
  const before = varList.map((v) => Array.from(v.dataSync()));
  const { value, grads } = tf.variableGrads(loss, varList);
  const gradValues = names.map((n) => Array.from(grads[n].dataSync()));
  tf.dispose([value, ...Object.values(grads)]);

  optimizer.minimize(loss, false, varList);
  const config: RefConfig = {
    momentum: 0.9,
    weightDecay,
    eta,
    nesterov: false,
    classicMomentum: true,
    excluded: (n) => excluded.includes(n),
  };
  names.forEach((name, i) => {
    const [expected] = refStep(config, name, lr, before[i], before[i].map(() => 0), gradValues[i]);
    assertClose(varList[i].dataSync(), expected, 1e-5, name);
    if (excluded.includes(name)) {
      // Plain SGD on the first step: w - lr * g, no decay, no trust ratio.
      const sgd = before[i].map((w, j) => w - lr * gradValues[i][j]);
      assertClose(varList[i].dataSync(), sgd, 1e-5, `${name} (excluded)`);
    }
  });
  tf.dispose([x, target]);
  model.dispose();
  optimizer.dispose();
});

Deno.test("lars() defaults exclude the reference's patterns adapted to tfjs names", () => {
  assert.deepEqual([...DEFAULT_LARS_EXCLUDE], ["batch_normalization", "bias", "/gamma", "/beta"]);
  const optimizer = lars({ learningRate: 0.1 });
  for (
    const name of [
      "batch_normalization_BatchNormalization3/moving_mean",
      "conv2d_Conv2D1/bias",
      "dense_1/bias_1",
      "layer_norm/gamma",
      "stem_bn/beta",
    ]
  ) assert.ok(optimizer.isExcluded(name), name);
  for (const name of ["conv2d_Conv2D1/kernel", "dense_1/kernel_1", "beta_head/kernel"]) {
    assert.ok(!optimizer.isExcluded(name), name);
  }
  optimizer.dispose();
});

Deno.test("lars() checkpoint (config + weights) resumes bit-exactly in a fresh optimizer", async () => {
  const shapes = [[4, 3], [3], [2, 2, 3]];
  const names = ["ckpt_a/kernel", "ckpt_a/bias", "ckpt_b/kernel"];
  const schedule = warmupCosine({ baseLr: 1, warmupSteps: 3, totalSteps: 10 });
  // Seeds from 1: tfjs treats seed 0 as "unseeded" (a different gradient every call).
  const gradient = (step: number, i: number) =>
    tf.randomNormal(shapes[i], 0, 1, "float32", 97 * step + i + 1);
  const step = (optimizer: LarsOptimizer, vars: tf.Variable[]) => {
    const k = optimizer.iterations;
    optimizer.learningRate = schedule(k);
    const grads = vars.map((_, i) => gradient(k, i));
    optimizer.applyGradients(vars.map((v, i) => ({ name: v.name, tensor: grads[i] })));
    tf.dispose(grads);
  };
  const init = () => shapes.map((s, i) => tf.randomNormal(s, 0, 1, "float32", i + 1));
  const options = { learningRate: 0, weightDecay: 0.01, eta: 0.05, nesterov: true };

  // Uninterrupted: 8 steps.
  const whole = tf.tidy(() => init().map((t, i) => tf.variable(t, true, names[i])));
  const straight = lars(options);
  for (let k = 0; k < 8; k++) step(straight, whole);

  // Interrupted after 3 steps: save to bytes and JSON, as a checkpoint on disk would.
  const first = tf.tidy(() => init().map((t, i) => tf.variable(t, true, `${names[i]}_first`)));
  const before = lars(options);
  for (let k = 0; k < 3; k++) step(before, first);
  const weights = await before.getWeights();
  const { data, specs } = await tf.io.encodeWeights(weights);
  tf.dispose(weights.map((w) => w.tensor));
  const configJson = JSON.stringify({
    className: before.getClassName(),
    config: before.getConfig(),
  });
  const modelValues = first.map((v) => v.clone());
  tf.dispose(first);
  before.dispose();

  // Resume: the class comes from the tf.serialization registry; the variables get new names.
  const saved = JSON.parse(configJson);
  const [cls, fromConfig] =
    tf.serialization.SerializationMap.getMap().classNameMap[saved.className];
  const resumed = fromConfig(cls, saved.config) as LarsOptimizer;
  assert.ok(resumed instanceof LarsOptimizer);
  const decoded = tf.io.decodeWeights(data, specs);
  await resumed.setWeights(specs.map((s) => ({ name: s.name, tensor: decoded[s.name] })));
  tf.dispose(Object.values(decoded));
  assert.equal(resumed.iterations, 3);
  const second = modelValues.map((t, i) => tf.variable(t, true, `${names[i]}_second`));
  tf.dispose(modelValues);
  for (let k = 3; k < 8; k++) step(resumed, second);

  assert.equal(resumed.iterations, straight.iterations);
  second.forEach((v, i) => {
    assert.deepEqual(v.dataSync(), whole[i].dataSync(), `${names[i]} differs after resuming`);
  });
  const a = await straight.getWeights();
  const b = await resumed.getWeights();
  assert.deepEqual(b.map((w) => w.tensor.dataSync()), a.map((w) => w.tensor.dataSync()));
  assert.deepEqual(a.map((w) => w.name), ["iter", ...names.map((n) => `${n}/momentum`)]);
  tf.dispose([...a, ...b].map((w) => w.tensor));
  tf.dispose([...whole, ...second]);
  straight.dispose();
  resumed.dispose();
});

Deno.test("lars() getConfig() round-trips through fromConfig() and JSON", () => {
  const original = lars({
    learningRate: 0.25,
    momentum: 0.8,
    weightDecay: 1e-6,
    eta: 0.002,
    nesterov: true,
    classicMomentum: false,
    exclude: ["^head/", "bias"],
  });
  original.learningRate = 0.125;
  const config = JSON.parse(JSON.stringify(original.getConfig()));
  assert.deepEqual(config, {
    learningRate: 0.125,
    momentum: 0.8,
    weightDecay: 1e-6,
    eta: 0.002,
    nesterov: true,
    classicMomentum: false,
    exclude: ["^head/", "bias"],
  });
  const copy = LarsOptimizer.fromConfig<LarsOptimizer>(LarsOptimizer, config);
  assert.deepEqual(copy.getConfig(), original.getConfig());
  assert.equal(copy.getClassName(), "LARSOptimizer");
  assert.ok(copy.isExcluded("head/kernel"));
  original.dispose();
  copy.dispose();
});

Deno.test("lars() steps leak no tensors, and dispose() frees the momentum buffers", () => {
  const w = tf.tidy(() => tf.variable(tf.ones([5, 3]), true, "leak/kernel"));
  const b = tf.tidy(() => tf.variable(tf.zeros([3]), true, "leak/bias"));
  const x = tf.ones([2, 5]);
  const base = tf.memory().numTensors;
  const optimizer = lars({ learningRate: 0.1, weightDecay: 1e-4 });
  const loss = () => tf.sum(tf.square(tf.add(tf.matMul(x, w), b))) as tf.Scalar;
  optimizer.minimize(loss, false, [w, b]);
  const afterFirst = tf.memory().numTensors;
  assert.equal(afterFirst, base + 2, "one momentum buffer per variable");
  for (let k = 0; k < 10; k++) optimizer.minimize(loss, false, [w, b]);
  assert.equal(tf.memory().numTensors, afterFirst);
  optimizer.dispose();
  assert.equal(tf.memory().numTensors, base);
  tf.dispose([w, b, x]);
});

Deno.test("lars() getWeights() hands out copies the caller owns; setWeights() copies", async () => {
  const w = tf.tidy(() => tf.variable(tf.ones([2]), true, "own/kernel"));
  const g = tf.ones([2]);
  const optimizer = lars({ learningRate: 0.1 });
  optimizer.applyGradients({ [w.name]: g });
  const base = tf.memory().numTensors;
  const weights = await optimizer.getWeights();
  assert.equal(tf.memory().numTensors, base + 2);
  tf.dispose(weights.map((x) => x.tensor));
  assert.equal(tf.memory().numTensors, base);

  const copy = lars({ learningRate: 0.1 });
  const saved = await optimizer.getWeights();
  await copy.setWeights(saved);
  await copy.setWeights(saved); // replacing disposes the previous buffers
  tf.dispose(saved.map((x) => x.tensor));
  copy.applyGradients({ [w.name]: g }); // the restored buffer is still alive
  assert.equal(tf.memory().numTensors, base + 1);
  copy.dispose();
  optimizer.dispose();
  tf.dispose([w, g]);
});

Deno.test("lars() rejects bad options with a house-format error naming them", () => {
  const cases: [unknown, ErrorConstructor, string][] = [
    [undefined, TypeError, "lars(): options must be an object, got undefined"],
    [{}, TypeError, "lars(): learningRate must be a finite number >= 0, got undefined"],
    [{ learningRate: -1 }, RangeError, "lars(): learningRate must be a finite number >= 0, got -1"],
    [
      { learningRate: NaN },
      RangeError,
      "lars(): learningRate must be a finite number >= 0, got NaN",
    ],
    [
      { learningRate: 1, momentum: 1.5 },
      RangeError,
      "lars(): momentum must be a finite number in [0, 1], got 1.5",
    ],
    [
      { learningRate: 1, momentum: -0.1 },
      RangeError,
      "lars(): momentum must be a finite number in [0, 1], got -0.1",
    ],
    [
      { learningRate: 1, weightDecay: -0.1 },
      RangeError,
      "lars(): weightDecay must be a finite number >= 0, got -0.1",
    ],
    [{ learningRate: 1, eta: 0 }, RangeError, "lars(): eta must be a finite number > 0, got 0"],
    [
      { learningRate: 1, nesterov: "yes" },
      TypeError,
      'lars(): nesterov must be a boolean, got "yes"',
    ],
    [
      { learningRate: 1, classicMomentum: 1 },
      TypeError,
      "lars(): classicMomentum must be a boolean, got 1",
    ],
    [
      { learningRate: 1, exclude: "bias" },
      TypeError,
      'lars(): exclude must be a list of patterns or a predicate, got "bias"',
    ],
    [
      { learningRate: 1, exclude: [3] },
      TypeError,
      "lars(): exclude[0] must be a string pattern, got 3",
    ],
    [
      { learningRate: 1, exclude: ["("] },
      RangeError,
      'lars(): exclude[0] must be a valid regular expression, got "("',
    ],
  ];
  for (const [options, type, message] of cases) {
    for (const make of [lars, (o: LarsOptions) => new LarsOptimizer(o)]) {
      assert.throws(() => make(options as LarsOptions), (e: Error) => {
        assert.equal(e.constructor, type, `${JSON.stringify(options)}: ${e}`);
        assert.equal(e.message, message);
        return true;
      });
    }
  }
  assert.equal(cases.length, 13);
  const optimizer = lars({ learningRate: 1 });
  assert.throws(() => {
    optimizer.learningRate = Infinity;
  }, {
    name: "RangeError",
    message: "lars(): learningRate must be a finite number >= 0, got Infinity",
  });
  assert.throws(() => {
    optimizer.learningRate = "0.1" as never;
  }, TypeError);
  assert.equal(optimizer.learningRate, 1);
  optimizer.dispose();
});

Deno.test("lars() accepts momentum at both ends of [0, 1]", () => {
  for (const momentum of [0, 1]) {
    const optimizer = lars({ learningRate: 0.1, momentum });
    assert.equal(optimizer.getConfig().momentum, momentum);
    optimizer.dispose();
  }
});

Deno.test("lars() rejects mismatched gradients, unknown names, bad state and predicates in config", async () => {
  const w = tf.tidy(() => tf.variable(tf.ones([2, 2]), true, "bad/kernel"));
  const g = tf.ones([4]);
  const optimizer = lars({ learningRate: 0.1 });
  assert.throws(() => optimizer.applyGradients({ [w.name]: g }), {
    name: "RangeError",
    message: "LarsOptimizer.applyGradients(): the gradient of bad/kernel must be a tensor of " +
      "its variable's shape [2,2], got a float32 tensor of shape [4]",
  });
  assert.throws(() => optimizer.applyGradients({ "no/such": g }), {
    name: "RangeError",
    message: "LarsOptimizer.applyGradients(): variableGradients must be keyed by registered " +
      'variable names, got "no/such"',
  });
  await assert.rejects(optimizer.setWeights([]), {
    name: "TypeError",
    message: "LarsOptimizer.setWeights(): weightValues must be the list from getWeights(), " +
      'starting with "iter", got []',
  });
  await assert.rejects(optimizer.setWeights([{ name: "x", tensor: g }]), {
    name: "TypeError",
    message: "LarsOptimizer.setWeights(): weightValues must be the list from getWeights(), " +
      'starting with "iter", got ["x"]',
  });

  // A buffer restored for a differently shaped variable is an error, not a broadcast.
  const iter = tf.scalar(1, "int32");
  await optimizer.setWeights([{ name: "iter", tensor: iter }, { name: "m", tensor: g }]);
  const g2 = tf.ones([2, 2]);
  assert.throws(() => optimizer.applyGradients({ [w.name]: g2 }), {
    name: "RangeError",
    message: "LarsOptimizer.applyGradients(): variable 0 must match momentum buffer 0 (m), " +
      "which has shape [4]; pass the same variables in the same order every step (one " +
      "optimizer per variable list), got bad/kernel of shape [2,2]",
  });

  // So is a different variable at a position that already has an owner.
  const other = tf.tidy(() => tf.variable(tf.ones([2, 2]), true, "bad/other"));
  const owned = lars({ learningRate: 0.1 });
  owned.applyGradients({ [w.name]: g2 });
  assert.throws(() => owned.applyGradients({ [other.name]: g2 }), {
    name: "RangeError",
    message: "LarsOptimizer.applyGradients(): variable 0 must match momentum buffer 0 " +
      "(bad/kernel/momentum), which belongs to variable bad/kernel; pass the same variables " +
      "in the same order every step (one optimizer per variable list), got bad/other of " +
      "shape [2,2]",
  });
  // A rejected step changes nothing: no variable moves, no buffer is bound or created.
  const before = Array.from(w.dataSync());
  assert.throws(
    () => owned.applyGradients({ [w.name]: g2, [other.name]: g2, "no/such": g2 }),
    RangeError,
  );
  assert.deepEqual(Array.from(w.dataSync()), before);
  assert.equal(owned.iterations, 1);
  const state = await owned.getWeights();
  assert.deepEqual(state.map((x) => x.name), ["iter", "bad/kernel/momentum"]);
  tf.dispose(state.map((x) => x.tensor));
  tf.dispose(other);
  owned.dispose();

  const withPredicate = lars({ learningRate: 0.1, exclude: () => false });
  assert.throws(() => withPredicate.getConfig(), {
    name: "TypeError",
    message: "LarsOptimizer.getConfig(): exclude must be a list of patterns to be serialised " +
      "(pass patterns to lars(), not a predicate), got a function",
  });
  tf.dispose([w, g, g2, iter]);
  optimizer.dispose();
  withPredicate.dispose();
});
