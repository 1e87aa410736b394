import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  assertBothClose,
  ignoreBlas,
  ignoreOneDnn,
  type KernelPath,
  onBoth,
  onPath,
  rng,
} from "./_test_util.ts";

type Pad = "same" | "valid" | number | [[0, 0], [number, number], [number, number], [0, 0]];

interface Case {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: number;
  pad: Pad;
  dilation: number;
}

/** conv2d, its input gradient and its filter gradient (through a random projection). */
function convAndGrads(c: Case, seed: number): tf.Tensor[] {
  const x = tf.randomNormal(c.x, 0, 1, "float32", seed) as tf.Tensor4D;
  const w = tf.randomNormal(c.filter, 0, 1, "float32", seed + 1) as tf.Tensor4D;
  const conv = (x: tf.Tensor4D, w: tf.Tensor4D) =>
    tf.conv2d(x, w, c.strides, c.pad, "NHWC", c.dilation);
  const y = conv(x, w);
  if (c.dilation !== 1) return [y]; // tfjs has no gradient for dilated convolutions
  const r = tf.randomNormal(y.shape, 0, 1, "float32", seed + 2);
  const loss = (x: tf.Tensor, w: tf.Tensor) =>
    tf.sum(tf.mul(conv(x as tf.Tensor4D, w as tf.Tensor4D), r));
  const [dx, dw] = tf.grads(loss)([x, w]);
  return [y, dx, dw];
}

function describe(c: Case): string {
  return `x ${c.x} filter ${c.filter} stride ${c.strides} pad ${JSON.stringify(c.pad)} ` +
    `dilation ${c.dilation}`;
}

// Every path of the blas kernels, in one chunk and in several: the padded-grid GEMMs (stride 1, 16-63 channels), im2col
// (few or many channels, strides), plain GEMM (1x1 stride 1), col2im (strided input gradient).
const fixedCases: Case[] = [
  { x: [2, 9, 8, 32], filter: [3, 3, 32, 8], strides: 1, pad: "same", dilation: 1 },
  { x: [2, 9, 8, 17], filter: [3, 3, 17, 5], strides: 1, pad: "valid", dilation: 1 },
  { x: [2, 9, 8, 20], filter: [3, 3, 20, 4], strides: 1, pad: "same", dilation: 2 },
  { x: [2, 7, 7, 64], filter: [3, 3, 64, 6], strides: 1, pad: "same", dilation: 1 },
  { x: [2, 8, 8, 70], filter: [3, 3, 70, 5], strides: 2, pad: "same", dilation: 1 },
  { x: [3, 6, 5, 1], filter: [3, 3, 1, 7], strides: 1, pad: "same", dilation: 1 },
  { x: [2, 12, 11, 3], filter: [7, 7, 3, 4], strides: 2, pad: "same", dilation: 1 },
  { x: [2, 6, 6, 24], filter: [1, 1, 24, 9], strides: 1, pad: "valid", dilation: 1 },
  { x: [2, 7, 6, 24], filter: [1, 1, 24, 9], strides: 2, pad: "same", dilation: 1 },
  {
    x: [1, 7, 9, 18],
    filter: [3, 2, 18, 3],
    strides: 1,
    pad: [[0, 0], [2, 1], [0, 3], [0, 0]],
    dilation: 1,
  },
  { x: [2, 9, 9, 5], filter: [3, 3, 5, 4], strides: 2, pad: 1, dilation: 1 },
  // Large enough to take several chunks: the grid (4510 rows of 63 channels) and im2col.
  { x: [2, 46, 46, 63], filter: [3, 3, 63, 2], strides: 1, pad: "same", dilation: 1 },
  { x: [2, 30, 30, 70], filter: [3, 3, 70, 3], strides: 1, pad: "same", dilation: 1 },
];

