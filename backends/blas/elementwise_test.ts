import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import {
  assertBothClose,
  ignoreBlas,
  ignoreOneDnn,
  type KernelPath,
  onBoth,
  onPath,
} from "./_test_util.ts";
import { collapseBroadcast } from "./elementwise.ts";

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
