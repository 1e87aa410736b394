// Runtime-touching helpers shared by the file loaders (Deno only).
import { fileURLToPath } from "node:url";

/** A file system path or `file:` URL. */
export type PathLike = string | URL;

/** Turns a path or `file:` URL into a path string. */
export function toPath(path: PathLike): string {
  return path instanceof URL ? fileURLToPath(path) : path;
}

/** Reads a file, naming it in the error when that fails. */
export async function readFileNamed(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    throw new Error(`cannot read ${what} "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Writes a file atomically: to a temporary file beside it, then renamed into place, so a
 * crash or error never leaves a partial file under the final name.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${path}.${crypto.randomUUID()}.tmp`;
  try {
    await Deno.writeFile(tmp, bytes);
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`cannot write "${path}": ${(error as Error).message}`, { cause: error });
  }
}

/** Runs bytes through a web `DecompressionStream` / `CompressionStream`. */
export async function transform(
  bytes: Uint8Array,
  stream: CompressionStream | DecompressionStream,
): Promise<Uint8Array> {
  const out = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(stream);
  return new Uint8Array(await new Response(out).arrayBuffer());
}
