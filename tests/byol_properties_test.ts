// Properties of BYOL's target update, emaUpdate() of @selfsup/byol, for arbitrary weights and
// momenta: the contraction toward the online network, its exact ends, and what it must not
// touch (the online network, the target's batch-norm moving statistics, the tensor count).
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import fc from "fast-check";
import { copyModel, emaUpdate } from "@selfsup/byol";

tf.enableProdMode();

const U = 2 ** -24; // unit roundoff of float32
const TINY = 2 ** -149; // smallest float32 subnormal

// Dense(units) -> batch norm -> dense(2) on 3 inputs: trainable weights in each kind of layer
// and two non-trainable moving statistics.
function build(units: number): tf.LayersModel {
  return tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: [3], units }),
      tf.layers.batchNormalization(),
      tf.layers.dense({ units: 2 }),
    ],
  });
}

const sizes = (units: number) => [3 * units, units, units, units, 2 * units, 2, units, units];

// Any finite float32 up to 1e30 in magnitude (no overflow in m t + (1 - m) o), subnormals and
// -0 included.
const LIMIT = Math.fround(1e30);
const values = (n: number) =>
  fc.float32Array({ minLength: n, maxLength: n, min: -LIMIT, max: LIMIT, noNaN: true });

const arbitraryCase = fc.integer({ min: 1, max: 4 }).chain((units) =>
  fc.record({
    units: fc.constant(units),
    target: fc.tuple(...sizes(units).map(values)),
    online: fc.tuple(...sizes(units).map(values)),
  })
);

function withModels(
  c: { units: number; target: Float32Array[]; online: Float32Array[] },
  body: (target: tf.LayersModel, online: tf.LayersModel) => void,
): void {
  const online = build(c.units);
  const target = copyModel(online);
  try {
    tf.tidy(() => {
      online.weights.forEach((w, i) => w.write(tf.tensor(c.online[i], w.shape as number[])));
      target.weights.forEach((w, i) => w.write(tf.tensor(c.target[i], w.shape as number[])));
    });
    body(target, online);
  } finally {
    online.dispose();
    target.dispose();
  }
}

const read = (m: tf.LayersModel) => m.weights.map((w) => Float32Array.from(w.read().dataSync()));
const bits = (x: Float32Array) => Array.from(new Uint32Array(x.buffer, x.byteOffset, x.length));

Deno.test("emaUpdate() multiplies every trainable weight's distance to online by the momentum", () => {
  fc.assert(
    fc.property(arbitraryCase, fc.double({ min: 0, max: 1, noNaN: true }), (c, m) => {
      withModels(c, (target, online) => {
        const [t0, o0] = [read(target), read(online)];
        const before = tf.memory().numTensors;
        emaUpdate(target, online, m);
        assert.equal(tf.memory().numTensors, before, "a tensor leaked");
        const [t1, o1] = [read(target), read(online)];
        let distance0 = 0, distance1 = 0, slack = 0;
        target.weights.forEach((w, i) => {
          assert.deepEqual(bits(o1[i]), bits(o0[i]), "online changed");
          if (!w.trainable) {
            assert.deepEqual(bits(t1[i]), bits(t0[i]), `${w.originalName} changed`);
            return;
          }
          t1[i].forEach((v, j) => {
            const [t, o] = [t0[i][j], o0[i][j]];
            // fl(fl(m32 t) + fl(c32 o)) with m32 = fl(m), c32 = fl(1 - m): four float32
            // roundings of relative size <= u each (the product and sum roundings, and those
            // of m and 1 - m), so the error is <= 4u (m |t| + (1 - m) |o|) to first order;
            // products that underflow add up to 2^-149 each, and comparing in float64 adds
            // <= 2^-50 (|t| + |o|).
            const tolerance = 4 * U * (m * Math.abs(t) + (1 - m) * Math.abs(o)) +
              2 ** -50 * (Math.abs(t) + Math.abs(o)) + 4 * TINY;
            const error = Math.abs((v - o) - m * (t - o));
            assert.ok(error <= tolerance, `${w.originalName}[${j}]: error ${error} > ${tolerance}`);
            distance0 += (t - o) ** 2;
            distance1 += (v - o) ** 2;
            slack += tolerance ** 2;
          });
        });
        // The whole distance, so the property reads as stated: |d1 - m d0| <= |error vector|.
        const gap = Math.abs(Math.sqrt(distance1) - m * Math.sqrt(distance0));
        assert.ok(gap <= Math.sqrt(slack) * (1 + 1e-9), `distance ${gap} off`);
      });
    }),
    { numRuns: 100 },
  );
});

Deno.test("emaUpdate() at momentum 1 leaves the target bit for bit, at 0 copies online's bits", () => {
  fc.assert(
    fc.property(arbitraryCase, fc.constantFrom(0, 1), (c, m) => {
      withModels(c, (target, online) => {
        const [t0, o0] = [read(target), read(online)];
        const before = tf.memory().numTensors;
        emaUpdate(target, online, m);
        assert.equal(tf.memory().numTensors, before, "a tensor leaked");
        const [t1, o1] = [read(target), read(online)];
        target.weights.forEach((w, i) => {
          const want = m === 1 || !w.trainable ? t0[i] : o0[i];
          assert.deepEqual(bits(t1[i]), bits(want), w.originalName);
          assert.deepEqual(bits(o1[i]), bits(o0[i]), "online changed");
        });
      });
    }),
    { numRuns: 60 },
  );
});
