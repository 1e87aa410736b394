import assert from "node:assert/strict";
import { defaultOneDnnCandidates, openOneDnn } from "./onednn.ts";
import { ignoreOneDnn, oneDnnMissing } from "./_test_util.ts";
import { skipNote } from "../_test_util.ts";

Deno.test({
  name: "openOneDnn() opens oneDNN and closes it again" + skipNote("oneDNN", oneDnnMissing),
  ignore: ignoreOneDnn,
  fn: () => {
    const dnnl = openOneDnn();
    assert.ok(dnnl.path.length > 0);
    dnnl.close();
  },
});

Deno.test("openOneDnn() names the library and what to install when it cannot open one", () => {
  assert.throws(() => openOneDnn({ libraryPath: "/nonexistent/libdnnl.so.2" }), {
    message: /^Could not open oneDNN \(\/nonexistent\/libdnnl\.so\.2: .*apt-get install libdnnl2/,
  });
});

Deno.test("defaultOneDnnCandidates() lists the 2.x library of each platform", () => {
  assert.deepEqual(defaultOneDnnCandidates("linux"), ["libdnnl.so.2"]);
  assert.deepEqual(defaultOneDnnCandidates("windows"), ["dnnl.dll"]);
});
