import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  assertBothClose,
  assertBothSame,
  ignoreBlas,
  ignoreOneDnn,
  type KernelPath,
  onBoth,
  onPath,
} from "./_test_util.ts";
import { collapseBroadcast, equal, less } from "./elementwise.ts";

Deno.test("collapseBroadcast() merges dims that broadcast alike and drops size-1 dims", () => {
  assert.deepEqual(collapseBroadcast([8, 4, 4, 3], [3], [8, 4, 4, 3]), {
    dims: [128, 3],
    aStrides: [3, 1],
    bStrides: [0, 1],
  });
  assert.deepEqual(collapseBroadcast([2, 3], [2, 3], [2, 3]), {
    dims: [6],
    aStrides: [1],
    bStrides: [1],
  });
  assert.deepEqual(collapseBroadcast([5, 1], [1, 7], [5, 7]), {
    dims: [5, 7],
    aStrides: [1, 0],
    bStrides: [0, 1],
  });
  assert.deepEqual(collapseBroadcast([], [], []), { dims: [], aStrides: [], bStrides: [] });
});

/** A pair of shapes that broadcast: each dim of each side is the output's or 1 (or absent). */
const broadcastPair = fc
  .array(fc.integer({ min: 1, max: 4 }), { minLength: 0, maxLength: 4 })
  .chain((out) =>
    fc.tuple(
      ...[0, 1].map(() =>
        fc.tuple(
          fc.integer({ min: 0, max: out.length }),
          fc.array(fc.boolean(), {
            minLength: out.length,
            maxLength: out.length,
          }),
        ).map(([drop, ones]) => out.map((d, i) => (ones[i] ? 1 : d)).slice(drop))
      ),
    )
  );

const binaryOps: Record<string, (a: tf.Tensor, b: tf.Tensor) => tf.Tensor> = {
  add: tf.add,
  sub: tf.sub,
  mul: tf.mul,
  div: tf.div,
  squaredDifference: tf.squaredDifference,
  maximum: tf.maximum,
  minimum: tf.minimum,
  mod: tf.mod,
};

Deno.test({
  name: "blas binary ops match the cpu backend for any broadcast, gradients included",
  ignore: ignoreBlas,
  fn: async () => {
    const pairs = fc.sample(broadcastPair, { numRuns: 100, seed: 7 });
    for (const [i, [aShape, bShape]] of pairs.entries()) {
      for (const [name, op] of Object.entries(binaryOps)) {
        const r = await onBoth(() => {
          const a = tf.randomNormal(aShape, 0, 1, "float32", 1 + i);
          // Keep divisors away from 0 so finite values compare at float32 tolerance.
          const b = tf.add(tf.randomUniform(bShape, 0.5, 2, "float32", 200 + i), 0);
          const y = op(a, b);
          // tfjs's own SquaredDifference, Maximum, Minimum and Mod gradients do not reduce
          // broadcast dims.
          if (["squaredDifference", "maximum", "minimum", "mod"].includes(name)) return [y];
          const w = tf.randomNormal(y.shape, 0, 1, "float32", 400 + i);
          return [y, ...tf.grads((a, b) => tf.sum(tf.mul(op(a, b), w)))([a, b])];
        });
        assertBothClose(r, 1e-5, `${name} ${JSON.stringify(aShape)} ${JSON.stringify(bShape)}`);
      }
    }
  },
});

Deno.test({
  name: "blas unary ops match the cpu backend, NaN, infinities and signed zeros included",
  ignore: ignoreBlas,
  fn: async () => {
    const special = [NaN, Infinity, -Infinity, 0, -0, 1e-30, -1e-30, 3, -3];
    const ops: Record<string, (x: tf.Tensor) => tf.Tensor> = {
      relu: tf.relu,
      step: (x) => tf.step(x),
      stepAlpha: (x) => tf.step(x, 0.25),
      square: tf.square,
      sqrt: tf.sqrt,
      rsqrt: tf.rsqrt,
      neg: tf.neg,
      exp: tf.exp,
    };
    for (const [name, op] of Object.entries(ops)) {
      const r = await onBoth(() => {
        const x = tf.concat([tf.tensor1d(special), tf.randomNormal([5000], 0, 2, "float32", 3)]);
        const y = op(x);
        return [y, tf.grad((x) => tf.sum(op(x)))(tf.randomUniform([64], 0.1, 2, "float32", 9))];
      });
      assertBothClose(r, 1e-6, name);
    }
  },
});

Deno.test({
  name: "blas elementwise kernels fall back to the cpu kernel for int32",
  ignore: ignoreBlas,
  fn: async () => {
    const r = await onBoth(() => {
      const a = tf.tensor2d([[1, -2], [3, 4]], [2, 2], "int32");
      const b = tf.tensor1d([5, -6], "int32");
      return [tf.add(a, b), tf.sub(a, b), tf.mul(a, b), tf.relu(a), tf.neg(a), tf.square(a)];
    });
    assertBothClose(r, 0);
  },
});

