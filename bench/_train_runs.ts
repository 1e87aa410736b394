/**
 * What `bench:quality` and `bench:ablations` share: their command line, running their
 * `deno task train` runs as subprocesses (a finished run is kept, an interrupted one resumed),
 * and the small file helpers around that.
 *
 * @module
 */
import { parseArgs } from "node:util";

/** The benchmark versions: the full one, a quick one, and a seconds-long one for tests. */
export type Version = "full" | "quick" | "smoke";

/** The command line of a benchmark made of train runs. */
export interface RunArgs {
  version: Version;
  seed: number;
  backend: string;
  evaluateOn: "test" | "validation";
  /** Folder of the runs folders. */
  runs: string;
  /** Folder of the written tables. */
  out: string;
  /** Names of the only runs to run, if given. */
  only: string[] | undefined;
  /** Flags after `--`, given to every run. */
  extra: string[];
  /** How the benchmark was called, to print beside its numbers. */
  command: string;
}

/**
 * Reads `--quick`, `--smoke`, `--seed`, `--backend`, `--evaluate-on`, `--runs`, `--out`,
 * `--only` and the flags after `--`; on bad input prints `tool: message` and exits with 2.
 */
export function parseRunArgs(
  tool: string,
  args: string[],
  defaults: { evaluateOn: "test" | "validation"; runs: string },
  runNames: (version: Version) => string[],
): RunArgs {
  const fail = (message: string): never => {
    console.error(`${tool}: ${message}`);
    Deno.exit(2);
  };
  const dashes = args.indexOf("--");
  const { values } = parseArgs({
    args: dashes < 0 ? args : args.slice(0, dashes),
    options: {
      quick: { type: "boolean", default: false },
      smoke: { type: "boolean", default: false },
      seed: { type: "string", default: "1" },
      backend: { type: "string", default: "auto" },
      "evaluate-on": { type: "string", default: defaults.evaluateOn },
      runs: { type: "string", default: defaults.runs },
      out: { type: "string", default: "bench/results" },
      only: { type: "string" },
    },
  });
  const seed = Number(values.seed);
  if (!Number.isInteger(seed) || seed < 1) {
    fail(`--seed must be an integer >= 1, got ${values.seed}`);
  }
  const evaluateOn = values["evaluate-on"];
  if (evaluateOn !== "test" && evaluateOn !== "validation") {
    fail(`--evaluate-on must be test or validation, got ${evaluateOn}`);
  }
  if (values.quick && values.smoke) fail("--quick and --smoke are alternatives: give one of them");
  const version: Version = values.smoke ? "smoke" : values.quick ? "quick" : "full";
  const only = values.only?.split(",");
  const names = runNames(version);
  const unknown = (only ?? []).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    fail(`--only must name runs of ${names.join(", ")}, got ${unknown.join(", ")}`);
  }
  return {
    version,
    seed,
    backend: values.backend,
    evaluateOn: evaluateOn as "test" | "validation",
    runs: values.runs,
    out: values.out,
    only,
    extra: dashes < 0 ? [] : args.slice(dashes + 1),
    command: `deno task ${tool} ${args.join(" ")}`.trim(),
  };
}

/** A train run of a benchmark: its name (folder) and its flags. */
export interface TrainRun {
  name: string;
  flags: string[];
  /** Run whose folder is passed to `--pretrained` (it comes earlier). */
  after?: string;
}

/**
 * The full `deno task train` flags of each run: its own, `--pretrained` where it has an
 * `after`, then seed, backend, scored split, runs folder, name and the extra flags.
 */
export function trainArgs(run: TrainRun, folder: string, args: RunArgs): string[] {
  return [
    ...run.flags,
    ...(run.after === undefined ? [] : ["--pretrained", `${folder}/${run.after}`]),
    "--seed",
    String(args.seed),
    "--backend",
    args.backend,
    "--evaluate-on",
    args.evaluateOn,
    "--runs",
    folder,
    "--name",
    run.name,
    ...args.extra,
  ];
}

/**
 * Runs the benchmark's train runs in order as subprocesses (train/main.ts, output shown): a
 * run with results.json is finished and skipped, a run folder without one is resumed from its
 * checkpoint, and each run's wall seconds add up in `<folder>/wall-seconds.json`. Exits with 1
 * when a run fails (running the benchmark again resumes it).
 *
 * @returns The wall seconds of every run so far, by name.
 */
export async function runTrainRuns(
  tool: string,
  folder: string,
  runs: TrainRun[],
  args: RunArgs,
): Promise<Record<string, number>> {
  await Deno.mkdir(folder, { recursive: true });
  const timesFile = `${folder}/wall-seconds.json`;
  const wallSeconds = (await readJson(timesFile) ?? {}) as Record<string, number>;
  for (const run of runs) {
    if (args.only !== undefined && !args.only.includes(run.name)) continue;
    const dir = `${folder}/${run.name}`;
    if (await exists(`${dir}/results.json`)) {
      console.log(`${tool}: ${run.name} already finished (${dir})`);
      continue;
    }
    const flags = await exists(dir) ? ["--resume", dir] : trainArgs(run, folder, args);
    console.log(`${tool}: ${run.name}: deno task train ${flags.join(" ")}`);
    const start = performance.now();
    const status = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "--allow-ffi",
        new URL("../train/main.ts", import.meta.url).pathname,
        ...flags,
      ],
      stdout: "inherit",
      stderr: "inherit",
    }).spawn().status;
    if (!status.success) {
      console.error(`${tool}: ${run.name} failed (exit ${status.code}); run again to resume`);
      Deno.exit(1);
    }
    wallSeconds[run.name] = (wallSeconds[run.name] ?? 0) + (performance.now() - start) / 1000;
    await Deno.writeTextFile(timesFile, JSON.stringify(wallSeconds, null, 2) + "\n");
  }
  return wallSeconds;
}

/** Replaces what lies between the `<!-- name begin -->` and `<!-- name end -->` lines. */
export async function replaceSection(path: string, name: string, body: string): Promise<void> {
  const begin = `<!-- ${name} begin -->`;
  const end = `<!-- ${name} end -->`;
  const text = await Deno.readTextFile(path);
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${path} has no ${begin} ... ${end} section`);
  await Deno.writeTextFile(
    path,
    `${text.slice(0, from + begin.length)}\n${body}\n${text.slice(to)}`,
  );
}

/** This machine in a few words: cores, CPU model, Deno version. */
export async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  return `${navigator.hardwareConcurrency} cores, ${cpu}, Deno ${Deno.version.deno}`;
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A JSON file's value, or null when there is no such file. */
export async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
