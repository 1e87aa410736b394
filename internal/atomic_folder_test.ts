import assert from "node:assert/strict";
import * as path from "node:path";
import fc from "fast-check";
import {
  atomicFolderHooks,
  currentFolder,
  type FolderFile,
  recoverFolder,
  writeFolder,
  type WriteStep,
  writeSteps,
} from "./atomic_folder.ts";

const encode = (text: string) => new TextEncoder().encode(text);
// Different names and sizes, so that any mix of the two folders shows.
const OLD: FolderFile[] = [
  { name: "a.bin", bytes: encode("old a ".repeat(4)) },
  { name: "b.json", bytes: encode('{"v":"old"}') },
];
const NEW: FolderFile[] = [
  { name: "a.bin", bytes: encode("new a, longer ".repeat(5)) }, // 70 bytes: halves of 35
  { name: "c.json", bytes: encode('{"v":"new"}') },
];
const record = (files: FolderFile[]) =>
  Object.fromEntries(files.map((f) => [f.name, f.bytes] as const).sort());

async function withTempDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "selfsup_atomic_folder_" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function withHook(
  hook: typeof atomicFolderHooks.beforeStep,
  fn: () => Promise<void>,
): Promise<void> {
  atomicFolderHooks.beforeStep = hook;
  try {
    await fn();
  } finally {
    atomicFolderHooks.beforeStep = () => {};
  }
}

async function list(dir: string): Promise<string[]> {
  return (await Array.fromAsync(Deno.readDir(dir))).map((e) => e.name).sort();
}

/** The files of a flat folder, by name. */
async function readFiles(dir: string): Promise<Record<string, Uint8Array>> {
  const files: [string, Uint8Array][] = [];
  for (const name of await list(dir)) files.push([name, await Deno.readFile(path.join(dir, name))]);
  return Object.fromEntries(files);
}

/** Every path below `dir` with its bytes (folders as null), parents first. */
type Tree = [string, Uint8Array | null][];

/** The {@linkcode Tree} of `dir`: for whole-tree comparisons and snapshots. */
async function tree(dir: string, prefix = ""): Promise<Tree> {
  const out: Tree = [];
  for (const name of await list(dir)) {
    const full = path.join(dir, name);
    if ((await Deno.lstat(full)).isDirectory) {
      out.push([prefix + name, null], ...await tree(full, `${prefix}${name}/`));
    } else {
      out.push([prefix + name, await Deno.readFile(full)]);
    }
  }
  return out;
}

/** Makes the folder `dir` hold `entries` (as {@linkcode tree} lists them: folders first). */
async function plant(dir: string, entries: Tree): Promise<void> {
  await Deno.mkdir(dir);
  for (const [relative, bytes] of entries) {
    const full = path.join(dir, relative);
    if (bytes === null) await Deno.mkdir(full);
    else await Deno.writeFile(full, bytes);
  }
}

