// Test helper: runs `deno task train`'s exact command line (its permissions from the root
// deno.json, the run folder pointed at a temporary one) as a subprocess.
import { join } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** What a finished run printed and returned. */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** The task's `deno run` arguments, writing to `runs` instead of `runs/`. */
export function taskArgs(runs: string): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const task: string = config.tasks.train;
  const words = task.split(/\s+/).slice(1); // drop "deno"
  return words.map((w) =>
    w.startsWith("--allow-write=")
      ? w.replace("--allow-write=runs", `--allow-write=${runs}`).replaceAll(
        "$HOME",
        Deno.env.get("HOME") ?? "",
      )
      : w
  );
}

// Machines without OpenBLAS / oneDNN are the baseline the tests must pass on (CI hides them).
const ENV = {
  SELFSUP_BLAS_LIBRARY: "/nonexistent/libopenblas.so.0",
  SELFSUP_ONEDNN_LIBRARY: "/nonexistent/libdnnl.so.2",
  NO_COLOR: "1",
};

/**
 * Starts `deno task train <args> --runs <runs>` (without `--runs` for `--resume`); the caller
 * reads or kills it.
 */
export function spawnTrain(runs: string, args: string[], env: Record<string, string> = {}) {
  const where = args.includes("--resume") || args.includes("--runs") ? [] : ["--runs", runs];
  return new Deno.Command(Deno.execPath(), {
    args: [...taskArgs(runs), ...args, ...where],
    cwd: ROOT,
    env: { ...ENV, ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
}

/** Runs `deno task train <args>` to the end. */
export async function runTrain(
  runs: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<RunResult> {
  const out = await spawnTrain(runs, args, env).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

/** Every file under `dir` with its bytes' SHA-256 (empty when `dir` does not exist). */
export async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (d: string, prefix: string) => {
    for await (const e of Deno.readDir(d)) {
      const p = join(d, e.name);
      if (e.isDirectory) await walk(p, `${prefix}${e.name}/`);
      else {
        const hash = await crypto.subtle.digest("SHA-256", await Deno.readFile(p));
        out[`${prefix}${e.name}`] = Array.from(
          new Uint8Array(hash),
          (b) => b.toString(16).padStart(2, "0"),
        ).join("");
      }
    }
  };
  try {
    await walk(dir, "");
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return out;
}

/** The (step, loss) lines of a run's metrics.jsonl. */
export async function lossCurve(runDir: string): Promise<Array<[number, number]>> {
  const text = await Deno.readTextFile(join(runDir, "metrics.jsonl"));
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    .filter((m) => m.loss !== undefined).map((m) => [m.step, m.loss]);
}
