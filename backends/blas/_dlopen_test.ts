import assert from "node:assert/strict";
import { candidatesFrom, withDefaultEnv } from "./_dlopen.ts";

const VARIABLE = "SELFSUP_DLOPEN_TEST_VARIABLE";

Deno.test("withDefaultEnv() sets an unset variable only while its function runs", () => {
  Deno.env.delete(VARIABLE);
  const seen = withDefaultEnv(VARIABLE, "4", () => Deno.env.get(VARIABLE));
  assert.equal(seen, "4");
  assert.equal(Deno.env.get(VARIABLE), undefined);
  assert.throws(() =>
    withDefaultEnv(VARIABLE, "4", () => {
      throw new Error("boom");
    }), /boom/);
  assert.equal(Deno.env.get(VARIABLE), undefined, "unset again after a throw");
});

Deno.test("withDefaultEnv() keeps a value the user set", () => {
  Deno.env.set(VARIABLE, "9");
  try {
    assert.equal(withDefaultEnv(VARIABLE, "4", () => Deno.env.get(VARIABLE)), "9");
    assert.equal(Deno.env.get(VARIABLE), "9");
  } finally {
    Deno.env.delete(VARIABLE);
  }
});

Deno.test("candidatesFrom() takes the explicit path, else the variable, else the defaults", () => {
  Deno.env.delete(VARIABLE);
  assert.deepEqual(candidatesFrom(undefined, VARIABLE, ["a", "b"]), ["a", "b"]);
  Deno.env.set(VARIABLE, "/x/lib.so");
  try {
    assert.deepEqual(candidatesFrom(undefined, VARIABLE, ["a", "b"]), ["/x/lib.so"]);
    assert.deepEqual(candidatesFrom("c", VARIABLE, ["a", "b"]), ["c"]);
    Deno.env.set(VARIABLE, "");
    assert.deepEqual(candidatesFrom(undefined, VARIABLE, ["a"]), ["a"], "empty means unset");
  } finally {
    Deno.env.delete(VARIABLE);
  }
});
