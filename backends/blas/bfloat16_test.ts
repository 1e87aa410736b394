// bfloat16 convolutions on oneDNN: which CPUs get them, and that they compute exactly the
// float32-accumulated products of bfloat16-rounded inputs.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { openOneDnn } from "./onednn.ts";
import { blasMissing, ignoreBlas, ignoreOneDnn, oneDnnMissing } from "./_test_util.ts";
import type { BlasBackend } from "./backend.ts";
import { skipNote } from "../_test_util.ts";
import {
  type ConvCase,
  convolution,
  filterGradient,
  geometry,
  inputGradient,
  maxRelativeError,
  oneDnnGeometry,
  values,
} from "../_conv_reference_test_util.ts";
import { blasBfloat16Support, blasPrecision, setBlasPrecision } from "../blas_precision.ts";

/** The CPU's native bfloat16 instruction sets, from /proc/cpuinfo (Linux; [] elsewhere). */
function cpuBfloat16Flags(): string[] {
  try {
    const info = Deno.readTextFileSync("/proc/cpuinfo");
    const flags = new Set(info.match(/^flags\s*:(.*)$/m)?.[1]?.trim().split(/\s+/) ?? []);
    return ["avx512_bf16", "amx_bf16"].filter((flag) => flags.has(flag));
  } catch {
    return [];
  }
}

const cpuFlags = cpuBfloat16Flags();
const bfloat16Missing = oneDnnMissing ??
  (cpuFlags.length === 0 ? "this CPU has no AVX-512 BF16 or AMX" : undefined);

/** v rounded to the nearest bfloat16 (ties to even), as oneDNN's conversion does. */
function toBfloat16(v: number): number {
  const f = new Float32Array([v]);
  const bits = new Uint32Array(f.buffer);
  const lsb = (bits[0]! >>> 16) & 1;
  bits[0] = ((bits[0]! + 0x7fff + lsb) >>> 0) & 0xffff0000;
  return f[0]!;
}

function rounded(a: Float32Array): Float32Array {
  return a.map(toBfloat16);
}

/** The reference model's convolutions: its 1-channel stem, a block's 3x3, a strided 3x3 and 1x1. */
const CASES: ConvCase[] = [
  { n: 3, h: 9, w: 9, ci: 1, co: 16, kh: 3, kw: 3, stride: [1, 1], pad: "same" },
  { n: 2, h: 8, w: 8, ci: 16, co: 16, kh: 3, kw: 3, stride: [1, 1], pad: "same" },
  { n: 2, h: 9, w: 7, ci: 16, co: 32, kh: 3, kw: 3, stride: [2, 2], pad: "same" },
  { n: 2, h: 8, w: 8, ci: 32, co: 64, kh: 1, kw: 1, stride: [2, 2], pad: "valid" },
];

Deno.test({
  name: "OneDnn.bfloat16() says supported exactly on CPUs with AVX-512 BF16 or AMX" +
    skipNote("oneDNN", oneDnnMissing),
  ignore: ignoreOneDnn || Deno.build.os !== "linux",
  fn: () => {
    const dnnl = openOneDnn();
    try {
      const support = dnnl.bfloat16();
      assert.equal(support.supported, cpuFlags.length > 0, JSON.stringify({ support, cpuFlags }));
      if (support.supported) assert.match(support.kernel, /avx512_core_bf16|amx/);
      else assert.match(support.reason, /AVX-512 BF16 or AMX|could not plan/);
      assert.equal(dnnl.bfloat16(), support, "decided once");
    } finally {
      dnnl.close();
    }
  },
});

Deno.test({
  name: "bfloat16 convolutions equal float64 ones of the bfloat16-rounded inputs (forward, both " +
    "gradients)" + skipNote("bfloat16", bfloat16Missing),
  ignore: bfloat16Missing !== undefined,
  fn: () => {
    const dnnl = openOneDnn();
    try {
      CASES.forEach((c, i) => {
        const g = oneDnnGeometry(c);
        const x = values(c.n * c.h * c.w * c.ci, 10 + i);
        const w = values(c.kh * c.kw * c.ci * c.co, 20 + i);
        const dy = values(c.n * g.outH * g.outW * c.co, 30 + i);
        const [xb, wb, dyb] = [x, w, dy].map(rounded);
        const low = dnnl.convolution(g, "bfloat16")!;
        const y = new Float32Array(dy.length);
        const dx = new Float32Array(x.length);
        const dw = new Float32Array(w.length);
        low.forward(x, w, y);
        low.backwardData(dy, w, dx);
        low.backwardWeights(x, dy, dw);
        const what = JSON.stringify(c);
        const pairs = [
          ["y", y, convolution(c, xb!, wb!), convolution(c, x, w)],
          ["dx", dx, inputGradient(c, wb!, dyb!), inputGradient(c, w, dy)],
          ["dw", dw, filterGradient(c, xb!, dyb!), filterGradient(c, x, dy)],
        ] as const;
        for (const [name, got, ofRounded, ofExact] of pairs) {
          // Products of bfloat16 values are exact in float32: only the float32 sums round.
          const error = maxRelativeError(got, ofRounded);
          assert.ok(error < 2e-6, `${name} of ${what}: ${error} from the rounded inputs' result`);
          // And the inputs really were rounded (not run in float32).
          const off = maxRelativeError(got, ofExact);
          assert.ok(off > 1e-4, `${name} of ${what}: only ${off} from the float32 inputs' result`);
        }
      });
    } finally {
      dnnl.close();
    }
  },
});