Deno.test({
  name: "blas relu gradient (one kernel) equals tfjs's dy * step(x) on cpu, special values too",
  ignore: ignoreBlas,
  fn: async () => {
    const special = [0, -0, 1e-40, -1e-40, Infinity, -Infinity, NaN, 3, -3];
    const x = special.flatMap((a) => special.map(() => a));
    const dy = special.flatMap(() => special);
    const r = await onBoth(() => {
      const random = tf.randomNormal([4, 9, 9, 33], 0, 1, "float32", 7);
      const dr = tf.randomNormal([4, 9, 9, 33], 0, 1, "float32", 8);
      const grad = (x: tf.Tensor, dy: tf.Tensor) => tf.grad((x: tf.Tensor) => tf.relu(x))(x, dy);
      return [grad(tf.tensor1d(x), tf.tensor1d(dy)), grad(random, dr)];
    });
    for (const [i, v] of r.blas.entries()) {
      // Bit for bit, except that any NaN matches any NaN.
      assert.deepEqual(
        Array.from(v, (a) => Number.isNaN(a) ? "NaN" : Object.is(a, -0) ? "-0" : a),
        Array.from(r.cpu[i]!, (a) => Number.isNaN(a) ? "NaN" : Object.is(a, -0) ? "-0" : a),
      );
    }
  },
});

for (const path of ["builtin", "onednn"] as KernelPath[]) {
  Deno.test({
    name: `blas Add of large same-shape tensors equals the cpu backend bit for bit (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        // Above the size where oneDNN takes over; special values at the start.
        const special = [0, -0, Infinity, -Infinity, NaN, 1e-40, -3, 3.5];
        const r = await onBoth(() => {
          const a = tf.randomNormal([300, 257], 0, 1e3, "float32", 5).dataSync();
          const b = tf.randomNormal([300, 257], 0, 1, "float32", 6).dataSync();
          special.forEach((v, i) => {
            a[i] = v;
            b[i + 8] = v;
            a[i + 16] = v;
            b[i + 16] = special[(i + 3) % special.length]!;
          });
          return tf.add(tf.tensor2d(a, [300, 257]), tf.tensor2d(b, [300, 257]));
        });
        const [ours, theirs] = [r.blas[0]!, r.cpu[0]!];
        const oursBits = new Uint32Array(ours.buffer);
        const theirsBits = new Uint32Array(theirs.buffer);
        const first = ours.findIndex((v, i) =>
          !(Number.isNaN(v) && Number.isNaN(theirs[i])) && oursBits[i] !== theirsBits[i]
        );
        assert.equal(first, -1, `element ${first}: ${ours[first]} vs ${theirs[first]}`);
      }),
  });
}

for (const path of ["builtin", "onednn"] as KernelPath[]) {
  Deno.test({
    name:
      `blas Sub, Multiply, RealDiv, Square and Sqrt of large tensors (same shape, one value) equal the cpu backend bit for bit (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        // Above the size where oneDNN takes over; every pair of special values at the start.
        const special = [0, -0, 1e-40, -1e-40, Infinity, -Infinity, NaN, 3.5, -3, 1e30, -7e-30];
        const shape: [number, number] = [300, 257];
        const data = (seed: number, pick: (i: number) => number) => {
          const v = tf.randomNormal(shape, 0, 1e3, "float32", seed).dataSync() as Float32Array;
          for (let i = 0; i < special.length ** 2; i++) v[i] = pick(i);
          return v;
        };
        const a = data(3, (i) => special[Math.floor(i / special.length)]!);
        const b = data(4, (i) => special[i % special.length]!);
        const r = await onBoth(() => {
          const [ta, tb] = [tf.tensor2d(a, shape), tf.tensor2d(b, shape)];
          const ops = (x: tf.Tensor, y: tf.Tensor) => [
            tf.sub(x, y),
            tf.mul(x, y),
            tf.div(x, y),
          ];
          return [
            ...ops(ta, tb),
            // One value on either side, special or not (Adam's and LARS's scalars).
            ...[0.9, -0, NaN, Infinity, 1e-30].flatMap((v) => [
              ...ops(ta, tf.scalar(v)),
              ...ops(tf.scalar(v), ta),
              tf.add(ta, tf.scalar(v)),
              tf.add(tf.tensor2d([[v]]), ta),
            ]),
            tf.square(ta),
            tf.sqrt(ta),
          ];
        });
        assert.equal(r.blas.length, 3 + 5 * 8 + 2);
        r.blas.forEach((ours, k) => {
          const theirs = r.cpu[k]!;
          const oursBits = new Uint32Array(ours.buffer, ours.byteOffset, ours.length);
          const theirsBits = new Uint32Array(theirs.buffer, theirs.byteOffset, theirs.length);
          const first = ours.findIndex((v, i) =>
            !(Number.isNaN(v) && Number.isNaN(theirs[i])) && oursBits[i] !== theirsBits[i]
          );
          assert.equal(
            first,
            -1,
            `output ${k} element ${first}: ${ours[first]} vs ${theirs[first]}`,
          );
        });
        assert.deepEqual(r.kinds.blas, r.kinds.cpu);
      }),
  });
}

