import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { applyByGroup, byGather, bySlices } from "./_subsets.ts";

tf.enableProdMode();

for (const [name, strategy] of [["bySlices", bySlices], ["byGather", byGather]] as const) {
  Deno.test(`${name}() runs each group's kernel once on its images and keeps the order`, () => {
    const n = 9;
    const images = tf.tidy(() =>
      tf.range(0, n).reshape([n, 1, 1, 1]).tile([1, 2, 1, 1])
    ) as tf.Tensor4D;
    const groups = [1, -1, 0, 0, 1, -1, -1, 2, 1];
    const calls: number[][] = [];
    const kernel = (offset: number) => (x: tf.Tensor4D, idx: number[]) => {
      calls.push(idx);
      assert.deepEqual(Array.from(x.dataSync()).filter((_, k) => k % 2 === 0), idx);
      return x.add(offset) as tf.Tensor4D;
    };
    const before = tf.memory().numTensors;
    const members = [[2, 3], [0, 4, 8], [7]];
    const out = strategy(images, groups, members, [kernel(100), kernel(200), kernel(300)]);
    const got = Array.from(out.dataSync()).filter((_, k) => k % 2 === 0);
    const expected = groups.map((g, i) => i + (g < 0 ? 0 : 100 * (g + 1)));
    assert.deepEqual(got, expected);
    assert.deepEqual(calls, [[2, 3], [0, 4, 8], [7]]);
    out.dispose();
    assert.equal(tf.memory().numTensors, before);
    images.dispose();
  });
}

Deno.test("applyByGroup() passes the whole batch when one group holds every image", () => {
  const images = tf.ones([3, 1, 1, 1]) as tf.Tensor4D;
  let seen = 0;
  const out = applyByGroup(images, [0, 0, 0], [(x) => {
    seen = x.shape[0];
    return x.mul(2) as tf.Tensor4D;
  }]);
  assert.equal(seen, 3);
  assert.deepEqual(Array.from(out.dataSync()), [2, 2, 2]);
  const same = applyByGroup(images, [-1, -1, -1], []);
  assert.deepEqual(Array.from(same.dataSync()), [1, 1, 1]);
  tf.dispose([images, out, same]);
});
