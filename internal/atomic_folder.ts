/**
 * Writing a folder of files so that a crash at any point leaves its path holding the complete
 * old folder or the complete new one, never a mix and never nothing: what encoders'
 * `saveModel` and the train app's checkpoint share.
 *
 * This entry point touches the file system (`Deno.*`), so it is apart from `@selfsup/internal`
 * itself, which stays runtime-agnostic. Like the rest of the package it is not for users: its
 * API may change in any release.
 *
 * A folder cannot be swapped with one rename (rename onto a non-empty folder fails, and
 * renameat2's RENAME_EXCHANGE is not reachable from Deno), so a replacement takes two renames.
 * The names of the sibling folders say how far a write got, and {@linkcode recoverFolder}
 * finishes or undoes it from those names alone:
 *
 * - `.<name>.tmp-<16 hex>`: staging, being written, possibly partial. Always garbage after a
 *   crash.
 * - `.<name>.tmp-new`: the complete new folder (renamed from staging only once flushed).
 * - `.<name>.tmp-old`: the complete old folder, moved aside to make room.
 *
 * A write: recover; write and flush staging; rename staging -> `.tmp-new`; [rename `<name>` ->
 * `.tmp-old`]; rename `.tmp-new` -> `<name>`; [remove `.tmp-old`]. Each rename is atomic, and
 * the parent folder is flushed after it, so the order of the renames survives a power cut too
 * (where the file system honours fsync on folders).
 *
 * Recovery: when `<name>` is missing, `.tmp-new` (complete) or else `.tmp-old` (complete) is
 * renamed to `<name>`; then, when cleaning, every `.<name>.tmp-*` left is garbage and removed.
 *
 * One process at a time may write to a path; reading it while a write runs is fine.
 *
 * @example Replace a folder, then read it
 * ```ts
 * import { writeFolder } from "@selfsup/internal/atomic_folder";
 * import assert from "node:assert/strict";
 *
 * const parent = await Deno.makeTempDir();
 * const bytes = new TextEncoder().encode("v1");
 * await writeFolder(`${parent}/run`, [{ name: "a.txt", bytes }]);
 * await writeFolder(`${parent}/run`, [{ name: "b.txt", bytes }]);
 * assert.deepEqual([...Deno.readDirSync(`${parent}/run`)].map((e) => e.name), ["b.txt"]);
 * assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["run"]);
 * await Deno.remove(parent, { recursive: true });
 * ```
 *
 * @module
 */
import * as path from "node:path";
import { checkBoolean, checkOptions, rangeError, typeError } from "./validate.ts";

/** One file of the folder {@linkcode writeFolder} writes. */
export interface FolderFile {
  /** A plain file name: no folder part. */
  name: string;
  /** The file's contents. */
  bytes: Uint8Array;
}

/**
 * A step of {@linkcode writeFolder}, as {@linkcode atomicFolderHooks} sees it; the file steps
 * name the file (`write model.json`, `write model.json (second half)`).
 */
export type WriteStep =
  | "recover"
  | "make staging"
  | `write ${string}`
  | "sync staging"
  | "mark complete"
  | "move old aside"
  | "move new in"
  | "remove old";

/**
 * Every step of a {@linkcode writeFolder} of files with these names, in order: the points
 * where a fault-injection test can crash it. "move old aside" and "remove old" happen only
 * when a folder is replaced.
 *
 * @param fileNames The names of the files, in the order they are passed to `writeFolder`.
 * @returns The steps, in order.
 *
 * @example
 * ```ts
 * import { writeSteps } from "@selfsup/internal/atomic_folder";
 * import assert from "node:assert/strict";
 *
 * assert.deepEqual(writeSteps(["a"]), [
 *   "recover",
 *   "make staging",
 *   "write a",
 *   "write a (second half)",
 *   "sync staging",
 *   "mark complete",
 *   "move old aside",
 *   "move new in",
 *   "remove old",
 * ]);
 * ```
 */
export function writeSteps(fileNames: readonly string[]): WriteStep[] {
  return [
    "recover",
    "make staging",
    ...fileNames.flatMap((name): WriteStep[] => [`write ${name}`, `write ${name} (second half)`]),
    "sync staging",
    "mark complete",
    "move old aside",
    "move new in",
    "remove old",
  ];
}

