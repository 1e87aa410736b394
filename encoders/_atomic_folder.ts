// How a model folder is written and replaced so that a crash at any point leaves the target
// path holding the complete old folder or the complete new one, never a mix and never nothing.
//
// A folder cannot be swapped with one rename (rename onto a non-empty folder fails, and
// renameat2's RENAME_EXCHANGE is not reachable from Deno), so a replacement takes two renames.
// The names of the sibling folders say how far a save got, and `recoverFolder` finishes or
// undoes it from those names alone:
//
//   .<name>.tmp-<16 hex>  staging: being written, possibly partial. Always garbage after a crash.
//   .<name>.tmp-new       complete new folder (renamed from staging only once flushed).
//   .<name>.tmp-old       the complete old folder, moved aside to make room.
//
// The save: write and flush staging; rename staging -> .tmp-new; [rename <name> -> .tmp-old];
// rename .tmp-new -> <name>; [remove .tmp-old]. Each rename is atomic, and the parent folder is
// flushed after it, so the order of the renames survives a power cut too (where the file
// system honours fsync on folders).
//
// Recovery: when <name> is missing, .tmp-new (complete) or else .tmp-old (complete) is
// renamed to <name>; then, when cleaning, every .<name>.tmp-* left is garbage and removed.
import * as path from "node:path";

/**
 * Every step of a save, in order, for the fault-injection tests: a hook runs before each.
 * "move old aside" and "remove old" happen only when a folder is replaced.
 */
export const SAVE_STEPS = [
  "recover",
  "make staging",
  "write weights.bin",
  "write weights.bin (second half)",
  "write model.json",
  "write model.json (second half)",
  "sync staging",
  "mark complete",
  "move old aside",
  "move new in",
  "remove old",
] as const;

/** One of {@linkcode SAVE_STEPS}. */
export type SaveStep = typeof SAVE_STEPS[number];

/**
 * Test-only hook, run before each step of a save. The fault-injection tests set it in a child
 * process to kill that process at a chosen step: a real crash, with no cleanup code running.
 */
export const saveHooks: { beforeStep: (step: SaveStep) => void | Promise<void> } = {
  beforeStep: () => {},
};

/** The target path and its sibling folders' names. */
export interface FolderNames {
  target: string;
  parent: string;
  fresh: string;
  old: string;
  /** Matches the base names of every sibling this protocol makes for `target`. */
  siblings: RegExp;
}

/** Names for the folder `target` (an absolute path). */
export function folderNames(target: string): FolderNames {
  const parent = path.dirname(target);
  const base = path.basename(target);
  const escaped = base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return {
    target,
    parent,
    fresh: path.join(parent, `.${base}.tmp-new`),
    old: path.join(parent, `.${base}.tmp-old`),
    siblings: new RegExp(`^\\.${escaped}\\.tmp-(new|old|[0-9a-f]{16})$`),
  };
}

/**
 * Brings `target` back to a complete folder after an interrupted save: when it is missing,
 * the complete new folder (or else the complete old one) is renamed into place. With `clean`,
 * every sibling left over is removed too (only a save cleans: a load must not remove the
 * staging folder of a save running in another process).
 *
 * @returns True when it renamed a folder into place.
 */
export async function recoverFolder(names: FolderNames, clean: boolean): Promise<boolean> {
  let restored = false;
  if (!(await exists(names.target))) {
    for (const candidate of [names.fresh, names.old]) {
      if (await exists(candidate)) {
        await Deno.rename(candidate, names.target);
        await syncFolder(names.parent);
        restored = true;
        break;
      }
    }
  }
  if (clean) {
    for await (const entry of Deno.readDir(names.parent)) {
      if (names.siblings.test(entry.name)) {
        await Deno.remove(path.join(names.parent, entry.name), { recursive: true });
      }
    }
  }
  return restored;
}

/**
 * Writes `files` into a new folder at `names.target`, replacing the folder there when
 * `replace`, by the protocol above. On an error (not a crash) the target is left as it was and
 * the siblings made so far are removed.
 */
export async function writeFolder(
  names: FolderNames,
  files: readonly (readonly ["weights.bin" | "model.json", Uint8Array])[],
  replace: boolean,
): Promise<void> {
  const step = (s: SaveStep) => saveHooks.beforeStep(s);
  let staging: string | undefined;
  let movedAside = false;
  try {
    await step("make staging");
    staging = await makeStagingFolder(names);
    for (const [name, bytes] of files) {
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
    staging = undefined;
    await syncFolder(names.parent);
    if (replace) {
      await step("move old aside");
      await Deno.rename(names.target, names.old);
      movedAside = true;
      await syncFolder(names.parent);
    }
    await step("move new in");
    await Deno.rename(names.fresh, names.target);
    await syncFolder(names.parent);
  } catch (error) {
    if (movedAside && !(await exists(names.target))) {
      await Deno.rename(names.old, names.target).catch(() => {});
    }
    for (const leftover of [staging, names.fresh, movedAside ? names.old : undefined]) {
      if (leftover !== undefined) await Deno.remove(leftover, { recursive: true }).catch(() => {});
    }
    throw error;
  }
  if (replace) {
    await step("remove old");
    // The new folder is in place: a failure here leaves garbage the next save removes, not a
    // failed save.
    await Deno.remove(names.old, { recursive: true }).catch(() => {});
  }
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
