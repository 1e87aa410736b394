import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { batchNormTraining } from "@selfsup/encoders";
import {
  checkOneDnnVersion,
  defaultOneDnnCandidates,
  type OneDnn,
  type OneDnnConvGeometry,
  openOneDnn,
} from "./onednn.ts";
import { Random } from "@selfsup/internal";
import { assertBothClose, assertClose, ignoreOneDnn, onBoth, oneDnnMissing } from "./_test_util.ts";
import { skipNote } from "../_test_util.ts";
import {
  type ConvCase,
  convolution,
  filterGradient,
  inputGradient,
  oneDnnGeometry,
  values,
} from "../_conv_reference_test_util.ts";
import type { BlasBackend } from "./backend.ts";

/** A 3x3 convolution of a 5x5 image, stride 1, "same" padding. */
const GEOMETRY: OneDnnConvGeometry = {
  batch: 2,
  inH: 5,
  inW: 5,
  inC: 3,
  outH: 5,
  outW: 5,
  outC: 4,
  fh: 3,
  fw: 3,
  sh: 1,
  sw: 1,
  top: 1,
  left: 1,
};

/** Runs `f` with console.warn captured; returns what was warned. */
function warnings(f: () => void): string[] {
  const said: string[] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => void said.push(args.join(" "));
  try {
    f();
  } finally {
    console.warn = warn;
  }
  return said;
}

Deno.test({
  name: "openOneDnn() opens oneDNN 2.3 or newer 2.x and closes it again" +
    skipNote("oneDNN", oneDnnMissing),
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn();
    assert.ok(dnnl.path.length > 0);
    const [major, minor] = dnnl.version.split(".").map(Number);
    assert.equal(major, 2, dnnl.version);
    assert.ok(minor! >= 3, dnnl.version);
    dnnl.close();
  },
});

Deno.test("openOneDnn() names the library and what to install when it cannot open one", () => {
  assert.throws(() => openOneDnn({ libraryPath: "/nonexistent/libdnnl.so.2" }), {
    message: /^Could not open oneDNN \(\/nonexistent\/libdnnl\.so\.2: .*apt-get install libdnnl2/,
  });
});

Deno.test("checkOneDnnVersion() accepts 2.3 to 2.x and names what it found otherwise", () => {
  for (const [major, minor, patch] of [[2, 3, 0], [2, 6, 3], [2, 7, 5]]) {
    checkOneDnnVersion({ major: major!, minor: minor!, patch: patch! }, "libdnnl.so.2");
  }
  for (const [major, minor, patch] of [[1, 8, 1], [2, 2, 4], [3, 0, 0], [0, 0, 0]]) {
    assert.throws(
      () => checkOneDnnVersion({ major: major!, minor: minor!, patch: patch! }, "/x/libdnnl.so"),
      {
        message: new RegExp(
          `^oneDNN ${major}\\.${minor}\\.${patch} \\(/x/libdnnl\\.so\\) is not supported`,
        ),
      },
    );
  }
});

Deno.test("defaultOneDnnCandidates() lists the 2.x library of each platform", () => {
  assert.deepEqual(defaultOneDnnCandidates("linux"), ["libdnnl.so.2"]);
  assert.deepEqual(defaultOneDnnCandidates("windows"), ["dnnl.dll"]);
});

Deno.test({
  name: "oneDNN calls throw a RangeError naming an array too short for the shape, before the call",
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn();
    try {
      const g = GEOMETRY;
      const [xSize, wSize, ySize] = [2 * 5 * 5 * 3, 3 * 3 * 3 * 4, 2 * 5 * 5 * 4];
      const conv = dnnl.convolution(g)!;
      const biased = dnnl.biasConvolution(g, true)!;
      const norm = dnnl.batchNorm(6, 3, 1e-3)!;
      const f = (n: number) => new Float32Array(n);
      const cases: [string, RegExp, () => void][] = [
        ["add", /^OneDnn\.add\(\): b must be /, () => dnnl.add(f(8), f(7), f(8))],
        ["add of one value", /^OneDnn\.add\(\): b must be /, () => dnnl.add(f(8), f(1), f(8))],
        ["binary", /^OneDnn\.mul\(\): b must be /, () => dnnl.binary("mul", f(8), f(7), f(8))],
        ["binary a", /^OneDnn\.div\(\): a must be /, () => dnnl.binary("div", f(1), f(1), f(8))],
        ["unary", /^OneDnn\.sqrt\(\): x must be /, () => dnnl.unary("sqrt", f(3), f(8))],
        [
          "binary op",
          /^OneDnn\.binary\(\): op must be one of add,mul,div,sub, got "pow"/,
          () => dnnl.binary("pow" as "add", f(8), f(8), f(8)),
        ],
        ["relu", /^OneDnn\.relu\(\): y must be /, () => dnnl.relu(f(8), f(4))],
        [
          "relu backward",
          /^OneDnn\.relu backward\(\): dx must be /,
          () => dnnl.reluBackward(f(8), f(8), f(7)),
        ],
        [
          "forward",
          /^OneDnnConvolution\.forward\(\): x must be /,
          () => conv.forward(f(xSize - 1), f(wSize), f(ySize)),
        ],
        [
          "backwardData",
          /^OneDnnConvolution\.backwardData\(\): dx must be /,
          () => conv.backwardData(f(ySize), f(wSize), f(xSize - 1)),
        ],
        [
          "backwardWeights",
          /^OneDnnConvolution\.backwardWeights\(\): dw must be /,
          () => conv.backwardWeights(f(xSize), f(ySize), f(wSize - 1)),
        ],
        [
          "bias forward",
          /^OneDnnBiasConvolution\.forward\(\): bias must be /,
          () => biased.forward(f(xSize), f(wSize), f(3), f(ySize)),
        ],
        [
          "bias geometry",
          /^OneDnn\.biasConvolution\(\): outC must be an integer/,
          () => dnnl.biasConvolution({ ...g, outC: -1 }, false),
        ],
        [
          "batch norm",
          /^OneDnnBatchNorm\.forward\(\): gamma must be /,
          () => norm.forward(f(18), f(2), f(3), f(18), f(3), f(3)),
        ],
        [
          "batch norm backward",
          /^OneDnnBatchNorm\.backward\(\): dy must be /,
          () => norm.backward(f(18), f(17), f(3), f(3), f(3), f(18), f(3), f(3)),
        ],
        [
          "geometry",
          /^OneDnn\.convolution\(\): inC must be an integer/,
          () => dnnl.convolution({ ...g, inC: 2.5 }),
        ],
      ];
      for (const [what, message, call] of cases) {
        assert.throws(call, (e: Error) => e instanceof RangeError && message.test(e.message), what);
      }
      assert.equal(cases.length, 16);
      // The sizes that fit run.
      conv.forward(f(xSize), f(wSize), f(ySize));
      biased.forward(f(xSize), f(wSize), f(4), f(ySize));
      norm.forward(f(18).fill(1), f(3), f(3), f(18), f(3), f(3));
    } finally {
      dnnl.close();
    }
  },
});

