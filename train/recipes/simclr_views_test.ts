import assert from "node:assert/strict";
import * as tf from "@tensorflow/tfjs";
import { smallImageViews } from "@selfsup/augment";
import { parseSettings, resolveForImages } from "../settings.ts";
import { simclrViews } from "./simclr_recipe.ts";

tf.enableProdMode();

const noFile = () => {
  throw new Error("no settings file in this test");
};

function settingsOf(argv: string[]) {
  const parsed = parseSettings(argv, noFile);
  if (parsed.kind !== "run") throw new Error(`not a run: ${parsed.kind}`);
  return resolveForImages(parsed.settings, 28, 28);
}

Deno.test("--min-crop-area sets the smallest crop of the SimCLR views: 1 keeps whole images", () => {
  const x = tf.randomUniform([8, 28, 28, 1], 0, 1, "float32", 2) as tf.Tensor4D;
  const o = { seed: 5, size: [28, 28] as [number, number], checkValues: false };
  // The default is the papers' 0.08: the preset's views bit for bit.
  const defaults = settingsOf(["--method", "simclr"]);
  assert.equal(defaults.minCropArea, 0.08);
  const [d1, d2] = simclrViews(defaults)(x, o);
  const [p1, p2] = smallImageViews(x, { seed: 5, strength: 0.5, cropScale: [0.08, 1] });
  assert.deepEqual(d1.dataSync(), p1.dataSync());
  assert.deepEqual(d2.dataSync(), p2.dataSync());

  // Area 1 at colour strength 0: each view image is the image or its mirror.
  const whole = settingsOf(["--method", "simclr", "--min-crop-area", "1", "--color-strength", "0"]);
  const mirror = tf.reverse(x, 2);
  let flipped = 0;
  for (const view of simclrViews(whole)(x, o)) {
    const [v, a, b] = [view, x, mirror].map((t) => t.arraySync() as number[][][][]);
    for (let i = 0; i < 8; i++) {
      const gap = (ref: number[][][][]) =>
        Math.max(...v[i]!.flat(2).map((value, k) => Math.abs(value - ref[i]!.flat(2)[k]!)));
      const [same, turned] = [gap(a), gap(b)];
      assert.ok(Math.min(same, turned) < 1e-6, `image ${i}: ${same}, ${turned}`);
      if (same >= 1e-6) flipped++;
    }
    view.dispose();
  }
  assert.ok(flipped > 0 && flipped < 16, `${flipped} flipped`);
  tf.dispose([x, mirror, d1, d2, p1, p2]);
});

Deno.test("--min-crop-area must be in (0, 1]", () => {
  for (const value of ["0", "1.5", "-0.2", "NaN"]) {
    assert.throws(
      () => parseSettings([`--min-crop-area=${value}`], noFile),
      (e: Error) => /--min-crop-area must be a number > 0 and <= 1/.test(e.message),
      value,
    );
  }
});
