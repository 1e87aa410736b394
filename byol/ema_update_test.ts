import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { byolProjector } from "@selfsup/heads";
import { copyModel, emaUpdate } from "./mod.ts";
import { sameBits, snapshot } from "../internal/testing.ts";

tf.enableProdMode();

// A projector (dense, batch norm, dense) and a copy with different weights everywhere: moving
// statistics included, so leaving them alone is visible.
function pair(): { online: tf.LayersModel; target: tf.LayersModel } {
  const online = byolProjector({ inputDim: 3, hiddenDim: 4, outputDim: 2, seed: 1 });
  const target = copyModel(online);
  tf.tidy(() => {
    target.weights.forEach((w, i) =>
      w.write(tf.randomNormal(w.shape as number[], 0, 1, "float32", 100 + i))
    );
    online.weights.forEach((w, i) =>
      w.write(tf.randomNormal(w.shape as number[], 0, 1, "float32", 200 + i))
    );
  });
  return { online, target };
}

Deno.test("emaUpdate() averages the trainable weights in float32 and leaves moving statistics", () => {
  const { online, target } = pair();
  const m = 0.7;
  const [t0, o0] = [snapshot(target), snapshot(online)];
  const before = tf.memory().numTensors;
  emaUpdate(target, online, m);
  assert.equal(tf.memory().numTensors, before);
  const t1 = snapshot(target);
  const trainable = target.weights.map((w) => w.trainable);
  assert.deepEqual(trainable, [true, true, true, true, true, true, false, false]);
  target.weights.forEach((w, i) => {
    if (!trainable[i]) {
      assert.ok(sameBits([t1[i]], [t0[i]]), `${w.originalName} changed`);
      return;
    }
    // The float32 operations, replayed with Math.fround: fl(fl(m t) + fl((1 - m) o)).
    const [keep, take] = [Math.fround(m), Math.fround(1 - m)];
    t1[i].forEach((v, j) => {
      const want = Math.fround(
        Math.fround(keep * t0[i][j]) + Math.fround(take * o0[i][j]),
      );
      assert.equal(v, want, `${w.originalName}[${j}]`);
    });
  });
  assert.ok(sameBits(snapshot(online), o0));
  online.dispose();
  target.dispose();
});

Deno.test("emaUpdate() at momentum 1 changes nothing and at 0 copies bit for bit", () => {
  const { online, target } = pair();
  const t0 = snapshot(target);
  emaUpdate(target, online, 1);
  assert.ok(sameBits(snapshot(target), t0));
  emaUpdate(target, online, 0);
  const [t1, o] = [snapshot(target), snapshot(online)];
  target.weights.forEach((w, i) => {
    assert.ok(sameBits([t1[i]], [w.trainable ? o[i] : t0[i]]), w.originalName);
  });
  online.dispose();
  target.dispose();
});

Deno.test("emaUpdate() rejects a momentum outside [0, 1], naming it, and changes nothing", () => {
  const { online, target } = pair();
  const t0 = snapshot(target);
  for (const bad of [-0.1, 1.5, NaN, Infinity]) {
    assert.throws(() => emaUpdate(target, online, bad), {
      name: "RangeError",
      message: `emaUpdate(): momentum must be a finite number in [0, 1], got ${bad}`,
    });
  }
  assert.throws(() => emaUpdate(target, online, "0.5" as unknown as number), {
    name: "TypeError",
    message: 'emaUpdate(): momentum must be a finite number in [0, 1], got "0.5"',
  });
  assert.ok(sameBits(snapshot(target), t0));
  online.dispose();
  target.dispose();
});

Deno.test("emaUpdate() rejects models that are not a separate copy of the same architecture", () => {
  const { online, target } = pair();
  const wider = byolProjector({ inputDim: 3, hiddenDim: 5, outputDim: 2, seed: 1 });
  const frozen = copyModel(online);
  frozen.layers[1].trainable = false;
  const t0 = snapshot(target);
  assert.throws(() => emaUpdate({} as tf.LayersModel, online, 0.5), {
    name: "TypeError",
    message: "emaUpdate(): target must be a tf.LayersModel, got an object",
  });
  assert.throws(() => emaUpdate(target, undefined as unknown as tf.LayersModel, 0.5), {
    name: "TypeError",
    message: "emaUpdate(): online must be a tf.LayersModel, got undefined",
  });
  assert.throws(() => emaUpdate(target, wider, 0.5), {
    name: "TypeError",
    message: /^emaUpdate\(\): online must have the same weights as target .*got weight 0 /,
  });
  assert.throws(() => emaUpdate(frozen, online, 0.5), {
    name: "TypeError",
    message: /^emaUpdate\(\): online must have the same weights as target /,
  });
  assert.throws(() => emaUpdate(online, online, 0.5), {
    name: "TypeError",
    message: /^emaUpdate\(\): target must be a separate copy of online \(see copyModel\)/,
  });
  assert.ok(sameBits(snapshot(target), t0));
  [online, target, wider, frozen].forEach((m) => m.dispose());
});