for (const path of ["builtin", "onednn"] as KernelPath[]) {
  Deno.test({
    name: `blas relu gradient of a large tensor equals dy * step(x) on cpu (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        // Above the size where oneDNN takes over; every pair of special values at the start.
        const special = [0, -0, 1e-40, -1e-40, Infinity, -Infinity, NaN, 3, -3];
        const shape: [number, number] = [300, 257];
        const data = (seed: number, pick: (i: number) => number) => {
          const v = tf.randomNormal(shape, 0, 1, "float32", seed).dataSync() as Float32Array;
          for (let i = 0; i < 81; i++) v[i] = pick(i);
          return v;
        };
        const x = data(3, (i) => special[Math.floor(i / 9)]!);
        const dy = data(4, (i) => special[i % 9]!);
        const r = await onBoth(() =>
          tf.grad((x: tf.Tensor) => tf.relu(x))(tf.tensor2d(x, shape), tf.tensor2d(dy, shape))
        );
        const [ours, theirs] = [r.blas[0]!, r.cpu[0]!];
        const oursBits = new Uint32Array(ours.buffer);
        const theirsBits = new Uint32Array(theirs.buffer);
        const first = ours.findIndex((v, i) => {
          // oneDNN passes dy where x is NaN; tfjs gives NaN there.
          const expected = path === "onednn" && Number.isNaN(x[i]) ? dy[i]! : theirs[i]!;
          if (Number.isNaN(expected)) return !Number.isNaN(v);
          return expected === theirs[i] ? oursBits[i] !== theirsBits[i] : !Object.is(v, expected);
        });
        assert.equal(
          first,
          -1,
          `x ${x[first]} dy ${dy[first]}: ${ours[first]} vs ${theirs[first]}`,
        );
      }),
  });
}

for (const path of ["builtin", "onednn"] as KernelPath[]) {
  Deno.test({
    name: `blas Relu of large tensors equals the cpu backend, with and without NaN (${path})`,
    ignore: ignoreBlas || (path === "onednn" && ignoreOneDnn),
    fn: () =>
      onPath(path, async () => {
        // Above the size where oneDNN takes over. Without a NaN the oneDNN relu runs; with one,
        // JavaScript, so that the NaN survives as in tfjs.
        for (const special of [[0, -0, 1e-40, -1e-40, Infinity, -Infinity, 3, -3], [NaN, -2, 2]]) {
          const r = await onBoth(() => {
            const x = tf.randomNormal([300, 257], 0, 1, "float32", 9).dataSync();
            special.forEach((v, i) => x[i * 7] = v);
            return tf.relu(tf.tensor2d(x, [300, 257]));
          });
          const [ours, theirs] = [r.blas[0]!, r.cpu[0]!];
          const first = ours.findIndex((v, i) => !Object.is(v, theirs[i]));
          assert.equal(
            first,
            -1,
            `${special}: element ${first}: ${ours[first]} vs ${theirs[first]}`,
          );
        }
      }),
  });
}

Deno.test({
  name: "blas Minimum and Mod equal the cpu backend on signs, zeros, NaN and infinities",
  ignore: ignoreBlas,
  fn: async () => {
    const special = [0, -0, 2.5, -2.5, 7, -7, 0.75, Infinity, -Infinity, NaN];
    const a = special.flatMap((x) => special.map(() => x));
    const b = special.flatMap(() => special);
    const r = await onBoth(() => {
      const [ta, tb] = [tf.tensor1d(a), tf.tensor1d(b)];
      // Broadcast too: each a against the scalar -2.5.
      return [tf.minimum(ta, tb), tf.mod(ta, tb), tf.mod(ta, tf.scalar(-2.5))];
    });
    r.blas.forEach((v, k) =>
      v.forEach((x, i) =>
        assert.ok(Object.is(x, r.cpu[k]![i]), `output ${k} [${i}]: ${x} vs ${r.cpu[k]![i]}`)
      )
    );
  },
});

Deno.test({
  name: "blas Mod by a positive scalar equals the cpu kernel bit for bit around every shortcut",
  ignore: ignoreBlas,
  fn: async () => {
    // floorModPositive's ranges for each divisor: [0, y), [y, 2y), [-y, 0) and outside, with
    // their ends, values just inside and outside them, tiny negatives (x + y rounds to y),
    // zeros, NaN and infinities.
    const divisors = [6, 0.75, 1e-3, 1e-40, 3e38, 1 / 3];
    for (const y of divisors) {
      const f = Math.fround(y);
      const near = (
        v: number,
      ) => [v, Math.fround(v * (1 + 2 ** -23)), Math.fround(v * (1 - 2 ** -23))];
      const xs = [
        ...[0, f, 2 * f, -f, 3 * f, -2 * f, 0.5 * f, 1.5 * f, -0.5 * f].flatMap(near),
        -0,
        -1e-30,
        -1e-45,
        1e-45,
        NaN,
        Infinity,
        -Infinity,
        1e30,
        -1e30,
      ];
      const r = await onBoth(() => {
        const x = tf.tensor1d(xs);
        const wide = tf.randomUniform([7, 96, 96, 1], -7, 13, "float32", 5).mul(f / 6);
        return [tf.mod(x, tf.scalar(y)), tf.mod(wide, tf.scalar(y))];
      });
      assertBothSame(r, `mod by ${y}`);
    }
  },
});

Deno.test({
  name: "blas Mod by a per-row divisor takes each row's shortcut or falls back, like cpu",
  ignore: ignoreBlas,
  fn: async () => {
    // [rows, 1] divisors against [rows, n]: positive rows take the shortcut, the others (zero,
    // negative, NaN, infinite) the general floor-mod.
    const divisors = [6, -6, 0, -0, NaN, Infinity, -Infinity, 0.5, 1e-3];
    const r = await onBoth(() => {
      const x = tf.randomUniform([divisors.length, 40], -15, 15, "float32", 8);
      const withSpecials = tf.concat([x, tf.tensor2d(divisors.map(() => [NaN, -0, 6, -6, 12]))], 1);
      return tf.mod(withSpecials, tf.tensor2d(divisors, [divisors.length, 1]));
    });
    assertBothSame(r, "per-row divisors");
  },
});

Deno.test({
  name: "blas Equal and Less are registered and equal the cpu kernels on any broadcast",
  ignore: ignoreBlas,
  fn: async () => {
    assert.equal(tf.getKernel("Equal", "blas")?.kernelFunc, equal);
    assert.equal(tf.getKernel("Less", "blas")?.kernelFunc, less);
    // The hue step's v.equal(r) on [N, 96, 96, 1], the solarize threshold, specials.
    const special = [NaN, 0, -0, Infinity, -Infinity, 1, 0.5, -1e-40];
    const r = await onBoth(() => {
      const images = tf.randomUniform([8, 96, 96, 3], 0, 1, "float32", 6);
      const [red] = tf.split(images, 3, 3);
      const v = images.max(3, true);
      const a = tf.tensor1d(special.flatMap((x) => special.map(() => x)));
      const b = tf.tensor1d(special.flatMap(() => special));
      return [
        v.equal(red),
        images.less(0.5),
        tf.equal(a, b),
        tf.less(a, b),
        tf.less(a.reshape([8, 8, 1]), b.reshape([1, 8, 8])),
        tf.equal(tf.zeros([0, 3]), tf.zeros([3])),
        tf.equal(tf.tensor1d([1, 2], "int32"), tf.tensor1d([1, 3], "int32")),
        tf.less(tf.tensor1d([1, 2], "int32"), tf.scalar(2, "int32")),
      ];
    });
    assertBothSame(r, "comparisons");
    assert.deepEqual(r.kinds.blas.slice(0, 2), ["bool [8,96,96,1]", "bool [8,96,96,3]"]);
    assert.deepEqual(Array.from(r.blas[6]), [1, 0]);
  },
});

Deno.test({
  name: "blas Equal and Less equal the cpu kernels for any broadcast and values (property)",
  ignore: ignoreBlas,
  fn: async () => {
    const value = fc.oneof(fc.constantFrom(NaN, -0, 0, Infinity, 1), fc.float());
    const pairs = fc.sample(broadcastPair, { numRuns: 60, seed: 37 });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...pairs),
        fc.array(value, { minLength: 64, maxLength: 64 }),
        async ([aShape, bShape], pool) => {
          const fill = (shape: number[], from: number) =>
            tf.tensor(
              Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) =>
                pool[(from + i) % 64]),
              shape,
            );
          const r = await onBoth(() => {
            const [a, b] = [fill(aShape, 0), fill(bShape, 5)];
            return [tf.equal(a, b), tf.less(a, b)];
          });
          assertBothSame(r, `${JSON.stringify(aShape)} vs ${JSON.stringify(bShape)}`);
        },
      ),
      { numRuns: 60, seed: 41 },
    );
  },
});
