// Property-based invariants of @selfsup/losses (fast-check): arbitrary shapes and values,
// each property checked on 150 generated cases with a fixed seed so failures reproduce.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { byolLoss, crossEntropy, distillationLoss, ntXent } from "@selfsup/losses";

tf.enableProdMode();

const runs = { numRuns: 150, seed: 20260227 };

// Entries on a 0.01 grid in [-10, 10]: every non-zero row is far from the 1e-12 norm below
// which the losses treat a row as zero, so rescaling a row never crosses that threshold.
const entry = fc.integer({ min: -1000, max: 1000 }).map((v) => v / 100);
const matrix = (n: number, d: number) =>
  fc.array(fc.array(entry, { minLength: d, maxLength: d }), { minLength: n, maxLength: n });

/** Two [N, D] matrices with N in [minRows, 6] and D in [1, 8]. */
const matrixPair = (minRows: number) =>
  fc.record({ n: fc.integer({ min: minRows, max: 6 }), d: fc.integer({ min: 1, max: 8 }) })
    .chain(({ n, d }) => fc.tuple(matrix(n, d), matrix(n, d)));

const temperature = fc.double({ min: 0.01, max: 10, noNaN: true });

function value(loss: () => tf.Scalar): number {
  return tf.tidy(() => loss().dataSync()[0]);
}

function ntXentOf(z1: number[][], z2: number[][], t: number): number {
  return value(() => ntXent(tf.tensor2d(z1), tf.tensor2d(z2), { temperature: t }));
}

// float32 carries about 7 significant digits.
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-5 * (1 + Math.abs(b));

Deno.test("ntXent() is symmetric under swapping the views", () => {
  fc.assert(
    fc.property(matrixPair(2), temperature, ([z1, z2], t) => {
      const forward = ntXentOf(z1, z2, t);
      const swapped = ntXentOf(z2, z1, t);
      assert.ok(close(swapped, forward), `${swapped} != ${forward}`);
    }),
    runs,
  );
});

Deno.test("ntXent() is invariant under one permutation of the batch in both views", () => {
  const permuted = matrixPair(2).chain(([z1, z2]) =>
    fc.tuple(
      fc.constant([z1, z2]),
      fc.shuffledSubarray([...z1.keys()], { minLength: z1.length, maxLength: z1.length }),
    )
  );
  fc.assert(
    fc.property(permuted, temperature, ([[z1, z2], order], t) => {
      const original = ntXentOf(z1, z2, t);
      const shuffled = ntXentOf(order.map((i) => z1[i]), order.map((i) => z2[i]), t);
      assert.ok(close(shuffled, original), `${shuffled} != ${original}`);
    }),
    runs,
  );
});

Deno.test("ntXent() is invariant under positive rescaling of any row, up to 1e30", () => {
  // Above 1e19 the squared norm overflows float32: the rows must be scaled before squaring.
  const scale = fc.double({ min: -3, max: 30, noNaN: true }).map((e) => 10 ** e);
  fc.assert(
    fc.property(
      matrixPair(2),
      temperature,
      fc.nat(),
      fc.boolean(),
      scale,
      ([z1, z2], t, row, firstView, c) => {
        const i = row % z1.length;
        const rescale = (z: number[][]) => z.map((r, k) => k === i ? r.map((v) => c * v) : r);
        const original = ntXentOf(z1, z2, t);
        const scaled = firstView ? ntXentOf(rescale(z1), z2, t) : ntXentOf(z1, rescale(z2), t);
        assert.ok(close(scaled, original), `${scaled} != ${original} (row ${i} times ${c})`);
      },
    ),
    runs,
  );
});

Deno.test("ntXent() lies between its analytic minimum and maximum", () => {
  // Each anchor's loss is -log(e^{s+/t} / (e^{s+/t} + sum_neg e^{s-/t})) with cosines in
  // [-1, 1]: smallest when s+ = 1 and every s- = -1, largest when s+ = -1 and every s- = 1.
  fc.assert(
    fc.property(matrixPair(2), temperature, ([z1, z2], t) => {
      const negatives = 2 * z1.length - 2;
      const lowest = Math.log1p(negatives * Math.exp(-2 / t));
      const highest = 2 / t + Math.log(Math.exp(-2 / t) + negatives);
      const loss = ntXentOf(z1, z2, t);
      const slack = 1e-5 * (1 + highest);
      assert.ok(loss >= lowest - slack && loss <= highest + slack, `${loss} outside bounds`);
    }),
    runs,
  );
});

Deno.test("byolLoss() lies in [0, 4]", () => {
  fc.assert(
    fc.property(matrixPair(1), ([p, z]) => {
      const loss = value(() => byolLoss(tf.tensor2d(p), tf.tensor2d(z)));
      assert.ok(loss >= -1e-6 && loss <= 4 + 1e-6, `${loss} outside [0, 4]`);
    }),
    runs,
  );
});

