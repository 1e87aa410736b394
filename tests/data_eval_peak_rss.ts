// Test helper of the data and eval limit tests: how far a call raised the process's resident
// memory at its peak. On Linux the kernel's high-water mark is reset before the call and read
// after it (exact, also for a synchronous allocation); elsewhere the resident size is sampled
// every millisecond while the call runs (good for asynchronous work only).

const MIB = 2 ** 20;

function statusBytes(key: string): number | undefined {
  try {
    const match = Deno.readTextFileSync("/proc/self/status").match(
      new RegExp(`${key}:\\s+(\\d+) kB`),
    );
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function resetHighWaterMark(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `body` and returns its result or error with the peak growth of the resident memory
 * during the call, in MiB.
 */
export async function peakRssGrowth<T>(
  body: () => Promise<T> | T,
): Promise<{ mib: number; result?: T; error?: unknown }> {
  const exact = resetHighWaterMark() && statusBytes("VmHWM") !== undefined;
  const before = exact ? statusBytes("VmRSS")! : Deno.memoryUsage().rss;
  let peak = before;
  const timer = exact
    ? undefined
    : setInterval(() => (peak = Math.max(peak, Deno.memoryUsage().rss)), 1);
  let result: T | undefined;
  let error: unknown;
  try {
    result = await body();
  } catch (e) {
    error = e;
  } finally {
    if (timer !== undefined) clearInterval(timer);
  }
  peak = exact ? statusBytes("VmHWM")! : Math.max(peak, Deno.memoryUsage().rss);
  return { mib: (peak - before) / MIB, result, error };
}

/** Gzip or zlib (`"deflate"`) of `total` zero bytes after `head`, compressed as a stream. */
export async function compressedZeros(
  head: Uint8Array,
  total: number,
  format: "gzip" | "deflate",
): Promise<Uint8Array> {
  const zeros = new Uint8Array(MIB);
  let sent = -1;
  const source = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sent < 0) {
        controller.enqueue(head);
        sent = 0;
      } else if (sent >= total) {
        controller.close();
      } else {
        const size = Math.min(MIB, total - sent);
        controller.enqueue(zeros.subarray(0, size));
        sent += size;
      }
    },
  });
  const compress = new CompressionStream(format) as TransformStream<Uint8Array, Uint8Array>;
  return new Uint8Array(await new Response(source.pipeThrough(compress)).arrayBuffer());
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

/**
 * A PNG file made by hand: an 8-bit grey IHDR of the given size, one IDAT chunk holding
 * `zlib` (the compressed scanlines, whatever they inflate to) and IEND, with valid CRCs.
 */
export function handMadePng(width: number, height: number, zlib: Uint8Array): Uint8Array {
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr.set([8, 0, 0, 0, 0], 8); // depth 8, grey, deflate, adaptive filters, no interlace
  const parts = [
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", ihdr),
    chunk("IDAT", zlib),
    chunk("IEND", new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