/** conv(x, w) + bias in float64 from the definition (NHWC x, HWIO w), then relu if asked. */
function referenceBiasConv(
  g: OneDnnConvGeometry,
  x: Float32Array,
  w: Float32Array,
  bias: Float32Array,
  relu: boolean,
): Float64Array {
  const y = new Float64Array(g.batch * g.outH * g.outW * g.outC);
  let o = 0;
  for (let n = 0; n < g.batch; n++) {
    for (let oy = 0; oy < g.outH; oy++) {
      for (let ox = 0; ox < g.outW; ox++) {
        for (let co = 0; co < g.outC; co++, o++) {
          let sum = bias[co]!;
          for (let ky = 0; ky < g.fh; ky++) {
            const iy = oy * g.sh - g.top + ky;
            if (iy < 0 || iy >= g.inH) continue;
            for (let kx = 0; kx < g.fw; kx++) {
              const ix = ox * g.sw - g.left + kx;
              if (ix < 0 || ix >= g.inW) continue;
              for (let ci = 0; ci < g.inC; ci++) {
                sum += x[((n * g.inH + iy) * g.inW + ix) * g.inC + ci]! *
                  w[((ky * g.fw + kx) * g.inC + ci) * g.outC + co]!;
              }
            }
          }
          y[o] = relu ? Math.max(sum, 0) : sum;
        }
      }
    }
  }
  return y;
}

