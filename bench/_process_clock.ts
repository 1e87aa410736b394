/**
 * Process CPU time in ms (all threads) through libc's clock_gettime(CLOCK_PROCESS_CPUTIME_ID)
 * on Linux: on a machine shared with other work, wall time per kernel mostly measures waiting.
 * Falls back to wall time elsewhere.
 */
export function makeClock(): { now: () => number; kind: string } {
  try {
    const libc = Deno.dlopen("libc.so.6", {
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    });
    const ts = new BigInt64Array(2);
    const now = () => {
      libc.symbols.clock_gettime(2, ts); // CLOCK_PROCESS_CPUTIME_ID
      return Number(ts[0]) * 1e3 + Number(ts[1]) / 1e6;
    };
    now();
    return { now, kind: "process CPU" };
  } catch {
    return { now: () => performance.now(), kind: "wall" };
  }
}
