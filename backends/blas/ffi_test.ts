import assert from "node:assert/strict";
import { BLAS_LIBRARY_VARIABLE, defaultBlasCandidates, openBlas } from "./ffi.ts";
import { assertClose, blasMissing, ignoreBlas } from "./_test_util.ts";
import { skipNote } from "../_test_util.ts";

/** C = A B in float64, A [m, k], B [k, n], row-major; transposes applied to the stored arrays. */
function gemmF64(
  ta: boolean,
  tb: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  b: Float32Array,
): number[] {
  const out: number[] = [];
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += (ta ? a[p * m + i] : a[i * k + p]) * (tb ? b[j * k + p] : b[p * n + j]);
      }
      out.push(s);
    }
  }
  return out;
}

function filled(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => {
    s = (s * 16807) % 2147483647;
    return s / 2147483647 - 0.5;
  });
}

Deno.test({
  name: "openBlas() sgemm matches a float64 reference for every transpose and on subarrays" +
    skipNote("blas", blasMissing),
  ignore: ignoreBlas,
  fn: () => {
    const blas = openBlas();
    try {
      for (const [m, n, k] of [[1, 1, 1], [3, 5, 7], [17, 4, 33]]) {
        for (const ta of [false, true]) {
          for (const tb of [false, true]) {
            const a = filled(m * k + 3, m + k);
            const b = filled(k * n + 2, n + 11);
            // Views that start 3 and 2 floats in: the call must honour byteOffset.
            const av = a.subarray(3);
            const bv = b.subarray(2);
            const c = new Float32Array(m * n + 1).fill(1);
            const cv = c.subarray(1);
            blas.sgemm(ta, tb, m, n, k, 1, av, ta ? m : k, bv, tb ? k : n, 0.5, cv, n);
            const expected = gemmF64(ta, tb, m, n, k, av, bv).map((v) => v + 0.5);
            assertClose(cv, expected, 1e-5, `m ${m} n ${n} k ${k} ta ${ta} tb ${tb}`);
            assert.equal(c[0], 1, "wrote before the view");
          }
        }
      }
    } finally {
      blas.close();
    }
  },
});

Deno.test({
  name: "openBlas() sgemv computes A x and A^T x",
  ignore: ignoreBlas,
  fn: () => {
    const blas = openBlas();
    try {
      const a = filled(12, 5); // [3, 4]
      const x4 = filled(4, 6);
      const x3 = filled(3, 7);
      const y3 = new Float32Array(3);
      const y4 = new Float32Array(4);
      blas.sgemv(false, 3, 4, 1, a, 4, x4, 0, y3);
      blas.sgemv(true, 3, 4, 1, a, 4, x3, 0, y4);
      assertClose(y3, gemmF64(false, false, 3, 1, 4, a, x4), 1e-5, "A x");
      assertClose(y4, gemmF64(true, false, 4, 1, 3, a, x3), 1e-5, "A^T x");
      blas.setThreads(1); // allowed on OpenBLAS, ignored elsewhere
    } finally {
      blas.close();
    }
  },
});

Deno.test("openBlas() names the library and what to install when it cannot open one", () => {
  assert.throws(
    () => openBlas({ libraryPath: "libdoes-not-exist.so.9" }),
    (e: Error) => e.message.includes("libdoes-not-exist.so.9") && e.message.includes("libraryPath"),
  );
});

Deno.test("defaultBlasCandidates() lists OpenBLAS on Linux and Accelerate on macOS", () => {
  assert.deepEqual(defaultBlasCandidates("linux"), ["libopenblas.so.0", "libopenblas.so"]);
  assert.match(defaultBlasCandidates("darwin")[0], /Accelerate\.framework/);
});

Deno.test("openBlas() without --allow-ffi says which flag to pass", async () => {
  const code = "try { openBlas(); } catch (e) { console.log(e.message); }";
  const { stdout, stderr } = await runWithOpenBlas(code, ["--allow-read"]);
  assert.match(stdout, /--allow-ffi/, stderr);
});

const CONFIG = new URL("../../deno.json", import.meta.url).pathname;

/**
 * Runs `code` (which may import `openBlas` from ffi.ts) in a fresh Deno with `flags` and the
 * environment changes `env` (undefined unsets), and returns its stdout and stderr. A separate
 * process, since the environment is shared by the test files running in parallel.
 */
async function runWithOpenBlas(
  code: string,
  flags: string[],
  env: Record<string, string | undefined> = {},
): Promise<{ stdout: string; stderr: string }> {
  const ffi = JSON.stringify(new URL("./ffi.ts", import.meta.url).href);
  const file = await Deno.makeTempFile({ suffix: ".ts" });
  try {
    await Deno.writeTextFile(file, `import { openBlas } from ${ffi};\n${code}`);
    const vars = { ...Deno.env.toObject() };
    for (const [name, value] of Object.entries(env)) {
      if (value === undefined) delete vars[name];
      else vars[name] = value;
    }
    const out = await new Deno.Command(Deno.execPath(), {
      // `deno run` without flags grants no permissions (unlike `deno eval`); the workspace's
      // config resolves ffi.ts's imports from a file outside it.
      args: ["run", "--no-prompt", "--config", CONFIG, ...flags, file],
      clearEnv: true,
      env: vars,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder();
    return { stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
  } finally {
    await Deno.remove(file);
  }
}

Deno.test({
  name:
    `openBlas() opens the library named by ${BLAS_LIBRARY_VARIABLE}, and an explicit path first`,
  ignore: ignoreBlas,
  fn: async () => {
    const code = `try { openBlas(); } catch (e) { console.log(e.message); }
console.log(openBlas({ libraryPath: ${JSON.stringify(defaultBlasCandidates()[0])} }).path);`;
    const { stdout, stderr } = await runWithOpenBlas(code, ["--allow-all"], {
      [BLAS_LIBRARY_VARIABLE]: "/nonexistent/libopenblas.so.0",
    });
    const lines = stdout.trim().split("\n");
    assert.equal(lines.length, 2, stdout + stderr);
    assert.match(lines[0]!, /Could not open a BLAS library \(\/nonexistent\/libopenblas\.so\.0/);
    assert.match(lines[0]!, /set SELFSUP_BLAS_LIBRARY/);
    assert.equal(lines[1], defaultBlasCandidates()[0]);
  },
});

Deno.test({
  name: "openBlas() leaves OPENBLAS_THREAD_TIMEOUT as it found it, set or unset",
  ignore: ignoreBlas,
  fn: async () => {
    const code =
      `openBlas().close(); console.log(Deno.env.get("OPENBLAS_THREAD_TIMEOUT") ?? "unset");`;
    const unset = await runWithOpenBlas(code, ["--allow-all"], {
      OPENBLAS_THREAD_TIMEOUT: undefined,
    });
    assert.equal(unset.stdout.trim(), "unset", unset.stderr);
    const set = await runWithOpenBlas(code, ["--allow-all"], { OPENBLAS_THREAD_TIMEOUT: "7" });
    assert.equal(set.stdout.trim(), "7", set.stderr);
  },
});
