import assert from "node:assert/strict";
import { findTensorflowPackage, loadTensorflowBackend } from "./tensorflow_backend.ts";

Deno.test("findTensorflowPackage() finds tfjs-node in a node_modules above, GPU build first", () => {
  const root = Deno.makeTempDirSync();
  try {
    const deep = `${root}/a/b`;
    Deno.mkdirSync(deep, { recursive: true });
    assert.equal(findTensorflowPackage(deep), undefined);
    for (const name of ["tfjs-node", "tfjs-node-gpu"]) {
      Deno.mkdirSync(`${root}/node_modules/@tensorflow/${name}`, { recursive: true });
      Deno.writeTextFileSync(`${root}/node_modules/@tensorflow/${name}/package.json`, "{}");
      const want = `@tensorflow/${name}`;
      assert.equal(findTensorflowPackage(deep), want);
    }
  } finally {
    Deno.removeSync(root, { recursive: true });
  }
});

Deno.test("loadTensorflowBackend() without tfjs-node says how to install it and what CUDA", async () => {
  const empty = await Deno.makeTempDir();
  try {
    await assert.rejects(
      () => loadTensorflowBackend({ from: empty }),
      (error: Error) =>
        /no @tensorflow\/tfjs-node\(-gpu\) in node_modules/.test(error.message) &&
        /deno install/.test(error.message) && /CUDA 11\.2 and cuDNN 8\.1/.test(error.message) &&
        /libtensorflow 2\.9\.1/.test(error.message),
    );
  } finally {
    await Deno.remove(empty);
  }
});

Deno.test("loadTensorflowBackend() rejects options of the wrong type, naming them", async () => {
  await assert.rejects(() => loadTensorflowBackend({ from: 1 as unknown as string }), {
    name: "TypeError",
    message: "loadTensorflowBackend(): from must be a string, got 1",
  });
  await assert.rejects(() => loadTensorflowBackend(null as unknown as { from?: string }), {
    name: "TypeError",
    message: "loadTensorflowBackend(): options must be an object, got null",
  });
});

Deno.test("loadTensorflowBackend() turns a failing import into the install message", async () => {
  const missing = new URL("./testdata/no_such_module.js", import.meta.url).href;
  await assert.rejects(
    () => loadTensorflowBackend({ specifier: missing }),
    (error: Error) =>
      error.message.startsWith(`importing ${missing} failed`) && /CUDA 11\.2/.test(error.message),
  );
});
