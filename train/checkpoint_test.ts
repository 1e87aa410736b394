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

const list = (dir: string) => [...Deno.readDirSync(dir)].map((e) => e.name).sort();

Deno.test("after a crashed write, reading and recovery take the complete new checkpoint, or else the old one", async () => {
  // What a crash between moving the old checkpoint aside and renaming the new one in leaves:
  // the new one in its staging folder (never taken, however complete it looks), or marked
  // complete as .checkpoint.tmp-new.
  for (const staged of [".checkpoint.tmp-0123456789abcdef", ".checkpoint.tmp-new"]) {
    const dir = await Deno.makeTempDir();
    await writeCheckpoint(dir, { old: true });
    const other = join(dir, "other"); // the new checkpoint, written in another run folder
    await Deno.mkdir(other);
    await writeCheckpoint(other, state());
    await Deno.rename(join(other, "checkpoint"), join(dir, staged));
    await Deno.remove(other);
    await Deno.rename(join(dir, "checkpoint"), join(dir, ".checkpoint.tmp-old"));
    const isNew = staged === ".checkpoint.tmp-new";
    const want = isNew ? state() : { old: true };
    const before = list(dir);
    assert.deepEqual(await readCheckpoint(dir), want, staged);
    assert.deepEqual(list(dir), before, "reading changes nothing");
    assert.deepEqual(await recoverCheckpoint(dir), [isNew ? ".checkpoint.tmp-old" : staged]);
    assert.deepEqual(list(dir), ["checkpoint"]);
    assert.deepEqual(await readCheckpoint(dir), want, staged);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the next write recovers and removes what a crashed write left", async () => {
  const dir = await Deno.makeTempDir();
  await writeCheckpoint(dir, { old: true });
  await Deno.mkdir(join(dir, ".checkpoint.tmp-0123456789abcdef"));
  await Deno.rename(join(dir, "checkpoint"), join(dir, ".checkpoint.tmp-old"));
  await writeCheckpoint(dir, state());
  assert.deepEqual(list(dir), ["checkpoint"]);
  assert.deepEqual(await readCheckpoint(dir), state());
  await Deno.remove(dir, { recursive: true });
});
