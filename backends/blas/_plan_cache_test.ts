import assert from "node:assert/strict";
import { PlanCache } from "./_plan_cache.ts";

Deno.test("PlanCache keeps the most recently used plans and frees the others in reverse", () => {
  const freed: string[] = [];
  const cache = new PlanCache<string>(2, () => assert.fail("no plan fails here"));
  const make = (key: string) => (own: (release: () => void) => void) => {
    own(() => freed.push(`${key} first`));
    own(() => freed.push(`${key} second`));
    return key;
  };
  assert.equal(cache.get("a", make("a")), "a");
  assert.equal(cache.get("b", make("b")), "b");
  assert.equal(cache.get("a", () => assert.fail("a is cached")), "a"); // now b is the oldest
  assert.equal(cache.get("c", make("c")), "c");
  assert.deepEqual(freed, ["b second", "b first"]);
  assert.deepEqual(cache.counts, { plans: 2, failures: 0 });
  cache.clear();
  assert.deepEqual(freed, ["b second", "b first", "a second", "a first", "c second", "c first"]);
  assert.deepEqual(cache.counts, { plans: 0, failures: 0 });
});

Deno.test("PlanCache remembers a failure, frees what the failed maker made and reports it once", () => {
  const failures: string[] = [];
  const freed: string[] = [];
  const cache = new PlanCache<string>(4, (key, error) => failures.push(`${key}: ${error}`));
  const failing = (own: (release: () => void) => void): string => {
    own(() => freed.push("partial"));
    throw new Error("refused");
  };
  assert.equal(cache.get("bad", failing), undefined);
  assert.equal(cache.get("bad", () => assert.fail("a failure is not retried")), undefined);
  assert.deepEqual(failures, ["bad: Error: refused"]);
  assert.deepEqual(freed, ["partial"]);
  assert.deepEqual(cache.counts, { plans: 0, failures: 1 });
});
