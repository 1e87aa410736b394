import { join } from "node:path";
import {
  atomicFolderHooks,
  currentFolder,
  recoverFolder,
  writeFolder,
} from "@selfsup/internal/atomic_folder";

/** The checkpoint's folder name inside a run folder. */
export const CHECKPOINT_DIR = "checkpoint";
const STATE_JSON = "state.json";
const TENSORS_BIN = "tensors.bin";
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
 * atomically, by `writeFolder` of `@selfsup/internal/atomic_folder`: both files are written
 * and flushed in a hidden folder beside it (`.checkpoint.tmp-*`), the old checkpoint moves
 * aside, the new one is renamed into place, then the old one is removed. A crash at any point
 * leaves the old checkpoint or the new one (see {@linkcode recoverCheckpoint}); leftovers of an
 * earlier crash are recovered and removed first.
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
  const target = join(runDir, CHECKPOINT_DIR);
  if (Deno.env.get(HANG_ENV) === String(written)) {
    // Test hook: stop half-way through the weights so a test can SIGKILL a real write.
    const at = `write ${TENSORS_BIN} (second half)`;
    atomicFolderHooks.beforeStep = (step, folder) => {
      if (step !== at || folder !== target) return;
      console.error(`checkpoint ${written}: hanging for the test`);
      return new Promise(() => {});
    };
  }
  await writeFolder(target, [
    { name: STATE_JSON, bytes: new TextEncoder().encode(header) },
    { name: TENSORS_BIN, bytes: bin },
  ]);
}

/**
 * Reads and verifies the run's checkpoint (size and SHA-256 of `tensors.bin`), or null when
 * there is none. When a write crashed between moving the old checkpoint aside and renaming the
 * new one in, the checkpoint is the complete new one, or else the old one: the one
 * {@linkcode recoverCheckpoint} will put in place. Nothing on disk changes.
 *
 * @throws {CheckpointError} When the checkpoint is damaged.
 */
export async function readCheckpoint(runDir: string): Promise<unknown | null> {
  const dir = await currentFolder(join(runDir, CHECKPOINT_DIR));
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
 * Cleans up after a crash: when the checkpoint is missing, puts the complete new one left by
 * an interrupted write (or else the old one it moved aside) in place, then removes the hidden
 * `.checkpoint.tmp-*` folders. Call it once the checkpoint has been read successfully (so that
 * a refused run changes nothing).
 *
 * @returns The names removed.
 */
export async function recoverCheckpoint(runDir: string): Promise<string[]> {
  return (await recoverFolder(join(runDir, CHECKPOINT_DIR), { clean: true })).removed;
}

async function sha256(bytes: Uint8Array<ArrayBuffer>): Promise<string> {
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  return Array.from(hash, (b) => b.toString(16).padStart(2, "0")).join("");
}

function text(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