Deno.test({
  name: "a bfloat16 plan converts a keyed input once and keeps the copy until forget()" +
    skipNote("bfloat16", bfloat16Missing),
  ignore: bfloat16Missing !== undefined,
  fn: () => {
    const dnnl = openOneDnn();
    try {
      const c = CASES[1]!;
      const g = oneDnnGeometry(c);
      const x = values(c.n * c.h * c.w * c.ci, 1);
      const w = values(c.kh * c.kw * c.ci * c.co, 2);
      const dy = values(c.n * g.outH * g.outW * c.co, 3);
      const original = rounded(x);
      const plan = dnnl.convolution(g, "bfloat16")!;
      const key = {};
      const y = new Float32Array(dy.length);
      const dw = new Float32Array(w.length);
      plan.forward(x, w, y, { x: key });
      assert.deepEqual(dnnl.keptCopies(), { count: 1, bytes: 2 * x.length });
      // Keys promise unchanged values: a changed x under the same key is not read again.
      x.fill(0.5);
      plan.backwardWeights(x, dy, dw, { x: key });
      assert.ok(maxRelativeError(dw, filterGradient(c, original, rounded(dy))) < 2e-6, "kept");
      dnnl.forget(key);
      assert.deepEqual(dnnl.keptCopies(), { count: 0, bytes: 0 });
      const dyKey = {};
      plan.backwardWeights(x, dy, dw, { x: key, dy: dyKey });
      assert.ok(maxRelativeError(dw, filterGradient(c, rounded(x), rounded(dy))) < 2e-6, "new");
      assert.equal(dnnl.keptCopies().count, 2, "x and dy under their keys");
      // Without keys nothing is kept.
      dnnl.forget(key);
      dnnl.forget(dyKey);
      plan.forward(x, w, y);
      assert.deepEqual(dnnl.keptCopies(), { count: 0, bytes: 0 });
    } finally {
      dnnl.close();
    }
  },
});

Deno.test({
  name: "setBlasPrecision() switches the blas backend's training convolutions to bfloat16 and " +
    "back" + skipNote("bfloat16", bfloat16Missing),
  ignore: bfloat16Missing !== undefined,
  fn: async () => {
    const before = tf.getBackend() ?? "cpu";
    assert.ok(await tf.setBackend("blas"));
    const c = CASES[1]!;
    const { oh, ow } = geometry(c);
    const x = values(c.n * c.h * c.w * c.ci, 1);
    const w = values(c.kh * c.kw * c.ci * c.co, 2);
    const dy = values(c.n * oh * ow * c.co, 3);
    const run = () =>
      tf.tidy(() => {
        const xt = tf.tensor4d(x, [c.n, c.h, c.w, c.ci]);
        const wt = tf.tensor4d(w, [c.kh, c.kw, c.ci, c.co]);
        const conv = (a: tf.Tensor, b: tf.Tensor) =>
          tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 1, "same");
        const [dx, dw] = tf.grads(conv)([xt, wt], tf.tensor4d(dy, [c.n, oh, ow, c.co]));
        return [tf.conv2d(xt, wt, 1, "same"), dx!, dw!].map((t) => t.dataSync());
      });
    try {
      assert.equal(blasPrecision(), "float32");
      assert.equal(blasBfloat16Support().supported, true);
      setBlasPrecision("bfloat16");
      assert.equal(blasPrecision(), "bfloat16");
      const [y, dx, dw] = run();
      const [xb, wb, dyb] = [x, w, dy].map(rounded);
      assert.ok(maxRelativeError(y!, convolution(c, xb!, wb!)) < 2e-6, "y");
      assert.ok(maxRelativeError(dx!, inputGradient(c, wb!, dyb!)) < 2e-6, "dx");
      assert.ok(maxRelativeError(dw!, filterGradient(c, xb!, dyb!)) < 2e-6, "dw");
      // The copies of the step's inputs died with its tensors.
      const backend = tf.findBackend("blas") as unknown as BlasBackend;
      assert.deepEqual(backend.oneDnn!.keptCopies(), { count: 0, bytes: 0 });
      setBlasPrecision("float32");
      const [y32] = run();
      assert.ok(maxRelativeError(y32!, convolution(c, x, w)) < 2e-6, "float32 again");
    } finally {
      setBlasPrecision("float32");
      await tf.setBackend(before);
    }
  },
});

Deno.test("setBlasPrecision() names a bad precision and what is allowed", () => {
  assert.throws(() => setBlasPrecision(16 as never), {
    name: "TypeError",
    message: /^setBlasPrecision\(\): precision must be "float32" or "bfloat16", got 16/,
  });
  assert.throws(() => setBlasPrecision("float16" as never), {
    name: "RangeError",
    message: /^setBlasPrecision\(\): precision must be one of "float32", "bfloat16", got "float16"/,
  });
});

Deno.test({
  name: "setBlasPrecision() refuses bfloat16 where it would not run natively, and says why" +
    skipNote("blas", blasMissing),
  ignore: ignoreBlas,
  fn: () => {
    const backend = tf.findBackend("blas") as unknown as BlasBackend;
    const before = backend.useOneDnn;
    backend.useOneDnn = false;
    try {
      assert.throws(() => setBlasPrecision("bfloat16"), {
        message: 'setBlasPrecision(): precision "bfloat16" does not run natively here: oneDNN ' +
          "is turned off on this backend (useOneDnn is false)",
      });
      assert.equal(blasPrecision(), "float32");
    } finally {
      backend.useOneDnn = before;
    }
    if (bfloat16Missing !== undefined && oneDnnMissing === undefined) {
      // oneDNN is here but the CPU lacks bfloat16 instructions.
      assert.throws(() => setBlasPrecision("bfloat16"), {
        message:
          /^setBlasPrecision\(\): precision "bfloat16" does not run natively here: .*AVX-512 BF16 or AMX/,
      });
    }
  },
});
