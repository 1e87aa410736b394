import assert from "node:assert/strict";
import { FULL, qualityRuns, QUICK, SMOKE } from "./quality/plan.ts";

// The whole benchmark with --smoke runs (tiny model and data, seconds each) through the train
// app: every run finishes, and the table, chart and claims come out of their results.
Deno.test("bench:quality --smoke runs every train run and writes the table, chart and claims", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = (args: string[]) =>
      new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", new URL("quality.ts", import.meta.url).pathname, ...args],
        stdout: "piped",
        stderr: "piped",
      }).output();
    const args = ["--smoke", "--runs", `${dir}/runs`, "--out", `${dir}/out`];
    const first = await run(args);
    assert.equal(first.code, 0, new TextDecoder().decode(first.stderr));
    const table = await Deno.readTextFile(`${dir}/out/quality-smoke.md`);
    const rows = table.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| ---"));
    // Header + raw pixels, random encoder, 3 supervised, SimCLR, BYOL, SimCLRv2 pretraining,
    // 2 fine-tuned, 2 self-distilled, 2 distilled into the student, 2 student alone.
    assert.equal(rows.length, 1 + 16);
    for (const method of ["raw pixels", "SimCLR", "BYOL", "SimCLRv2 self-distilled"]) {
      assert.ok(rows.some((r) => r.startsWith(`| ${method} |`)), method);
    }
    assert.match(
      table,
      /SimCLR beats raw pixels on both measures \(milestone\): (holds|does not hold)/,
    );
    assert.match(table, /The distilled student beats the same student on the 1% labels alone/);
    assert.match(await Deno.readTextFile(`${dir}/out/quality-smoke.svg`), /^<svg/);
    const saved = JSON.parse(await Deno.readTextFile(`${dir}/out/quality-smoke.json`));
    assert.equal(Object.keys(saved.results).length, qualityRuns(SMOKE).length);
    // Run again: every run is found finished, none is trained again, the table is the same.
    const second = await run(args);
    assert.equal(second.code, 0);
    assert.equal(
      new TextDecoder().decode(second.stdout).match(/already finished/g)?.length,
      qualityRuns(SMOKE).length,
    );
    const again = await Deno.readTextFile(`${dir}/out/quality-smoke.md`);
    assert.equal(again.split("\n").slice(4).join("\n"), table.split("\n").slice(4).join("\n"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("qualityRuns() takes SimCLRv2's pretraining once and names only earlier runs", () => {
  for (const budget of [FULL, QUICK]) {
    const runs = qualityRuns(budget);
    const names = runs.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    const pretraining = runs.filter((r) => r.flags.includes("simclrv2") && r.after === undefined);
    assert.equal(pretraining.length, 1);
    for (const run of runs) {
      if (run.after !== undefined) assert.ok(names.indexOf(run.after) < names.indexOf(run.name));
    }
  }
});

Deno.test("bench:quality refuses bad arguments with exit 2", async () => {
  for (
    const [args, message] of [
      [["--seed", "0"], /--seed must be an integer >= 1, got 0/],
      [["--evaluate-on", "train"], /--evaluate-on must be test or validation, got train/],
      [["--only", "simclr,nope"], /--only must name runs of .*, got nope/],
    ] as const
  ) {
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL("quality.ts", import.meta.url).pathname, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 2);
    assert.match(new TextDecoder().decode(out.stderr), message);
  }
});