for (const replace of [false, true]) {
  const steps = writeSteps(NEW.map((f) => f.name)).filter((s) =>
    replace || (s !== "move old aside" && s !== "remove old")
  );
  Deno.test(`writeFolder() ${replace ? "replacing a folder" : "to a new path"}: what a crash before each of its ${steps.length} steps leaves recovers to exactly the old or the new folder`, async () => {
    assert.equal(steps.length, replace ? 11 : 9);
    await withTempDir(async (root) => {
      const live = path.join(root, "live");
      const target = path.join(live, "m");
      await Deno.mkdir(live);
      if (replace) await writeFolder(target, OLD);
      // Leftovers of another target in the same folder, which recovering m must not touch.
      await Deno.mkdir(path.join(live, ".m2.tmp-old"));

      // The disk as a crash just before each step leaves it: the write waits while the
      // folder is read, then goes on.
      const seen: WriteStep[] = [];
      const crashes: Tree[] = [];
      await withHook(async (step, at) => {
        assert.equal(at, target);
        crashes.push(await tree(live));
        seen.push(step);
      }, () => writeFolder(target, NEW));
      assert.deepEqual(seen, steps);
      assert.deepEqual(await list(live), [".m2.tmp-old", "m"]);
      assert.deepEqual(await readFiles(target), record(NEW));

      for (const [i, step] of steps.entries()) {
        const dir = path.join(root, `crash${i}`);
        const m = path.join(dir, "m");
        await plant(dir, crashes[i]);
        const want = steps.indexOf(step) >= steps.indexOf("move new in")
          ? NEW
          : replace
          ? OLD
          : undefined;
        const crashed = crashes[i];
        const siblings = crashed.filter(([p]) => /^\.m\.tmp-[^/]*$/.test(p)).map(([p]) => p);
        if (step === "write a.bin (second half)") {
          // The case to guard against: a staging folder with half a file in it.
          assert.equal(siblings.length, 1, `${siblings}`);
          assert.equal((await Deno.stat(path.join(dir, siblings[0], "a.bin"))).size, 35);
        }

        // Reading finds the folder recovery will put in place, and changes nothing.
        const current = await currentFolder(m);
        if (want === undefined) assert.equal(current, null, step);
        else assert.deepEqual(await readFiles(current!), record(want), step);
        assert.deepEqual(await tree(dir), crashed, step);

        // Recovery without cleaning (a reader's): the target is complete, the rest stays.
        const reader = path.join(root, `reader${i}`);
        await plant(reader, crashed);
        const { restored, removed } = await recoverFolder(path.join(reader, "m"));
        assert.deepEqual(removed, []);
        if (want === undefined) assert.ok(!(await list(reader)).includes("m"), step);
        else assert.deepEqual(await readFiles(path.join(reader, "m")), record(want), step);
        const kept = siblings.filter((s) => s !== restored);
        assert.deepEqual(
          (await list(reader)).filter((n) => n.startsWith(".m.")),
          kept,
          step,
        );

        // Recovery with cleaning (a writer's): exactly the old or new folder, and nothing else
        // of m's.
        const cleaned = await recoverFolder(m, { clean: true });
        assert.equal(cleaned.restored, restored, step);
        const handled = [...cleaned.removed, ...(restored === null ? [] : [restored])];
        assert.deepEqual(handled.sort(), siblings, step);
        assert.deepEqual(
          await list(dir),
          want === undefined ? [".m2.tmp-old"] : [".m2.tmp-old", "m"],
        );
        if (want !== undefined) assert.deepEqual(await readFiles(m), record(want), step);
      }
    });
  });

  const failing = steps.slice(0, steps.indexOf("move new in") + 1);
  Deno.test(`writeFolder() ${replace ? "replacing a folder" : "to a new path"} leaves the target as it was when any of its ${failing.length} steps before the new folder is in place fails`, async () => {
    assert.equal(failing.length, replace ? 10 : 9);
    await withTempDir(async (parent) => {
      const target = path.join(parent, "m");
      if (replace) await writeFolder(target, OLD);
      const before = await tree(parent);
      for (const failed of failing) {
        await withHook((step) => {
          if (step === failed) throw new Error(`injected: ${step}`);
        }, async () => {
          await assert.rejects(writeFolder(target, NEW), { message: `injected: ${failed}` });
        });
        assert.deepEqual(await tree(parent), before, failed);
      }
    });
  });
}

Deno.test("writeFolder() writes exactly the files given, each time, and leaves nothing else", async () => {
  const file = fc.record({
    name: fc.constantFrom("a", "b.bin", "model.json", "x y"),
    bytes: fc.uint8Array({ maxLength: 64 }),
  });
  const folder = fc.uniqueArray(file, { selector: (f) => f.name, maxLength: 3 });
  await withTempDir(async (root) => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(folder, { minLength: 1, maxLength: 3 }), async (writes) => {
        const parent = path.join(root, `run${run++}`);
        await Deno.mkdir(parent);
        const target = path.join(parent, "out");
        for (const files of writes) {
          await writeFolder(target, files);
          assert.deepEqual(await readFiles(target), record(files));
          assert.deepEqual(await list(parent), ["out"]);
        }
      }),
      { numRuns: 30 },
    );
    assert.equal(run, 30);
  });
});