// Each test runs on both convolution paths: oneDNN's kernels, and the GEMMs that serve where
// oneDNN is not installed.
for (const path of ["builtin", "onednn"] as KernelPath[]) {
  Deno.test({
    name: `blas Conv2D and both gradients match the cpu backend on every path (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        for (const [i, c] of fixedCases.entries()) {
          assertBothClose(await onBoth(() => convAndGrads(c, 10 + i)), 1e-4, describe(c));
        }
      }),
  });

  Deno.test({
    name: `blas Conv2D and both gradients match the cpu backend on random shapes (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        const pick = rng(7);
        const channels = [1, 2, 3, 16, 21, 32, 40, 64, 66];
        for (let i = 0; i < 24; i++) {
          const size = 1 + pick(3) * 2;
          const strides = 1 + pick(2);
          const dilation = strides === 1 && pick(4) === 0 ? 2 : 1;
          const pads: Pad[] = ["same", "valid", pick(3)];
          const window = (size - 1) * dilation + 1;
          const c: Case = {
            x: [1 + pick(3), window + pick(8), window + pick(8), channels[pick(channels.length)]],
            filter: [size, size, 0, 1 + pick(9)],
            strides,
            pad: pads[pick(3)],
            dilation,
          };
          c.filter[2] = c.x[3];
          assertBothClose(await onBoth(() => convAndGrads(c, 100 + i)), 1e-4, describe(c));
        }
      }),
  });

  Deno.test({
    name:
      `blas FusedConv2D with bias and activations matches the cpu backend, gradients too (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        for (const activation of ["linear", "relu", "elu"] as const) {
          // "same", strided, 1x1, a strided 1x1 that leaves the last column unread, explicit
          // padding, and padding 1 at stride 2.
          const cases = [0, 4, 7, 8, 9, 10].map((i) => fixedCases[i]!);
          for (const [k, c] of cases.entries()) {
            const i = 10 * k + 1; // seeds must be nonzero: tfjs treats seed 0 as "unseeded"
            const r = await onBoth(() => {
              const x = tf.randomNormal(c.x, 0, 1, "float32", i) as tf.Tensor4D;
              const w = tf.randomNormal(c.filter, 0, 1, "float32", i + 1) as tf.Tensor4D;
              const b = tf.randomNormal([c.filter[3]], 0, 1, "float32", i + 2) as tf.Tensor1D;
              const f = (x: tf.Tensor, w: tf.Tensor, b: tf.Tensor) =>
                tf.fused.conv2d({
                  x: x as tf.Tensor4D,
                  filter: w as tf.Tensor4D,
                  strides: c.strides,
                  pad: c.pad as "same",
                  bias: b,
                  activation,
                });
              const y = f(x, w, b);
              const r = tf.randomNormal(y.shape, 0, 1, "float32", i + 3);
              return [y, ...tf.grads((x, w, b) => tf.sum(tf.mul(f(x, w, b), r)))([x, w, b])];
            });
            assertBothClose(r, 1e-4, `${activation} ${describe(c)}`);
          }
        }
      }),
  });
}

Deno.test({
  name: "blas Conv2D falls back to the cpu kernel for NCHW and matches it",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      const x = tf.randomNormal([2, 3, 6, 5], 0, 1, "float32", 1) as tf.Tensor4D;
      const w = tf.randomNormal([3, 3, 3, 4], 0, 1, "float32", 2) as tf.Tensor4D;
      return tf.conv2d(x, w, 1, "same", "NCHW");
    });
    assertBothClose(r, 1e-5, "NCHW");
    assert.equal(r.blas[0].length, 2 * 4 * 6 * 5);
  },
});

Deno.test({
  name: "blas FusedConv2D with bias and relu keeps NaN where a pre-activation is NaN (oneDNN)",
  ignore: ignoreBlas || ignoreOneDnn,
  fn: () =>
    onPath("onednn", async () => {
      // oneDNN's relu maps NaN to 0. A NaN input, or an infinite one whose products of both
      // signs meet in a sum, gives NaN there, as on the cpu backend.
      const shape: [number, number, number, number] = [2, 6, 6, 8];
      for (const poison of [NaN, Infinity]) {
        const r = await onBoth(() => {
          const x = tf.where(
            tf.greater(tf.randomUniform(shape, 0, 1, "float32", 4), 0.98),
            tf.fill(shape, poison),
            tf.randomNormal(shape, 0, 1, "float32", 3),
          );
          return tf.fused.conv2d({
            x: x as tf.Tensor4D,
            filter: tf.randomNormal([3, 3, 8, 8], 0, 1, "float32", 5) as tf.Tensor4D,
            strides: 1,
            pad: "same",
            bias: tf.randomNormal([8], 0, 1, "float32", 6),
            activation: "relu",
          });
        });
        const nans = r.cpu[0]!.filter(Number.isNaN).length;
        assert.ok(nans > 0 && nans < r.cpu[0]!.length, `${poison}: ${nans} NaN on cpu`);
        assertBothClose(r, 1e-4, `input ${poison}`);
      }
    }),
});
