import assert from "node:assert/strict";
import { ablationPlan, SMOKE } from "./ablations/plan.ts";

const SCRIPT = new URL("ablations.ts", import.meta.url).pathname;

function run(args: string[]) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", SCRIPT, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
}

// The whole benchmark with --smoke runs (tiny model and data, seconds each) through the train
// app: every run finishes, and each table and its verdicts come out of their results.
Deno.test("bench:ablations --smoke runs every train run and writes each table with its verdicts", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const args = ["--smoke", "--runs", `${dir}/runs`, "--out", `${dir}/out`];
    const first = await run(args);
    assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
    const report = await Deno.readTextFile(`${dir}/out/ablations-smoke.md`);
    const sections = [
      "## 1. Augmentations (SimCLR figure 5)",
      "## 2. Projection head (SimCLR figure 8 and table 3)",
      "### Which transformation was applied? (SimCLR table 3)",
      "## 3. Batch size (SimCLR figure 9, BYOL figure 3)",
      "## 4. SimCLRv2: where fine-tuning starts, and self-distillation",
      "## Where a claim does not hold at this scale",
    ];
    let at = 0;
    for (const section of sections) {
      const found = report.indexOf(section, at);
      assert.ok(found > at, section);
      at = found;
    }
    const verdict = (claim: string) =>
      assert.match(report, new RegExp(`^- ${claim}[^\n:]*: (holds|does not hold) — `, "m"), claim);
    verdict("The composition \\(the default views\\) beats every single transformation");
    verdict("Crop \\+ colour beats crop alone and colour alone");
    verdict("A non-linear head gives a better h than a linear one and than none");
    verdict("The representation h beats the projection z \\(linear probe\\) with a head");
    verdict("A linear probe on h predicts rotation \\(0, 90, 180, 270 degrees\\) much better");
    verdict("BYOL loses less than SimCLR from batch 16 to 8 \\(1 epoch\\)");
    verdict("Fine-tuning from head layer 1 beats fine-tuning from h at 1% of the labels");
    verdict("Self-distillation adds accuracy to the fine-tuned teacher at 1%");
    // Tables: matrix of crop and colour; three views rows; every cell a number, none missing.
    assert.match(report, /\| crop \| \d+\.\d\d% \(\d+\.\d\d%\) \| \d+\.\d\d% \(\d+\.\d\d%\) \|/);
    assert.match(report, /\| none \(z = h\) \| (\d+\.\d\d%) \| \1 \|/);
    assert.match(report, /\| fine-tuned from h \(layer 0\) \| 1%: \d+ images \| \d+\.\d\d% \|/);
    assert.doesNotMatch(report, /Not finished/);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/out/ablations-smoke.json`));
    const plan = ablationPlan(SMOKE);
    assert.deepEqual(Object.keys(saved.results).sort(), plan.runs.map((r) => r.name).sort());
    assert.equal(saved.predictions.length, 5);
    assert.equal(saved.evaluateOn, "validation");
    for (const r of Object.values(saved.results) as { evaluatedOn: string }[]) {
      assert.equal(r.evaluatedOn, "validation");
    }
    // Run again: every run is found finished, none is trained again, the tables are the same.
    const second = await run(args);
    assert.equal(second.code, 0);
    assert.equal(
      new TextDecoder().decode(second.stdout).match(/already finished/g)?.length,
      plan.runs.length,
    );
    const again = await Deno.readTextFile(`${dir}/out/ablations-smoke.md`);
    const body = (text: string) => text.slice(text.indexOf("## 1."));
    assert.equal(body(again), body(report));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench:ablations refuses bad arguments with exit 2", async () => {
  for (
    const [args, message] of [
      [["--seed", "0"], /--seed must be an integer >= 1, got 0/],
      [["--evaluate-on", "train"], /--evaluate-on must be test or validation, got train/],
      [["--only", "simclr,nope"], /--only must name runs of .*, got nope/],
      [["--quick", "--smoke"], /--quick and --smoke are alternatives/],
    ] as const
  ) {
    const out = await run([...args]);
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), message);
  }
});
