// `deno task train --precision bfloat16`: the blas backend's convolutions in bfloat16 where the
// CPU runs it natively, a clear refusal where it does not.
import assert from "node:assert/strict";
import { join } from "node:path";
import { blasMissing, oneDnnMissing, skipNote } from "../backends/_test_util.ts";
import { openOneDnn } from "../backends/blas/onednn.ts";
import { lossCurve, runTrain } from "../train/_test_run.ts";

function bfloat16Here(): { supported: boolean; reason: string } {
  if (oneDnnMissing !== undefined) return { supported: false, reason: oneDnnMissing };
  const dnnl = openOneDnn();
  try {
    const support = dnnl.bfloat16();
    return support.supported
      ? { supported: true, reason: "" }
      : { supported: false, reason: support.reason };
  } finally {
    dnnl.close();
  }
}

const SMOKE = ["--smoke", "--backend", "blas", "--baselines", "none"];
// runTrain hides the native libraries by default; these runs need them, as this process found them.
const NATIVE = {
  SELFSUP_BLAS_LIBRARY: Deno.env.get("SELFSUP_BLAS_LIBRARY") ?? "libopenblas.so.0",
  SELFSUP_ONEDNN_LIBRARY: Deno.env.get("SELFSUP_ONEDNN_LIBRARY") ?? "libdnnl.so.2",
};

Deno.test({
  name: "--precision bfloat16 trains a smoke run close to float32's loss curve, or is refused " +
    "saying why" + skipNote("blas", blasMissing),
  ignore: blasMissing !== undefined,
  fn: async () => {
    const runs = await Deno.makeTempDir({ prefix: "selfsup-train-bf16-" });
    try {
      const support = bfloat16Here();
      const low = await runTrain(
        runs,
        [...SMOKE, "--name", "bf16", "--precision", "bfloat16"],
        NATIVE,
      );
      if (!support.supported) {
        assert.equal(low.code, 2, low.stdout);
        assert.match(
          low.stderr.trim(),
          /^error: --precision: setBlasPrecision\(\): precision "bfloat16" does not run natively here: /,
        );
        return;
      }
      assert.equal(low.code, 0, low.stderr);
      assert.match(low.stdout, /precision: convolutions in bfloat16, float32 accumulation/);
      const full = await runTrain(runs, [...SMOKE, "--name", "f32"], NATIVE);
      assert.equal(full.code, 0, full.stderr);
      const [a, b] = [await lossCurve(join(runs, "bf16")), await lossCurve(join(runs, "f32"))];
      assert.equal(a.length, b.length);
      assert.ok(a.length >= 5, `${a.length} logged steps`);
      // Same seed, same batches: the curves differ only by bfloat16's rounding.
      assert.notDeepEqual(a, b, "bfloat16 changed nothing");
      for (const [i, [step, loss]] of a.entries()) {
        assert.equal(step, b[i]![0]);
        assert.ok(Math.abs(loss - b[i]![1]) < 0.05 * b[i]![1], `step ${step}: ${loss} vs ${b[i]}`);
      }
      const config = JSON.parse(await Deno.readTextFile(join(runs, "bf16", "config.json")));
      assert.equal(config.settings.precision, "bfloat16");
    } finally {
      await Deno.remove(runs, { recursive: true });
    }
  },
});
