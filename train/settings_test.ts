import assert from "node:assert/strict";
import fc from "fast-check";
import {
  AUGMENTATIONS,
  augmentList,
  baselineList,
  BASELINES,
  helpText,
  METHODS,
  parseSettings,
  resolveForImages,
  SETTINGS,
  SettingsError,
} from "./settings.ts";

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

Deno.test("--help says every default: none is blank, and the sized ones give both sizes", () => {
  const defaults = helpText().split("\n").filter((l) => l.includes("; default "))
    .map((l) => l.slice(l.lastIndexOf("; default ") + "; default ".length));
  assert.equal(defaults.length, SETTINGS.length);
  for (const d of defaults) assert.match(d, /^\S/);
  const text = helpText();
  for (
    const [flag, normal, smoke] of [
      ["validation-size", 1000, 40],
      ["knn-bank", 2000, 80],
      ["knn-k", 200, 10],
      ["probe-epochs", 30, 2],
      ["checkpoint-every", 100, 2],
    ] as const
  ) {
    assert.match(
      text,
      new RegExp(`--${flag} <[^>]+>\n .*; default ${normal} \\(--smoke: ${smoke}\\)`),
    );
    // The text says what the rule gives.
    const key = SETTINGS.find((s) => s.flag === flag)!.key;
    assert.equal(run([])[key], normal);
    assert.equal(run(["--smoke"])[key], smoke);
  }
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
  assert.equal(byol.learningRate, null); // by image size: resolveForImages
  assert.equal(resolveForImages(byol, 28, 28).learningRate, 1.0);
  assert.equal(resolveForImages(byol, 96, 96).learningRate, 0.2);
  assert.equal(
    resolveForImages(run(["--method", "byol", "--batch-size", "512"]), 28, 28).learningRate,
    2.0,
  );
  assert.equal(
    resolveForImages(run(["--method", "byol", "--base-lr", "0.5"]), 28, 28).learningRate,
    0.5,
  );
  assert.equal(
    resolveForImages(run(["--method", "byol", "--learning-rate", "3"]), 28, 28).learningRate,
    3,
  );
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

Deno.test("--labels: 10% for simclrv2 and all for supervised by default; all is allowed for both", () => {
  assert.equal(run(["--method", "simclrv2"]).labels, "10%");
  assert.equal(run(["--method", "supervised"]).labels, "all");
  assert.equal(run(["--method", "simclr"]).labels, null);
  assert.equal(run(["--method", "supervised", "--labels", "1%"]).labels, "1%");
  assert.equal(run(["--method", "supervised", "--labels", "600"]).labels, "600");
  assert.equal(run(["--method", "simclrv2", "--labels", "all"]).labels, "all");
});

Deno.test("--baselines takes any order of pixels and random-encoder, each once, or none", () => {
  assert.deepEqual(baselineList(run([])), ["pixels"]);
  assert.deepEqual(baselineList(run(["--baselines", "none"])), []);
  fc.assert(
    fc.property(fc.subarray([...BASELINES], { minLength: 1 }), fc.boolean(), (list, flip) => {
      const order = flip ? [...list].reverse() : list;
      const s = run(["--baselines", order.join(",")]);
      assert.equal(s.baselines, order.join(","));
      assert.deepEqual(baselineList(s), order);
    }),
  );
});

Deno.test("--baselines refuses anything else with the one message", () => {
  const words = fc.constantFrom("pixels", "random-encoder", "none", "raw", "", "Pixels");
  let refused = 0;
  fc.assert(
    fc.property(fc.array(words, { minLength: 1, maxLength: 4 }), (list) => {
      const value = list.join(",");
      const ok = value === "none" ||
        (list.every((w) => (BASELINES as readonly string[]).includes(w)) &&
          new Set(list).size === list.length);
      if (ok) return;
      assert.throws(
        () => parseSettings(["--baselines", value], noFile),
        (e: unknown) => {
          assert.ok(e instanceof SettingsError);
          assert.equal(
            e.message,
            "--baselines must be a comma list of pixels, random-encoder (each at most once), " +
              `or none alone, got ${JSON.stringify(value)}`,
          );
          return true;
        },
      );
      refused += 1;
    }),
  );
  assert.ok(refused > 0, "some lists were bad");
});

Deno.test("--evaluate-on is test by default, or validation", () => {
  assert.equal(run([]).evaluateOn, "test");
  assert.equal(run(["--evaluate-on", "validation"]).evaluateOn, "validation");
});

Deno.test("--pretrained leaves the pretraining's length unset: no --epochs or --minutes", () => {
  const s = run(["--method", "simclrv2", "--pretrained", "runs/a"]);
  assert.equal(s.pretrained, "runs/a");
  assert.equal(s.minutes, null);
  assert.equal(s.epochs, null);
  assert.equal(run(["--method", "simclrv2"]).pretrained, null);
  assert.equal(run(["--method", "simclrv2", "--smoke", "--pretrained", "x"]).epochs, null);
});

Deno.test("bad values are SettingsErrors naming the flag and what it allows", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--seed", "1.5"], /^--seed must be an integer >= 0, got "1.5"$/],
    [["--channels", "2"], /^--channels must be one of 1, 3, got "2"$/],
    [["--minutes", "0"], /^--minutes must be a number > 0, got "0"$/],
    [["--momentum", "2"], /^--momentum must be a number >= 0 and <= 1, got "2"$/],
    [["--labels", "0%"], /^--labels must be a percentage/],
    [
      ["--labels", "5%"],
      /^--labels applies only to --method simclrv2 \| supervised, got --method simclr$/,
    ],
    [["--labels", "some"], /^--labels must be a percentage in \(0, 100\] .*, or all, got "some"$/],
    [["--evaluate-on", "train"], /^--evaluate-on must be one of test, validation, got "train"$/],
    [
      ["--pretrained", "runs/a"],
      /^--pretrained applies only to --method simclrv2, got --method simclr$/,
    ],
    [
      ["--method", "simclrv2", "--pretrained", "runs/a", "--epochs", "2"],
      /^--epochs sizes the pretraining, which --pretrained takes from runs\/a: remove --epochs$/,
    ],
    [
      ["--method", "simclrv2", "--pretrained", "runs/a", "--minutes", "2"],
      /^--minutes sizes the pretraining, which --pretrained takes from runs\/a: remove --minutes$/,
    ],
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

Deno.test("--augment is default, or any order of the listed transforms each once", () => {
  for (const method of METHODS) assert.equal(run(["--method", method]).augment, "default");
  assert.equal(augmentList(run([])), null);
  fc.assert(
    fc.property(fc.subarray([...AUGMENTATIONS], { minLength: 1 }), fc.boolean(), (list, flip) => {
      const order = flip ? [...list].reverse() : list;
      const s = run(["--method", "byol", "--augment", order.join(",")]);
      assert.equal(s.augment, order.join(","));
      assert.deepEqual(augmentList(s), order);
    }),
    { numRuns: 50 },
  );
});

Deno.test("--augment refuses anything else with the one message", () => {
  const words = fc.constantFrom("crop", "color", "rotation", "default", "zoom", "", "Crop");
  let refused = 0;
  fc.assert(
    fc.property(fc.array(words, { minLength: 1, maxLength: 4 }), (list) => {
      const value = list.join(",");
      const ok = value === "default" ||
        (list.every((w) => (AUGMENTATIONS as readonly string[]).includes(w)) &&
          new Set(list).size === list.length);
      if (ok) return;
      assert.throws(
        () => parseSettings(["--augment", value], noFile),
        (e: unknown) => {
          assert.ok(e instanceof SettingsError);
          assert.equal(
            e.message,
            `--augment must be a comma list of ${AUGMENTATIONS.join(", ")} (each at most ` +
              `once), or default alone, got ${JSON.stringify(value)}`,
          );
          return true;
        },
      );
      refused += 1;
    }),
  );
  assert.ok(refused > 0, "some lists were bad");
});

Deno.test("--head-layers 0 (no head) is SimCLR's alone; 1 and 2 for SimCLR, up to 3", () => {
  for (const layers of [0, 1, 2, 3]) {
    assert.equal(run(["--head-layers", String(layers)]).headLayers, layers);
  }
  for (const method of ["simclrv2", "byol", "supervised"]) {
    assert.throws(
      () => parseSettings(["--method", method, "--head-layers", "0"], noFile),
      (e: unknown) => {
        assert.ok(e instanceof SettingsError);
        assert.equal(
          e.message,
          `--head-layers 0 (no head) applies only to --method simclr, got --method ${method}`,
        );
        return true;
      },
    );
  }
  assert.throws(
    () => parseSettings(["--head-layers=-1"], noFile),
    /must be an integer >= 0 and <= 3, got "-1"/,
  );
});

Deno.test("--evaluate-projection is off by default, for the methods with a head only", () => {
  for (const method of ["simclr", "simclrv2", "byol"]) {
    assert.equal(run(["--method", method]).evaluateProjection, false);
    assert.equal(run(["--method", method, "--evaluate-projection"]).evaluateProjection, true);
  }
  assert.equal(run(["--method", "supervised"]).evaluateProjection, null);
  assert.throws(
    () => parseSettings(["--method", "supervised", "--evaluate-projection"], noFile),
    /^SettingsError: --evaluate-projection applies only to --method simclr \| simclrv2 \| byol, got --method supervised$/,
  );
});
