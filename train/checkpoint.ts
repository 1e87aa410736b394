import { join } from "node:path";

/** The checkpoint's folder name inside a run folder. */
export const CHECKPOINT_DIR = "checkpoint";
const STATE_JSON = "state.json";
const TENSORS_BIN = "tensors.bin";
const TMP_PREFIX = ".checkpoint.tmp-";
const OLD_PREFIX = ".checkpoint.old-";
const FORMAT = 1;

/** A checkpoint that cannot be read: main prints the message and exits with code 2. */
export class CheckpointError extends Error {
  override name = "CheckpointError";
}

// Typed arrays leave the JSON as references into tensors.bin.
interface ArrayRef {
  $array: "float32" | "int32" | "uint8";
  offset: number;
  length: number;
}

const HANG_ENV = "SELFSUP_TRAIN_HANG_IN_CHECKPOINT";
let written = 0;

/**
 * Writes `state` (plain data whose typed arrays go to `tensors.bin`) as the run's checkpoint,
 * atomically: both files are written and flushed in a hidden temporary folder beside it, the
 * old checkpoint moves aside, the new one is renamed into place, then the old one is removed.
 * A crash at any point leaves the old checkpoint or the new one (see
 * {@linkcode recoverCheckpoint}).
 *
 * @param runDir The run folder.
 * @param state Plain data: objects, arrays, numbers, strings, booleans, null and
 *   Float32Array / Int32Array / Uint8Array.
 */
export async function writeCheckpoint(runDir: string, state: unknown): Promise<void> {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  const json = JSON.stringify(state, (_key, value) => {
    if (
      value instanceof Float32Array || value instanceof Int32Array || value instanceof Uint8Array
    ) {
      // Copied so that each chunk starts at a multiple of 4 bytes in the file.
      const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength).slice();
      const ref: ArrayRef = {
        $array: value instanceof Float32Array
          ? "float32"
          : value instanceof Int32Array
          ? "int32"
          : "uint8",
        offset,
        length: value.length,
      };
      chunks.push(bytes);
      offset += bytes.byteLength;
      const pad = (4 - (offset % 4)) % 4;
      if (pad > 0) {
        chunks.push(new Uint8Array(pad));
        offset += pad;
      }
      return ref;
    }
    return value;
  });
  const bin = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    bin.set(c, at);
    at += c.byteLength;
  }
  const digest = await sha256(bin);
  const header = JSON.stringify({
    format: FORMAT,
    bytes: bin.byteLength,
    sha256: digest,
    state: JSON.parse(json),
  });

  written += 1;
  const tmp = join(runDir, `${TMP_PREFIX}${Deno.pid}-${written}`);
  await Deno.mkdir(tmp);
  await writeSynced(join(tmp, STATE_JSON), new TextEncoder().encode(header));
  if (Deno.env.get(HANG_ENV) === String(written)) {
    // Test hook: stop half-way through the weights so a test can SIGKILL a real write.
    const file = await Deno.open(join(tmp, TENSORS_BIN), { write: true, create: true });
    await file.write(bin.subarray(0, bin.byteLength >> 1));
    await file.sync();
    console.error(`checkpoint ${written}: hanging for the test`);
    await new Promise(() => {});
  }
  await writeSynced(join(tmp, TENSORS_BIN), bin);
  const target = join(runDir, CHECKPOINT_DIR);
  const old = join(runDir, `${OLD_PREFIX}${Deno.pid}-${written}`);
  let moved = false;
  try {
    await Deno.rename(target, old);
    moved = true;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await Deno.rename(tmp, target);
  if (moved) await Deno.remove(old, { recursive: true });
}

/**
 * Reads and verifies the run's checkpoint (size and SHA-256 of `tensors.bin`), or null when
 * there is none. A checkpoint moved aside by a write that crashed before the new one was in
 * place counts as the checkpoint. Nothing on disk changes.
 *
 * @throws {CheckpointError} When the checkpoint is damaged.
 */
