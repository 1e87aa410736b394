// Runtime-touching helpers shared by the file loaders (Deno only).
import { fileURLToPath } from "node:url";
import { typeError } from "@selfsup/internal";

/** A file system path or `file:` URL. */
export type PathLike = string | URL;

/** Turns a path or `file:` URL into a path string; anything else is a TypeError naming it. */
export function toPath(fn: string, name: string, path: unknown): string {
  if (path instanceof URL) {
    if (path.protocol !== "file:") throw typeError(fn, name, "a path or file: URL", path.href);
    return fileURLToPath(path);
  }
  if (typeof path !== "string" || path === "") {
    throw typeError(fn, name, "a path or file: URL", path);
  }
  return path;
}

/** What a file system entry is, in words, for messages about non-regular files. */
export function kindOf(info: Deno.FileInfo): string {
  if (info.isFile) return "regular file";
  if (info.isDirectory) return "folder";
  if (info.isSymlink) return "symbolic link";
  if (info.isFifo) return "named pipe";
  if (info.isSocket) return "socket";
  if (info.isCharDevice || info.isBlockDevice) return "device";
  return "special file";
}

/**
 * Reads a regular file, naming it in the error when that fails. Anything else (a named pipe,
 * a device, a folder) is refused before it is opened: reading a named pipe would wait for a
 * writer forever.
 */
export async function readFileNamed(fn: string, path: string, what: string): Promise<Uint8Array> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    throw new Error(`${fn}(): cannot read ${what} "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!info.isFile) {
    throw new Error(`${fn}(): ${what} "${path}" must be a regular file, got a ${kindOf(info)}`);
  }
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new Error(`${fn}(): cannot read ${what} "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Writes a file atomically: to a temporary file beside it, then renamed into place, so a
 * crash or error never leaves a partial file under the final name.
 */
export async function writeFileAtomic(fn: string, path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`${fn}(): cannot write "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Compresses bytes with gzip (the output is smaller than the input: no cap needed). */
export async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const out = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream()
    .pipeThrough(new CompressionStream("gzip"));
  return new Uint8Array(await new Response(out).arrayBuffer());
}

// Input slice of the streaming inflate. deflate expands at most about 1032:1, so one slice
// inflates to at most about 4 MiB: the most held beyond the cap before a bomb is stopped.
const INFLATE_SLICE = 4096;

/**
 * Inflates gzip bytes as a stream, handing each decompressed chunk to `onChunk` with the
 * total so far; `onChunk` throws to stop (a cap), and the stream is cancelled then. The
 * chunks are joined only when the stream ends.
 *
 * @throws {Error} `${fn}(): cannot decompress ${what}: ...` when the gzip data is invalid;
 *   whatever `onChunk` throws, as it is.
 */
export async function gunzipCapped(
  fn: string,
  what: string,
  bytes: Uint8Array,
  onChunk: (chunks: readonly Uint8Array[], total: number) => void,
): Promise<Uint8Array> {
  let offset = 0;
  const input = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (offset >= bytes.length) {
        controller.close();
        return;
      }
      controller.enqueue(bytes.slice(offset, offset += INFLATE_SLICE));
    },
  }, { highWaterMark: 0 });
  const inflate = new DecompressionStream("gzip") as TransformStream<Uint8Array, Uint8Array>;
  const reader = input.pipeThrough(inflate).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    for (;;) {
      let result: ReadableStreamReadResult<Uint8Array>;
      try {
        result = await reader.read();
      } catch (error) {
        throw new Error(`${fn}(): cannot decompress ${what}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      if (result.done) break;
      chunks.push(result.value);
      total += result.value.length;
      onChunk(chunks, total);
    }
  } catch (error) {
    await reader.cancel().catch(() => {});
    throw error;
  }
  return join(chunks, total);
}

/** The first `length` bytes of `chunks` (all of them by default) in one array. */
export function join(chunks: readonly Uint8Array[], length: number): Uint8Array {
  if (chunks.length === 1 && chunks[0].length === length) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    if (at >= length) break;
    const part = chunk.subarray(0, length - at);
    out.set(part, at);
    at += part.length;
  }
  return out;
}