Deno.test("byolLoss() is zero exactly when every p_i is a positive multiple of z_i", () => {
  // Rows in `aligned` get p_i = c_i z_i; the others keep an arbitrary p_i whose cosine with
  // z_i is at most 0.99, which costs at least 0.02 / N.
  const cases = matrixPair(1).chain(([p, z]) =>
    fc.tuple(
      fc.constant([p, z]),
      fc.array(fc.boolean(), { minLength: p.length, maxLength: p.length }),
      fc.array(fc.double({ min: 0.01, max: 100, noNaN: true }), {
        minLength: p.length,
        maxLength: p.length,
      }),
    )
  );
  const cosine = (a: number[], b: number[]) => {
    const dot = (x: number[], y: number[]) => x.reduce((s, v, k) => s + v * y[k], 0);
    return dot(a, b) / Math.sqrt(dot(a, a) * dot(b, b));
  };
  fc.assert(
    fc.property(cases, ([[p, z], aligned, factors]) => {
      fc.pre(z.every((row) => row.some((v) => v !== 0)));
      fc.pre(p.every((row, i) => aligned[i] || !(cosine(row, z[i]) > 0.99)));
      const prediction = p.map((row, i) => aligned[i] ? z[i].map((v) => factors[i] * v) : row);
      const loss = value(() => byolLoss(tf.tensor2d(prediction), tf.tensor2d(z)));
      if (aligned.every(Boolean)) assert.ok(Math.abs(loss) < 1e-5, `${loss} is not 0`);
      else assert.ok(loss > 0.02 / p.length - 1e-5, `${loss} is not > 0`);
    }),
    runs,
  );
});

Deno.test("distillationLoss() is smallest when the student equals the teacher", () => {
  const perturbation = fc.double({ min: -4, max: 1, noNaN: true }).map((e) => 10 ** e);
  fc.assert(
    fc.property(
      matrixPair(1),
      temperature,
      perturbation,
      ([teacher, direction], t, size) => {
        const loss = (student: number[][]) =>
          value(() =>
            distillationLoss(tf.tensor2d(student), tf.tensor2d(teacher), { temperature: t })
          );
        const best = loss(teacher);
        const perturbed = loss(
          teacher.map((row, i) => row.map((v, k) => v + size * direction[i][k])),
        );
        assert.ok(perturbed >= best - 1e-5 * (1 + best), `${perturbed} < ${best}`);
      },
    ),
    runs,
  );
});

Deno.test("crossEntropy() is non-negative and unchanged by adding a constant to a row", () => {
  const cases = fc.record({ n: fc.integer({ min: 1, max: 6 }), k: fc.integer({ min: 2, max: 8 }) })
    .chain(({ n, k }) =>
      fc.tuple(
        matrix(n, k),
        fc.array(fc.nat({ max: k - 1 }), { minLength: n, maxLength: n }),
        fc.array(entry, { minLength: n, maxLength: n }),
      )
    );
  fc.assert(
    fc.property(cases, ([logits, labels, shifts]) => {
      const loss = (x: number[][]) => value(() => crossEntropy(tf.tensor2d(x), labels));
      const original = loss(logits);
      const shifted = loss(logits.map((row, i) => row.map((v) => v + shifts[i])));
      assert.ok(original >= 0, `${original} < 0`);
      assert.ok(close(shifted, original), `${shifted} != ${original}`);
    }),
    runs,
  );
});

Deno.test("the losses leak no tensors on generated inputs", () => {
  fc.assert(
    fc.property(matrixPair(2), ([a, b]) => {
      const before = tf.memory().numTensors;
      const x = tf.tensor2d(a);
      const y = tf.tensor2d(b);
      const losses = [ntXent(x, y), byolLoss(x, y), distillationLoss(x, y)];
      tf.dispose([x, y, ...losses]);
      assert.equal(tf.memory().numTensors, before);
    }),
    { ...runs, numRuns: 100 },
  );
});

Deno.test("every function @selfsup/losses exports names itself and the argument in its errors", async () => {
  const losses = await import("@selfsup/losses");
  const ok = tf.ones([2, 3]);
  // One bad call per exported function (a new export without an entry fails this test); a
  // wrong rank is a TypeError, a value out of range a RangeError.
  const badCalls: Record<string, [() => unknown, string, ErrorConstructor][]> = {
    ntXent: [
      [() => losses.ntXent(tf.ones([6]), ok), "z1", TypeError],
      [() => losses.ntXent(ok, ok, { temperature: 0 }), "temperature", RangeError],
    ],
    byolLoss: [[() => losses.byolLoss(ok, tf.ones([2, 3, 1])), "z", TypeError]],
    distillationLoss: [
      [
        () => losses.distillationLoss(ok, ok, { checkValues: 1 as never }),
        "checkValues",
        TypeError,
      ],
    ],
    crossEntropy: [
      [() => losses.crossEntropy(ok, new Int32Array([0, 3])), "labels[1]", RangeError],
      [
        () => losses.crossEntropy(ok, tf.tensor2d([[0], [1]], [2, 1], "int32")),
        "labels",
        TypeError,
      ],
    ],
  };
  const functions = Object.entries(losses).filter(([, value]) => typeof value === "function");
  assert.deepEqual(functions.map(([name]) => name).sort(), Object.keys(badCalls).sort());
  let checked = 0;
  for (const [name, calls] of Object.entries(badCalls)) {
    for (const [call, argument, type] of calls) {
      tf.tidy(() =>
        assert.throws(call, (e: Error) => {
          assert.equal(e.constructor, type, `${name}: ${e}`);
          assert.ok(e.message.startsWith(`${name}(): ${argument} must `), e.message);
          assert.match(e.message, /, got /);
          return true;
        })
      );
      checked++;
    }
  }
  assert.equal(checked, 6);
  ok.dispose();
});
