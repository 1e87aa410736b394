import assert from "node:assert/strict";
import fc from "fast-check";
import { helpText, parseSettings, resolveForImages, SETTINGS, SettingsError } from "./settings.ts";

const noFile = () => {
  throw new Error("no file");
};

function run(argv: string[], readText: (path: string) => string = noFile) {
  const parsed = parseSettings(argv, readText);
  assert.equal(parsed.kind, "run");
  return parsed.kind === "run" ? parsed.settings : (undefined as never);
}

Deno.test("--help lists every setting with its default", () => {
  const text = helpText();
  assert.equal(SETTINGS.length, new Set(SETTINGS.map((s) => s.flag)).size);
  for (const spec of SETTINGS) assert.match(text, new RegExp(`  --${spec.flag}( <|\\n)`));
  assert.equal(text.split("; default ").length - 1, SETTINGS.length);
  assert.deepEqual(parseSettings(["--help"], noFile), { kind: "help" });
});

Deno.test("defaults follow the papers, scaled to the run", () => {
  const simclr = run([]);
  assert.equal(simclr.method, "simclr");
  assert.equal(simclr.temperature, null); // by image size: resolveForImages
  assert.equal(resolveForImages(simclr, 28, 28).temperature, 0.5);
  assert.equal(resolveForImages(simclr, 96, 96).temperature, 0.1);
  assert.equal(resolveForImages(simclr, 96, 96).colorStrength, 1);
  assert.equal(resolveForImages(run(["--temperature", "0.2"]), 28, 28).temperature, 0.2);
  assert.equal(simclr.learningRate, 0.075 * Math.sqrt(256));
  assert.equal(simclr.minutes, 6);
  assert.equal(simclr.epochs, null);
  assert.equal(simclr.tau, null);
  assert.equal(simclr.encoder, "resnet18x0.25");
  const byol = run(["--method", "byol", "--epochs", "3"]);
  assert.equal(byol.learningRate, 0.2);
  assert.equal(byol.tau, 0.99);
  assert.equal(byol.weightDecay, 1.5e-6);
  assert.equal(byol.minutes, null);
  assert.equal(byol.temperature, null);
  const v2 = run(["--method", "simclrv2", "--labels", "1%"]);
  assert.equal(v2.headLayers, 3);
  assert.equal(v2.finetuneEpochs, 60);
  assert.equal(v2.student, v2.encoder);
});

Deno.test("the peak rate is base-lr x sqrt(batch) or x batch/256 for every batch size", () => {
  fc.assert(
    fc.property(fc.integer({ min: 2, max: 65536 }), (batch) => {
      const sqrt = run(["--batch-size", String(batch)]);
      assert.equal(sqrt.learningRate, 0.075 * Math.sqrt(batch));
      const linear = run(["--batch-size", String(batch), "--lr-scaling", "linear"]);
      assert.equal(linear.learningRate, 0.3 * batch / 256);
    }),
    { numRuns: 50 },
  );
});

Deno.test("--config sets settings by flag or camelCase name, and flags win", () => {
  const text = JSON.stringify({ "batch-size": 64, seed: 9, learningRate: 0.5 });
  const s = run(["--config", "c.json", "--seed", "3"], () => text);
  assert.equal(s.batchSize, 64);
  assert.equal(s.seed, 3);
  assert.equal(s.learningRate, 0.5);
});

Deno.test("bad values are SettingsErrors naming the flag and what it allows", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--seed", "1.5"], /^--seed must be an integer >= 0, got "1.5"$/],
    [["--channels", "2"], /^--channels must be one of 1, 3, got "2"$/],
    [["--minutes", "0"], /^--minutes must be a number > 0, got "0"$/],
    [["--momentum", "2"], /^--momentum must be a number >= 0 and <= 1, got "2"$/],
    [["--labels", "0%"], /^--labels must be a percentage/],
    [["--labels", "5%"], /applies only to --method simclrv2/],
    [["--name", "../x"], /^--name must be letters/],
    [["--batch-size"], /^--batch-size needs a value$/],
    [["extra"], /^unexpected argument 'extra'/],
    [["--resume", "runs/x", "--seed", "2"], /^--resume continues a run with its own settings/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => parseSettings(argv, noFile), (e: unknown) => {
      assert.ok(e instanceof SettingsError, String(e));
      assert.match(e.message, message);
      return true;
    });
  }
});
