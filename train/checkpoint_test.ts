import assert from "node:assert/strict";
import { join } from "node:path";
import {
  CheckpointError,
  readCheckpoint,
  recoverCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";

const state = () => ({
  position: { stage: 1, step: 7, finished: [{ w: new Float32Array([1.5, -2, 3]) }] },
  state: { iter: new Int32Array([7]), bytes: new Uint8Array([1, 2, 3, 4, 5]), name: "x", n: null },
});

Deno.test("a checkpoint reads back what was written, typed arrays included", async () => {
  const dir = await Deno.makeTempDir();
  assert.equal(await readCheckpoint(dir), null);
  await writeCheckpoint(dir, { old: true });
  await writeCheckpoint(dir, state());
  assert.deepEqual(await readCheckpoint(dir), state());
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["checkpoint"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a damaged checkpoint is a CheckpointError", async () => {
  const dir = await Deno.makeTempDir();
  await writeCheckpoint(dir, state());
  const bin = join(dir, "checkpoint", "tensors.bin");
  const bytes = await Deno.readFile(bin);
  bytes[0] ^= 1;
  await Deno.writeFile(bin, bytes);
  await assert.rejects(readCheckpoint(dir), CheckpointError);
  await Deno.remove(bin);
  await assert.rejects(readCheckpoint(dir), /is damaged: tensors\.bin/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("recovery puts back a checkpoint moved aside by a crashed write and removes temporaries", async () => {
  const dir = await Deno.makeTempDir();
  await writeCheckpoint(dir, state());
  // A crash between moving the old checkpoint aside and renaming the new one into place.
  await Deno.rename(join(dir, "checkpoint"), join(dir, ".checkpoint.old-1-2"));
  await Deno.mkdir(join(dir, ".checkpoint.tmp-1-2"));
  assert.deepEqual(await readCheckpoint(dir), state());
  assert.deepEqual(await recoverCheckpoint(dir), [".checkpoint.tmp-1-2"]);
  assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name), ["checkpoint"]);
  assert.deepEqual(await readCheckpoint(dir), state());
  await Deno.remove(dir, { recursive: true });
});