/**
 * Test-only hook, run before each step of every {@linkcode writeFolder} with the step and the
 * target path (normalized: `path.join(path.dirname(target), path.basename(target))`).
 * Fault-injection tests set it (in a child process) to kill the process at a chosen step: a
 * real crash, with no cleanup code running. A hook that throws fails the write as any error
 * would.
 *
 * @example Watch the steps of one write
 * ```ts
 * import { atomicFolderHooks, writeFolder, writeSteps } from "@selfsup/internal/atomic_folder";
 * import assert from "node:assert/strict";
 *
 * const parent = await Deno.makeTempDir();
 * const seen: string[] = [];
 * atomicFolderHooks.beforeStep = (step) => void seen.push(step);
 * try {
 *   await writeFolder(`${parent}/m`, [{ name: "a", bytes: new Uint8Array(4) }]);
 * } finally {
 *   atomicFolderHooks.beforeStep = () => {};
 * }
 * const replacing = ["move old aside", "remove old"];
 * assert.deepEqual(seen, writeSteps(["a"]).filter((s) => !replacing.includes(s)));
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export const atomicFolderHooks: {
  beforeStep: (step: WriteStep, target: string) => void | Promise<void>;
} = { beforeStep: () => {} };

/**
 * Writes `files` as the folder `target`, replacing whatever is there (a folder, even a
 * non-empty one, or a file), by the protocol in this module's doc. Leftovers of an interrupted
 * write to `target` are recovered and removed first (see {@linkcode recoverFolder}). Each file
 * and the folder are flushed before the folder is renamed into place.
 *
 * On an error (rather than a crash) `target` is left as it was and the folders this write made
 * are removed. Once `target` holds the new folder the write has succeeded: failing to remove
 * the old one leaves garbage that the next write or cleaning recovery removes.
 *
 * @param target The folder to write; its parent must exist.
 * @param files The files, in the order they are written; distinct plain names.
 * @returns Resolves once the new folder is in place.
 * @throws {TypeError} If `target` is not a non-empty string or `files` not an array of
 *   `{ name, bytes }` with a string name and Uint8Array bytes.
 * @throws {RangeError} If `target` names no folder (`/`, `.`, `..`), or a file name is empty,
 *   `.` or `..`, holds a slash or backslash, or is given twice.
 * @throws {Error} File system errors (a missing parent, say), once this write's folders are
 *   removed.
 *
 * @example Write, then replace
 * ```ts
 * import { writeFolder } from "@selfsup/internal/atomic_folder";
 * import assert from "node:assert/strict";
 *
 * const parent = await Deno.makeTempDir();
 * const target = `${parent}/checkpoint`;
 * await writeFolder(target, [{ name: "state.json", bytes: new TextEncoder().encode("{}") }]);
 * await writeFolder(target, [{ name: "state.json", bytes: new TextEncoder().encode("[]") }]);
 * assert.equal(await Deno.readTextFile(`${target}/state.json`), "[]");
 * assert.deepEqual([...Deno.readDirSync(parent)].map((e) => e.name), ["checkpoint"]);
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function writeFolder(target: string, files: readonly FolderFile[]): Promise<void> {
  const fn = "writeFolder";
  const names = folderNames(fn, target);
  checkFiles(fn, files);
  const step = (s: WriteStep) => atomicFolderHooks.beforeStep(s, names.target);

  await step("recover");
  await recover(names, true);
  const replace = await exists(names.target);
  let staging: string | undefined;
  let fresh = false; // .tmp-new is this write's (recovery has removed any other)
  let movedAside = false;
  try {
    await step("make staging");
    staging = await makeStagingFolder(names);
    for (const { name, bytes } of files) {
      await step(`write ${name}`);
      await writeFileSynced(
        path.join(staging, name),
        bytes,
        () => step(`write ${name} (second half)`),
      );
    }
    await step("sync staging");
    await syncFolder(staging);
    await step("mark complete");
    await Deno.rename(staging, names.fresh);
    [staging, fresh] = [undefined, true];
    await syncFolder(names.parent);
    if (replace) {
      await step("move old aside");
      await Deno.rename(names.target, names.old);
      movedAside = true;
      await syncFolder(names.parent);
    }
    await step("move new in");
    await Deno.rename(names.fresh, names.target);
    fresh = false;
    await syncFolder(names.parent);
  } catch (error) {
    // Undo. The old folder is never removed here: should putting it back fail, it stays for
    // recoverFolder to put back.
    if (movedAside) await Deno.rename(names.old, names.target).catch(() => {});
    for (const leftover of [staging, fresh ? names.fresh : undefined]) {
      if (leftover !== undefined) await Deno.remove(leftover, { recursive: true }).catch(() => {});
    }
    throw error;
  }
  if (replace) {
    await step("remove old");
    // The new folder is in place: a failure here leaves garbage the next write removes, not a
    // failed write.
    await Deno.remove(names.old, { recursive: true }).catch(() => {});
  }
}

/** What {@linkcode recoverFolder} did. */
export interface FolderRecovery {
  /** The base name of the sibling renamed to the target (`.<name>.tmp-new` or `-old`), or null. */
  restored: string | null;
  /** The base names of the siblings removed, sorted (none without `clean`). */
  removed: string[];
}

