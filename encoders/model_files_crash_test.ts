// Issue 15 item 4: after a crash at any step of a save, the target loads as the complete old
// or the complete new model once the next save or load has run, and no hidden folder is left
// after the next save. Each crash is real: a child process saves and kills itself (SIGKILL)
// just before the step under test.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import * as path from "node:path";
import { type WriteStep, writeSteps } from "@selfsup/internal/atomic_folder";
import { loadModel, MODEL_JSON, saveModel, WEIGHTS_BIN } from "./model_files.ts";
import { smallConvNet } from "./small_conv_net.ts";

tf.enableProdMode();

const CHILD = new URL("./_save_crash_child.ts", import.meta.url).pathname;
const build = (seed: number) => smallConvNet({ inputShape: [6, 6, 1], filters: [8, 16], seed });
const OLD = 1, NEW = 2, LATER = 3;
/** Every step of a save, in order (saveModel writes the weights first). */
const SAVE_STEPS = writeSteps([WEIGHTS_BIN, MODEL_JSON]);

/** Runs the child: saves model NEW to `dir`, crashing just before `step`. */
async function crashAt(dir: string, step: WriteStep, overwrite: boolean): Promise<void> {
  const { signal, success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--quiet", CHILD, dir, step, String(NEW), overwrite ? "overwrite" : ""],
    stdout: "null",
    stderr: "piped",
  }).output();
  // The step must have been reached: a child that finished its save proves nothing.
  assert.equal(signal, "SIGKILL", `${step}: ${success} ${new TextDecoder().decode(stderr)}`);
}

/** The seed of the model saved at `dir`, found by comparing its weights with each candidate. */
async function seedAt(dir: string): Promise<number> {
  const loaded = await loadModel(dir);
  const values = (m: tf.LayersModel) => m.getWeights().map((w) => Array.from(w.dataSync()));
  try {
    for (const seed of [OLD, NEW, LATER]) {
      const model = build(seed);
      const same = JSON.stringify(values(model)) === JSON.stringify(values(loaded));
      model.dispose();
      if (same) return seed;
    }
    throw new Error(`${dir} holds a model that is neither the old nor the new one`);
  } finally {
    loaded.dispose();
  }
}

async function list(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to);
  for await (const entry of Deno.readDir(from)) {
    const [a, b] = [path.join(from, entry.name), path.join(to, entry.name)];
    if (entry.isDirectory) await copyTree(a, b);
    else await Deno.copyFile(a, b);
  }
}

/**
 * What the target must hold after recovery from a crash before `step`: nothing (a first save
 * that had not published), the old model, or the new one.
 */
function expected(step: WriteStep, overwrite: boolean): number | undefined {
  const published = SAVE_STEPS.indexOf(step) >= SAVE_STEPS.indexOf("move new in");
  return published ? NEW : overwrite ? OLD : undefined;
}

for (const overwrite of [false, true]) {
  const steps = SAVE_STEPS.filter((s) =>
    overwrite || (s !== "move old aside" && s !== "remove old")
  );
  Deno.test(`saveModel() ${overwrite ? "replacing a model" : "to a new path"} recovers from a crash at each of its ${steps.length} steps`, async () => {
    assert.equal(steps.length, overwrite ? 11 : 9);
    const root = await Deno.makeTempDir({ prefix: "selfsup_save_crash_" });
    try {
      // Crash once per step, all children at once, each in its own folder.
      await Promise.all(steps.map(async (step, i) => {
        const parent = path.join(root, `crash${i}`, "a");
        await Deno.mkdir(parent, { recursive: true });
        if (overwrite) {
          const old = build(OLD);
          await saveModel(old, path.join(parent, "m"));
          old.dispose();
        }
        await crashAt(path.join(parent, "m"), step, overwrite);
      }));
      for (const [i, step] of steps.entries()) {
        const a = path.join(root, `crash${i}`, "a");
        const b = path.join(root, `crash${i}`, "b");
        await copyTree(a, b); // one crashed state, recovered twice: by a load, by a save
        const want = expected(step, overwrite);
        const crashed = await list(a);
        if (step === "write weights.bin (second half)") {
          // The case: a hidden folder with a partial weights.bin.
          const staging = crashed.filter((n) => /^\.m\.tmp-[0-9a-f]{16}$/.test(n));
          assert.equal(staging.length, 1, `${crashed}`);
          const { size } = await Deno.stat(path.join(a, staging[0], "weights.bin"));
          assert.ok(size > 0 && size < 4 * (8 * 9 + 16 * 72 + 4 * 24), `partial ${size}`);
        }
        if (step === "move new in" && overwrite) assert.ok(!crashed.includes("m"), "no target");

        // Recovery by the next load; the next save then cleans up.
        if (want === undefined) {
          await assert.rejects(loadModel(path.join(a, "m")), /cannot open the model folder/);
        } else {
          assert.equal(await seedAt(path.join(a, "m")), want, `${step}: load`);
        }
        const later = build(LATER);
        await saveModel(later, path.join(a, "m"), { overwrite: true });
        assert.deepEqual(await list(a), ["m"], `${step}: after the next save`);
        assert.equal(await seedAt(path.join(a, "m")), LATER);

        // Recovery by the next save: it finds the recovered model and refuses to replace it
        // without overwrite (or saves, when there was none), and leaves no hidden folder.
        if (want === undefined) {
          await saveModel(later, path.join(b, "m"));
          assert.equal(await seedAt(path.join(b, "m")), LATER);
        } else {
          await assert.rejects(saveModel(later, path.join(b, "m")), /got ".*", a saved model$/);
          assert.equal(await seedAt(path.join(b, "m")), want, `${step}: save`);
        }
        assert.deepEqual(await list(b), ["m"], `${step}: after the refused save`);
        later.dispose();
      }
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}
