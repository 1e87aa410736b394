import assert from "node:assert/strict";
import { probeWebGpu } from "./webgpu_backend.ts";
import { webGpuForTests } from "./_test_util.ts";

Deno.test("probeWebGpu() describes the adapter and flags CPU drivers as software", async () => {
  const gpu = await webGpuForTests(); // probeWebGpu(), required under SELFSUP_REQUIRE_NATIVE=1
  assert.equal(typeof gpu.description, "string");
  assert.ok(gpu.description.length > 0);
  if (!gpu.available) assert.equal(gpu.software, false);
  if (/llvmpipe|lavapipe|swiftshader/i.test(gpu.description)) assert.equal(gpu.software, true);
});

Deno.test("probeWebGpu() reports a missing navigator.gpu instead of throwing", async () => {
  const saved = Object.getOwnPropertyDescriptor(Navigator.prototype, "gpu");
  Object.defineProperty(Navigator.prototype, "gpu", { value: undefined, configurable: true });
  try {
    const gpu = await probeWebGpu();
    assert.deepEqual([gpu.available, gpu.software], [false, false]);
    assert.match(gpu.description, /navigator\.gpu is missing/);
  } finally {
    if (saved) Object.defineProperty(Navigator.prototype, "gpu", saved);
    else delete (Navigator.prototype as { gpu?: unknown }).gpu;
  }
});