export async function readCheckpoint(runDir: string): Promise<unknown | null> {
  const dir = await currentCheckpoint(runDir);
  if (dir === null) return null;
  const where = `the checkpoint ${dir}`;
  let header: { format: number; bytes: number; sha256: string; state: unknown };
  try {
    header = JSON.parse(await Deno.readTextFile(join(dir, STATE_JSON)));
  } catch (error) {
    throw new CheckpointError(`${where} is damaged: ${STATE_JSON}: ${text(error)}`);
  }
  if (header === null || typeof header !== "object" || header.format !== FORMAT) {
    throw new CheckpointError(
      `${where} is damaged: ${STATE_JSON} is not a format-${FORMAT} checkpoint`,
    );
  }
  let bin: Uint8Array<ArrayBuffer>;
  try {
    bin = await Deno.readFile(join(dir, TENSORS_BIN));
  } catch (error) {
    throw new CheckpointError(`${where} is damaged: ${TENSORS_BIN}: ${text(error)}`);
  }
  if (bin.byteLength !== header.bytes || (await sha256(bin)) !== header.sha256) {
    throw new CheckpointError(
      `${where} is damaged: ${TENSORS_BIN} does not match its SHA-256 in ${STATE_JSON} ` +
        `(${bin.byteLength} bytes, expected ${header.bytes})`,
    );
  }
  const revive = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(revive);
    if (value !== null && typeof value === "object") {
      const ref = value as Partial<ArrayRef>;
      if (typeof ref.$array === "string") {
        const size = ref.$array === "uint8" ? 1 : 4;
        const bytes = bin.slice(ref.offset!, ref.offset! + ref.length! * size);
        if (bytes.byteLength !== ref.length! * size) {
          throw new CheckpointError(`${where} is damaged: an array lies outside ${TENSORS_BIN}`);
        }
        return ref.$array === "float32"
          ? new Float32Array(bytes.buffer)
          : ref.$array === "int32"
          ? new Int32Array(bytes.buffer)
          : bytes;
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revive(v)]));
    }
    return value;
  };
  return revive(header.state);
}

/**
 * Cleans up after a crash: puts a checkpoint moved aside back when the new one never arrived,
 * then removes the hidden temporary and old folders. Call it once the checkpoint has been read
 * successfully (so that a refused run changes nothing).
 *
 * @returns The names removed.
 */
export async function recoverCheckpoint(runDir: string): Promise<string[]> {
  const current = join(runDir, CHECKPOINT_DIR);
  const hidden = await hiddenFolders(runDir);
  if (!(await exists(current))) {
    const old = hidden.filter((n) => n.startsWith(OLD_PREFIX)).sort().at(-1);
    if (old !== undefined) await Deno.rename(join(runDir, old), current);
  }
  const removed: string[] = [];
  for (const name of await hiddenFolders(runDir)) {
    await Deno.remove(join(runDir, name), { recursive: true });
    removed.push(name);
  }
  return removed;
}

async function currentCheckpoint(runDir: string): Promise<string | null> {
  const current = join(runDir, CHECKPOINT_DIR);
  if (await exists(current)) return current;
  const old = (await hiddenFolders(runDir)).filter((n) => n.startsWith(OLD_PREFIX)).sort().at(-1);
  return old === undefined ? null : join(runDir, old);
}

async function hiddenFolders(runDir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(runDir)) {
    if (e.name.startsWith(TMP_PREFIX) || e.name.startsWith(OLD_PREFIX)) names.push(e.name);
  }
  return names;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function writeSynced(path: string, bytes: Uint8Array): Promise<void> {
  const file = await Deno.open(path, { write: true, createNew: true });
  try {
    let at = 0;
    while (at < bytes.byteLength) at += await file.write(bytes.subarray(at));
    await file.sync();
  } finally {
    file.close();
  }
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