/** Options of {@linkcode recoverFolder}. */
export interface RecoverFolderOptions {
  /**
   * Also remove every sibling left over. Default false: only a writer cleans, since a reader
   * must not remove the staging folder of a write running in another process.
   */
  clean?: boolean;
}

/**
 * Brings `target` back to a complete folder after an interrupted {@linkcode writeFolder}: when
 * it is missing, the complete new folder (or else the complete old one) is renamed into place.
 * With `clean`, every sibling the protocol makes for `target` that is left over is removed too
 * (the siblings of other targets in the same parent are not touched).
 *
 * @param target The folder a write was interrupted on; its parent must exist.
 * @param options `clean` (default false).
 * @returns Which sibling was renamed into place, and which were removed.
 * @throws {TypeError} If `target` is not a non-empty string or `options.clean` not a boolean.
 * @throws {RangeError} If `target` names no folder (`/`, `.`, `..`).
 * @throws {Error} File system errors (a missing parent, say).
 *
 * @example A write interrupted between its two renames
 * ```ts
 * import { recoverFolder, writeFolder } from "@selfsup/internal/atomic_folder";
 * import assert from "node:assert/strict";
 *
 * const parent = await Deno.makeTempDir();
 * await writeFolder(`${parent}/m`, [{ name: "a", bytes: new Uint8Array([1]) }]);
 * await Deno.rename(`${parent}/m`, `${parent}/.m.tmp-old`); // moved aside, then a crash
 * await Deno.mkdir(`${parent}/.m.tmp-0123456789abcdef`); // and a partial staging folder
 * assert.deepEqual(await recoverFolder(`${parent}/m`, { clean: true }), {
 *   restored: ".m.tmp-old",
 *   removed: [".m.tmp-0123456789abcdef"],
 * });
 * assert.deepEqual(await Deno.readFile(`${parent}/m/a`), new Uint8Array([1]));
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function recoverFolder(
  target: string,
  options: RecoverFolderOptions = {},
): Promise<FolderRecovery> {
  const fn = "recoverFolder";
  const names = folderNames(fn, target);
  checkOptions(fn, options);
  const clean = options.clean === undefined
    ? false
    : checkBoolean(fn, "options.clean", options.clean);
  return await recover(names, clean);
}

/**
 * The path that holds `target`'s complete folder now, without changing anything on disk:
 * `target` itself, or, while an interrupted write has left it missing, the sibling
 * {@linkcode recoverFolder} would rename into place; null when there is none.
 *
 * @param target The folder to look for.
 * @returns `target` or a sibling's path (relative when `target` is), or null.
 * @throws {TypeError} If `target` is not a non-empty string.
 * @throws {RangeError} If `target` names no folder (`/`, `.`, `..`).
 *
 * @example
 * ```ts
 * import { currentFolder, writeFolder } from "@selfsup/internal/atomic_folder";
 * import assert from "node:assert/strict";
 *
 * const parent = await Deno.makeTempDir();
 * assert.equal(await currentFolder(`${parent}/m`), null);
 * await writeFolder(`${parent}/m`, [{ name: "a", bytes: new Uint8Array([1]) }]);
 * await Deno.rename(`${parent}/m`, `${parent}/.m.tmp-new`); // a crash before "move new in"
 * assert.equal(await currentFolder(`${parent}/m`), `${parent}/.m.tmp-new`);
 * await Deno.remove(parent, { recursive: true });
 * ```
 */
export async function currentFolder(target: string): Promise<string | null> {
  const names = folderNames("currentFolder", target);
  for (const candidate of [names.target, names.fresh, names.old]) {
    if (await exists(candidate)) return candidate;
  }
  return null;
}

