import { join } from "node:path";
import { SettingsError } from "./settings.ts";

/** The files of a run folder `runs/<name>/`. */
export interface RunFolder {
  dir: string;
  config: string;
  metrics: string;
  results: string;
  report: string;
  encoder: string;
  /** The projection head (SimCLR) or projector (BYOL), as `encoder/` (none without one). */
  head: string;
}

/** The paths of the run folder `dir`. */
export function runFolder(dir: string): RunFolder {
  return {
    dir,
    config: join(dir, "config.json"),
    metrics: join(dir, "metrics.jsonl"),
    results: join(dir, "results.json"),
    report: join(dir, "report.html"),
    encoder: join(dir, "encoder"),
    head: join(dir, "head"),
  };
}

/**
 * Checks that a new run may use `dir`: nothing there yet, and the parent creatable. Creates
 * nothing (the caller creates the folder once every other check has passed).
 *
 * @throws {SettingsError} When something is at `dir` already.
 */
export async function checkNewRun(dir: string): Promise<void> {
  await checkWritable(dir, "--runs");
  try {
    await Deno.lstat(dir);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  throw new SettingsError(
    `the run folder ${dir} exists already: continue it with --resume ${dir}, or choose ` +
      `another --name`,
  );
}

/**
 * Checks that `dir` is a run folder and returns its config.json (settings and the rest).
 *
 * @param dir The run folder.
 * @param flag The flag that named it, for the messages (`--resume`, `--pretrained`).
 * @throws {SettingsError} When it is not a run folder.
 */
export async function readRunConfig(
  dir: string,
  flag = "--resume",
): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await Deno.readTextFile(join(dir, "config.json"));
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no config.json there" : String(error);
    throw new SettingsError(`${flag} ${dir}: not a run folder (${why})`);
  }
  try {
    const config = JSON.parse(text);
    if (config === null || typeof config !== "object" || typeof config.settings !== "object") {
      throw new Error("no settings in it");
    }
    return config;
  } catch (error) {
    throw new SettingsError(`${flag} ${dir}: config.json is damaged: ${String(error)}`);
  }
}

/** Appends JSON lines to metrics.jsonl and knows its length for checkpoints. */
export class MetricsLog {
  #file: Deno.FsFile;
  #bytes: number;

  private constructor(file: Deno.FsFile, bytes: number) {
    this.#file = file;
    this.#bytes = bytes;
  }

  /** Opens (or creates) the log, cut to `bytes` when resuming (lines after the checkpoint go). */
  static async open(path: string, bytes: number): Promise<MetricsLog> {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    await file.truncate(bytes);
    await file.seek(bytes, Deno.SeekMode.Start);
    return new MetricsLog(file, bytes);
  }

  /** The log's length in bytes: what a checkpoint records. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends one line. */
  async write(line: Record<string, number>): Promise<void> {
    const bytes = new TextEncoder().encode(JSON.stringify(line) + "\n");
    let at = 0;
    while (at < bytes.byteLength) at += await this.#file.write(bytes.subarray(at));
    this.#bytes += bytes.byteLength;
  }

  /** Flushes to disk (before a checkpoint records the length). */
  async sync(): Promise<void> {
    await this.#file.sync();
  }

  close(): void {
    this.#file.close();
  }
}

/** Reads metrics.jsonl back. */
export async function readMetrics(path: string): Promise<Array<Record<string, number>>> {
  const text = await Deno.readTextFile(path);
  return text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
}

/** Writes a JSON file atomically (temporary file + rename). */
export async function writeJson(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${Deno.pid}`;
  await Deno.writeTextFile(tmp, JSON.stringify(value, null, 2) + "\n");
  await Deno.rename(tmp, path);
}

/**
 * Refuses a folder the process may not write (the task's `--allow-write` names the runs
 * folder): better said up front than as a permission error after training.
 *
 * @throws {SettingsError} Without write permission for `dir`.
 */
export async function checkWritable(dir: string, flag: string): Promise<void> {
  const { state } = await Deno.permissions.query({ name: "write", path: dir });
  if (state !== "granted") {
    throw new SettingsError(
      `${flag}: this process may not write to ${dir} (deno task train may write only under ` +
        `runs/; run train/main.ts with --allow-write=<folder> to use another)`,
    );
  }
}
