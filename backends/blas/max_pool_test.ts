import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { Random } from "@selfsup/internal";
import { ignoreBlas, onBoth } from "./_test_util.ts";
import { maxPool, maxPoolGrad } from "./max_pool.ts";

/** Asserts two arrays hold the same float32 values bit for bit (NaN = NaN, -0 != +0). */
function assertSame(a: Float32Array, b: Float32Array, what: string): void {
  assert.equal(a.length, b.length, `${what}: length ${a.length} vs ${b.length}`);
  for (let i = 0; i < a.length; i++) {
    assert.ok(Object.is(a[i], b[i]), `${what}[${i}]: blas ${a[i]} vs cpu ${b[i]}`);
  }
}

/** Asserts every output of `onBoth` is the same bit for bit. */
function assertBothSame(r: { blas: Float32Array[]; cpu: Float32Array[] }, what: string): void {
  assert.equal(r.blas.length, r.cpu.length);
  r.blas.forEach((v, i) => assertSame(v, r.cpu[i]!, `${what} output ${i}`));
}

/** Values with many ties, NaN and infinities (`special`), or continuous ones. */
function values(n: number, seed: number, special: boolean): Float32Array {
  const random = new Random(seed);
  const pool = [-1, 0, 1, 2, -Infinity, Infinity, NaN, -0];
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    out[i] = special ? pool[random.integer(pool.length)]! : random.normal();
  }
  return out;
}

/** Max pool of `x` and its gradient for the upstream gradient `w`, as tensors. */
function poolAndGrad(
  x: tf.Tensor4D,
  w: tf.Tensor,
  filter: [number, number],
  strides: [number, number],
  pad: "same" | "valid" | number,
  rounding?: "floor" | "round" | "ceil",
): tf.Tensor[] {
  const f = (x: tf.Tensor4D) => tf.maxPool(x, filter, strides, pad, rounding);
  return [f(x), tf.grad((x) => tf.sum(tf.mul(f(x as tf.Tensor4D), w)))(x)];
}

Deno.test({
  name: "blas MaxPool and MaxPoolGrad are the blas backend's own kernels",
  ignore: ignoreBlas,
  fn: () => {
    assert.equal(tf.getKernel("MaxPool", "blas")?.kernelFunc, maxPool);
    assert.equal(tf.getKernel("MaxPoolGrad", "blas")?.kernelFunc, maxPoolGrad);
  },
});

Deno.test({
  name: "blas MaxPool and its gradient equal the cpu backend's bit for bit for any shape, " +
    "filter, stride and padding, ties, NaN and infinities included",
  ignore: ignoreBlas,
  fn: async () => {
    const cases = fc.sample(
      fc.record({
        batch: fc.integer({ min: 1, max: 3 }),
        height: fc.integer({ min: 1, max: 9 }),
        width: fc.integer({ min: 1, max: 9 }),
        channels: fc.integer({ min: 1, max: 6 }),
        filter: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
        strides: fc.tuple(fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 4 })),
        pad: fc.constantFrom<"same" | "valid" | number>("same", "valid", 0, 1),
        rounding: fc.constantFrom<"floor" | "round" | "ceil">("floor", "round", "ceil"),
        special: fc.boolean(),
      }),
      { numRuns: 150, seed: 14 },
    );
    let checked = 0;
    for (const [i, c] of cases.entries()) {
      // A filter larger than the (padded) input leaves no output: tfjs rejects it.
      const padRows = typeof c.pad === "number" ? 2 * c.pad : 0;
      const filter: [number, number] = [
        Math.min(c.filter[0], c.height + padRows),
        Math.min(c.filter[1], c.width + padRows),
      ];
      const rounding = typeof c.pad === "number" ? c.rounding : undefined;
      const shape: [number, number, number, number] = [c.batch, c.height, c.width, c.channels];
      const xs = values(c.batch * c.height * c.width * c.channels, 1 + i, c.special);
      const what = `case ${i} ${JSON.stringify({ ...c, filter })}`;
      const r = await onBoth(() => {
        const x = tf.tensor4d(xs, shape);
        const outShape = tf.maxPool(x, filter, c.strides, c.pad, rounding).shape;
        const w = tf.tensor(values(tf.util.sizeFromShape(outShape), 500 + i, c.special), outShape);
        return poolAndGrad(x, w, filter, c.strides, c.pad, rounding);
      });
      assertBothSame(r, what);
      checked++;
    }
    assert.equal(checked, 150);
  },
});