Deno.test({
  name: "oneDNN's bias convolution is conv + bias (+ relu) of the definition, strided too",
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn();
    try {
      // "same" at stride 1; symmetric padding 1 at stride 2 of an even size, as the encoders'
      // strided convolutions; and unpadded ("valid") windows that stop before the input's last
      // row and column (negative padding at the bottom and right), as their 1x1 shortcuts.
      const strided = { ...GEOMETRY, inH: 6, inW: 6, outH: 3, outW: 3, sh: 2, sw: 2 };
      const valid = { ...strided, outH: 2, outW: 2, top: 0, left: 0 };
      const shortcut = { ...strided, outH: 3, outW: 3, top: 0, left: 0, fh: 1, fw: 1 };
      let checked = 0;
      for (const g of [GEOMETRY, strided, valid, shortcut]) {
        for (const relu of [false, true]) {
          const random = new Random(checked + 1);
          const values = (n: number) => Float32Array.from({ length: n }, () => random.normal());
          const x = values(g.batch * g.inH * g.inW * g.inC);
          const w = values(g.fh * g.fw * g.inC * g.outC);
          const bias = values(g.outC);
          const y = new Float32Array(g.batch * g.outH * g.outW * g.outC).fill(NaN);
          dnnl.biasConvolution(g, relu)!.forward(x, w, bias, y);
          assertClose(y, referenceBiasConv(g, x, w, bias, relu), 1e-5, `${checked} ${relu}`);
          if (relu) assert.ok(y.some((v) => v === 0) && y.some((v) => v > 0));
          checked++;
        }
      }
      assert.equal(checked, 8);
    } finally {
      dnnl.close();
    }
  },
});

Deno.test({
  name: "oneDNN's training convolutions take strided windows that stop before the input's end " +
    "(forward and both gradients of the definition)",
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn();
    try {
      // As tfjs's "valid" 3x3 and 1x1 stride-2 windows of an even size (the encoders' shortcuts):
      // the last row and column are never read, and their input gradient is 0.
      const cases: ConvCase[] = [
        { n: 2, h: 6, w: 6, ci: 3, co: 4, kh: 3, kw: 3, stride: [2, 2], pad: "valid" },
        { n: 2, h: 6, w: 8, ci: 5, co: 4, kh: 1, kw: 1, stride: [2, 2], pad: "valid" },
      ];
      for (const [i, c] of cases.entries()) {
        const g = oneDnnGeometry(c);
        const [oh, ow] = [g.outH, g.outW];
        assert.ok((oh - 1) * 2 + c.kh < c.h, "the window stops before the end");
        const x = values(c.n * c.h * c.w * c.ci, 3 * i + 1);
        const w = values(c.kh * c.kw * c.ci * c.co, 3 * i + 2);
        const dy = values(c.n * oh * ow * c.co, 3 * i + 3);
        const [y, dx, dw] = [dy, x, w].map((a) => new Float32Array(a.length).fill(NaN));
        const plan = dnnl.convolution(g)!;
        plan.forward(x, w, y!);
        plan.backwardData(dy, w, dx!);
        plan.backwardWeights(x, dy, dw!);
        assertClose(y!, convolution(c, x, w), 1e-5, `y ${i}`);
        assertClose(dx!, inputGradient(c, w, dy), 1e-5, `dx ${i}`);
        assertClose(dw!, filterGradient(c, x, dy), 1e-5, `dw ${i}`);
        assert.equal(dx![(c.h - 1) * c.w * c.ci], 0, "the unread last row's gradient");
      }
    } finally {
      dnnl.close();
    }
  },
});

Deno.test({
  name: "oneDNN's bias convolution keeps each keyed filter's layout apart, in one plan",
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn();
    try {
      const g = { ...GEOMETRY, inC: 16, outC: 16 };
      const random = new Random(3);
      const values = (n: number) => Float32Array.from({ length: n }, () => random.normal());
      const x = values(g.batch * g.inH * g.inW * g.inC);
      const bias = values(g.outC);
      const [w1, w2] = [0, 1].map(() => values(g.fh * g.fw * g.inC * g.outC));
      const [k1, k2] = [{}, {}];
      const plan = dnnl.biasConvolution(g, false)!;
      // Two filters of one geometry (two layers of a model), alternating, keyed and not.
      const calls: [Float32Array, object | undefined][] = [[w1, k1], [w2, k2], [w1, k1], [
        w2,
        undefined,
      ], [w2, k2]];
      for (const [i, [w, key]] of calls.entries()) {
        const y = new Float32Array(g.batch * g.outH * g.outW * g.outC);
        plan.forward(x, w, bias, y, key);
        assertClose(y, referenceBiasConv(g, x, w, bias, false), 1e-5, `call ${i}`);
      }
      assert.equal(dnnl.plans().convolution, 1);
    } finally {
      dnnl.close();
    }
  },
});

Deno.test({
  name: "a shape oneDNN cannot plan is remembered, said once, and not tried again",
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn();
    try {
      const said = warnings(() => {
        // A 3x3 filter over a 3x3 image, one output, no padding: valid but for a stride of 0.
        const refused = { ...GEOMETRY, inH: 3, inW: 3, outH: 1, outW: 1, top: 0, left: 0 };
        assert.equal(dnnl.convolution({ ...refused, sh: 0 }), undefined);
        assert.equal(dnnl.convolution({ ...refused, sh: 0 }), undefined);
        assert.equal(dnnl.convolution({ ...refused, sw: 0 }), undefined);
        assert.notEqual(dnnl.convolution(GEOMETRY), undefined);
      });
      assert.deepEqual(dnnl.plans(), { convolution: 1, batchNorm: 0, flat: 0, failures: 2 });
      assert.equal(said.length, 1, said.join("\n"));
      assert.match(said[0]!, /could not plan convolution .*"sh":0.*runs it on its own kernels/);
    } finally {
      dnnl.close();
    }
  },
});