/** The target path and its sibling folders' names. */
interface FolderNames {
  target: string;
  parent: string;
  fresh: string;
  old: string;
  /** Matches the base names of every sibling this protocol makes for `target`. */
  siblings: RegExp;
}

function folderNames(fn: string, target: string): FolderNames {
  if (typeof target !== "string" || target.length === 0) {
    throw typeError(fn, "target", "a non-empty string", target);
  }
  // Paths stay relative when given so, so that messages show them as the user wrote them.
  const normal = path.normalize(target);
  const parent = path.dirname(normal);
  const base = path.basename(normal);
  if (base === "" || base === "." || base === "..") {
    throw rangeError(fn, "target", "a path that names a folder", target);
  }
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    target: path.join(parent, base),
    parent,
    fresh: path.join(parent, `.${base}.tmp-new`),
    old: path.join(parent, `.${base}.tmp-old`),
    siblings: new RegExp(`^\\.${escaped}\\.tmp-(new|old|[0-9a-f]{16})$`),
  };
}

function checkFiles(fn: string, files: readonly FolderFile[]): void {
  if (!Array.isArray(files)) throw typeError(fn, "files", "an array", files);
  const seen = new Set<string>();
  files.forEach((file, i) => {
    if (typeof file !== "object" || file === null) {
      throw typeError(fn, `files[${i}]`, "an object { name, bytes }", file);
    }
    const { name, bytes } = file;
    if (typeof name !== "string") throw typeError(fn, `files[${i}].name`, "a string", name);
    if (!(bytes instanceof Uint8Array)) {
      throw typeError(fn, `files[${i}].bytes`, "a Uint8Array", bytes);
    }
    if (name === "" || name === "." || name === ".." || /[/\\]/.test(name)) {
      throw rangeError(fn, `files[${i}].name`, "a plain file name (no folder part)", name);
    }
    if (seen.has(name)) {
      throw rangeError(fn, `files[${i}].name`, "a name not given before", name);
    }
    seen.add(name);
  });
}

async function recover(names: FolderNames, clean: boolean): Promise<FolderRecovery> {
  let restored: string | null = null;
  if (!(await exists(names.target))) {
    for (const candidate of [names.fresh, names.old]) {
      if (await exists(candidate)) {
        await Deno.rename(candidate, names.target);
        await syncFolder(names.parent);
        restored = path.basename(candidate);
        break;
      }
    }
  }
  const removed: string[] = [];
  if (clean) {
    for await (const entry of Deno.readDir(names.parent)) {
      if (names.siblings.test(entry.name)) {
        await Deno.remove(path.join(names.parent, entry.name), { recursive: true });
        removed.push(entry.name);
      }
    }
  }
  return { restored, removed: removed.sort() };
}

/** Makes `.<name>.tmp-<16 hex>` next to the target (mkdir fails if it exists: retry). */
async function makeStagingFolder(names: FolderNames): Promise<string> {
  for (;;) {
    const hex = Array.from(crypto.getRandomValues(new Uint8Array(8)))
      .map((b) => b.toString(16).padStart(2, "0")).join("");
    const staging = path.join(names.parent, `.${path.basename(names.target)}.tmp-${hex}`);
    try {
      await Deno.mkdir(staging);
      return staging;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
    }
  }
}

/**
 * Writes and flushes a new file, so the rename that publishes its folder never exposes
 * partial data. `beforeSecondHalf` runs between the two halves of the bytes (where a crash
 * leaves a partial file).
 */
async function writeFileSynced(
  file: string,
  data: Uint8Array,
  beforeSecondHalf: () => unknown,
): Promise<void> {
  using handle = await Deno.open(file, { write: true, createNew: true });
  const half = Math.floor(data.byteLength / 2);
  for (const [start, end] of [[0, half], [half, data.byteLength]]) {
    if (start === half) await beforeSecondHalf();
    let written = start;
    while (written < end) written += await handle.write(data.subarray(written, end));
  }
  await handle.sync();
}

/**
 * Flushes a folder's entries (renames, new files) to disk. Best effort: some platforms cannot
 * open a folder for syncing, and a process crash (as opposed to a power cut) needs no flush.
 */
async function syncFolder(folder: string): Promise<void> {
  try {
    using handle = await Deno.open(folder, { read: true });
    await handle.sync();
  } catch {
    // Windows, or a file system without directory fsync.
  }
}

/** Whether something (a link counts, followed or not) is at `p`. */
async function exists(p: string): Promise<boolean> {
  try {
    await Deno.lstat(p);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
