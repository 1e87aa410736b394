import assert from "node:assert/strict";
import { registerWasmBackend } from "./wasm_backend.ts";

Deno.test("registerWasmBackend() rejects bad options, naming them, before loading anything", async () => {
  const cases: [unknown, string, string][] = [
    [
      { wasmPaths: "file:///tmp/dist" },
      "RangeError",
      'registerWasmBackend(): wasmPaths must be a folder URL ending in "/", got "file:///tmp/dist"',
    ],
    [
      { wasmPaths: 7 },
      "TypeError",
      "registerWasmBackend(): wasmPaths must be a folder URL string, got 7",
    ],
    [[], "TypeError", "registerWasmBackend(): options must be an object, got []"],
  ];
  for (const [options, name, message] of cases) {
    await assert.rejects(() => registerWasmBackend(options as { wasmPaths?: string }), {
      name,
      message,
    });
  }
  assert.equal(cases.length, 3);
});