Deno.test({
  name: "blas MaxPool on the small ConvNet's and the ResNet stem's shapes equals the cpu's",
  ignore: ignoreBlas,
  fn: async () => {
    const shapes: [[number, number, number, number], number, number, "same" | "valid"][] = [
      [[4, 28, 28, 32], 2, 2, "same"],
      [[3, 15, 15, 16], 2, 2, "same"],
      [[2, 32, 32, 16], 3, 2, "valid"],
      [[2, 31, 31, 8], 3, 2, "same"],
    ];
    for (const [i, [shape, f, s, pad]] of shapes.entries()) {
      const r = await onBoth(() => {
        const x = tf.randomNormal(shape, 0, 1, "float32", 1 + i) as tf.Tensor4D;
        const outShape = tf.maxPool(x, f, s, pad).shape;
        const w = tf.randomNormal(outShape, 0, 1, "float32", 100 + i);
        return poolAndGrad(x, w, [f, f], [s, s], pad);
      });
      assertBothSame(r, `shape ${shape} filter ${f} stride ${s} ${pad}`);
    }
  },
});

Deno.test({
  name: "blas MaxPool gives ties' gradient to the first in window order and none to windows " +
    "of only NaN and -Infinity",
  ignore: ignoreBlas,
  fn: async () => {
    assert.ok(await tf.setBackend("blas"));
    // One row of three equal values, 1x2 windows at stride 1: each window's first pixel wins.
    const x = tf.tensor4d([1, 1, 1], [1, 1, 3, 1]);
    const [y, dx] = poolAndGrad(x, tf.tensor4d([10, 20], [1, 1, 2, 1]), [1, 2], [1, 1], "valid");
    assert.deepEqual(await y!.data(), new Float32Array([1, 1]));
    assert.deepEqual(await dx!.data(), new Float32Array([10, 20, 0]));
    // 2x2 windows at stride 2: a tie at the end, NaN beside a value, only NaN / -Infinity.
    const x2 = tf.tensor4d([5, 0, NaN, NaN, -Infinity, NaN, 0, 5, NaN, -1, -Infinity, NaN], [
      1,
      2,
      6,
      1,
    ]);
    // Rows: [5, 0, NaN, NaN, -Inf, NaN] and [0, 5, NaN, -1, -Inf, NaN].
    const [y2, dx2] = poolAndGrad(
      x2,
      tf.tensor4d([1, 2, 3], [1, 1, 3, 1]),
      [2, 2],
      [2, 2],
      "valid",
    );
    assert.deepEqual(await y2!.data(), new Float32Array([5, -1, -Infinity]));
    assert.deepEqual(await dx2!.data(), new Float32Array([1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0]));
    tf.dispose([x, y!, dx!, x2, y2!, dx2!]);
    await tf.setBackend("cpu");
  },
});

Deno.test({
  name: "blas MaxPool falls back to the cpu kernel for int32 and for a 1x1 identity pool",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => [
      tf.maxPool(tf.tensor4d([3, 1, 4, 1, 5, 9, 2, 6], [1, 2, 4, 1], "int32"), 2, 2, "valid"),
      tf.maxPool(tf.tensor4d([3, 1, 4, 1], [1, 2, 2, 1]), 1, 1, "valid"),
    ]);
    assertBothSame(r, "fallbacks");
    assert.deepEqual(r.blas[0], new Float32Array([9, 6]));
  },
});