Deno.test({
  name: "oneDNN keeps at most maxPlans of a kind, and a freed plan refuses to run",
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn({ maxPlans: 3 });
    try {
      const first = dnnl.batchNorm(4, 2, 1e-3)!;
      for (let length = 1; length <= 6; length++) {
        const x = Float32Array.from({ length }, (_, i) => i - 2);
        const y = new Float32Array(length);
        assert.equal(dnnl.relu(x, y), true);
        assert.deepEqual(y, x.map((v) => Math.max(v, 0)));
      }
      for (const rows of [5, 6, 7]) dnnl.batchNorm(rows, 2, 1e-3);
      assert.deepEqual(dnnl.plans(), { convolution: 0, batchNorm: 3, flat: 3, failures: 0 });
      const f = (n: number) => new Float32Array(n);
      assert.throws(
        () => first.forward(f(8), f(2), f(2), f(8), f(2), f(2)),
        /oneDNN batch-norm plan used after it was freed/,
      );
      // Asked for again, it is made again and runs.
      dnnl.batchNorm(4, 2, 1e-3)!.forward(f(8).fill(3), f(2), f(2), f(8), f(2), f(2));
    } finally {
      dnnl.close();
    }
  },
});

/** A oneDNN that can plan nothing, counting how often it was asked. */
function planningNothing(): OneDnn & { asked: number } {
  const fake = {
    asked: 0,
    path: "planning-nothing",
    version: "2.6.3",
    add: () => (fake.asked++, false),
    binary: () => (fake.asked++, false),
    unary: () => (fake.asked++, false),
    relu: () => (fake.asked++, false),
    reluBackward: () => (fake.asked++, false),
    convolution: () => (fake.asked++, undefined),
    biasConvolution: () => (fake.asked++, undefined),
    batchNorm: () => (fake.asked++, undefined),
    bfloat16: () => ({ supported: false as const, reason: "plans nothing" }),
    forget: () => {},
    keptCopies: () => ({ count: 0, bytes: 0 }),
    plans: () => ({ convolution: 0, batchNorm: 0, flat: 0, failures: 0 }),
    close: () => {},
  };
  return fake;
}

Deno.test({
  name: "where oneDNN cannot plan, the blas kernels fall back to their own and match cpu",
  ignore: ignoreOneDnn,
  fn: async () => {
    const backend = tf.findBackend("blas") as unknown as BlasBackend & { oneDnn: OneDnn };
    const [real, used] = [backend.oneDnn, backend.useOneDnn];
    const fake = planningNothing();
    backend.oneDnn = fake;
    backend.useOneDnn = true;
    try {
      const r = await onBoth(() => {
        // Above the size where the kernels hand work to oneDNN.
        const a = tf.randomNormal([300, 257], 0, 1, "float32", 1);
        const b = tf.randomNormal([300, 257], 0, 1, "float32", 2);
        const x = tf.randomNormal([2, 5, 5, 3], 0, 1, "float32", 3);
        const w = tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 4);
        const gamma = tf.randomNormal([3], 1, 0.1, "float32", 5);
        const beta = tf.randomNormal([3], 0, 0.1, "float32", 6);
        const bias = tf.randomNormal([4], 0, 1, "float32", 7);
        const loss = (a: tf.Tensor, x: tf.Tensor, w: tf.Tensor) =>
          tf.addN([
            tf.sum(tf.relu(tf.add(a, b))),
            tf.sum(tf.sqrt(tf.square(tf.div(tf.mul(tf.sub(a, b), 0.5), b)))),
            tf.sum(tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, 1, "same")),
            tf.sum(tf.fused.conv2d({
              x: x as tf.Tensor4D,
              filter: w as tf.Tensor4D,
              strides: 1,
              pad: "same",
              bias,
              activation: "relu",
            })),
            tf.sum(tf.square(batchNormTraining(x, gamma, beta, 1e-3).y)),
          ]);
        return [loss(a, x, w), ...tf.grads(loss)([a, x, w])];
      });
      assertBothClose(r, 1e-4, "fallback");
      assert.ok(fake.asked >= 12, `oneDNN was asked ${fake.asked} times`);
    } finally {
      backend.oneDnn = real;
      backend.useOneDnn = used;
    }
  },
});