Deno.test("writeFolder() replaces a file, and keeps relative paths relative", async () => {
  await withTempDir(async (parent) => {
    const target = path.join(parent, "m");
    await Deno.writeTextFile(target, "a file");
    await writeFolder(target, OLD);
    assert.deepEqual(await readFiles(target), record(OLD));

    // No chdir: the working folder is the process's, shared with tests run in parallel.
    const relative = path.relative(Deno.cwd(), parent);
    assert.ok(!path.isAbsolute(relative));
    await Deno.rename(target, path.join(parent, ".m.tmp-new"));
    assert.equal(await currentFolder(`${relative}/m/`), path.join(relative, ".m.tmp-new"));
    let hooked = "";
    await withHook((_step, at) => void (hooked = at), () => writeFolder(`./${relative}/m/`, NEW));
    assert.equal(hooked, path.join(relative, "m"));
    assert.deepEqual(await readFiles(target), record(NEW));
    assert.equal(await currentFolder(`${relative}/m`), path.join(relative, "m"));
    assert.deepEqual(await list(parent), ["m"]);
  });
});

Deno.test("recoverFolder() touches only the protocol's siblings of its own target", async () => {
  await withTempDir(async (parent) => {
    // A name with regular-expression characters: "." must not match "X".
    const target = path.join(parent, "a.b+c");
    await writeFolder(path.join(parent, "old"), OLD);
    await Deno.rename(path.join(parent, "old"), path.join(parent, ".a.b+c.tmp-old"));
    const others = [".aXb+c.tmp-0123456789abcdef", ".a.b+c.tmp-other", ".a.b+c.tmp-0123", "b"];
    for (const name of [...others, ".a.b+c.tmp-0123456789abcdef"]) {
      await Deno.mkdir(path.join(parent, name));
    }
    assert.deepEqual(await recoverFolder(target, { clean: true }), {
      restored: ".a.b+c.tmp-old",
      removed: [".a.b+c.tmp-0123456789abcdef"],
    });
    assert.deepEqual(await list(parent), [...others, "a.b+c"].sort());
    assert.deepEqual(await readFiles(target), record(OLD));
    // Nothing left to do.
    assert.deepEqual(await recoverFolder(target, { clean: true }), { restored: null, removed: [] });
  });
});

Deno.test("writeFolder(), recoverFolder() and currentFolder() reject bad arguments in the house format, writing nothing", async () => {
  await withTempDir(async (parent) => {
    const target = path.join(parent, "m");
    const bytes = new Uint8Array(1);
    await assert.rejects(writeFolder("", []), {
      name: "TypeError",
      message: 'writeFolder(): target must be a non-empty string, got ""',
    });
    await assert.rejects(writeFolder(target, "a" as never), {
      name: "TypeError",
      message: 'writeFolder(): files must be an array, got "a"',
    });
    await assert.rejects(writeFolder(target, [{ name: "a", bytes: [1] as never }]), {
      name: "TypeError",
      message: "writeFolder(): files[0].bytes must be a Uint8Array, got [1]",
    });
    await assert.rejects(writeFolder(target, [{ name: "a", bytes }, { name: "b/c", bytes }]), {
      name: "RangeError",
      message: 'writeFolder(): files[1].name must be a plain file name (no folder part), got "b/c"',
    });
    await assert.rejects(writeFolder(target, [{ name: "a", bytes }, { name: "a", bytes }]), {
      name: "RangeError",
      message: 'writeFolder(): files[1].name must be a name not given before, got "a"',
    });
    await assert.rejects(recoverFolder(target, { clean: 1 as never }), {
      name: "TypeError",
      message: "recoverFolder(): options.clean must be a boolean, got 1",
    });
    await assert.rejects(currentFolder("."), {
      name: "RangeError",
      message: 'currentFolder(): target must be a path that names a folder, got "."',
    });
    await assert.rejects(writeFolder(path.join(parent, "no", "m"), []), Deno.errors.NotFound);
    assert.deepEqual(await list(parent), []);
  });
});
