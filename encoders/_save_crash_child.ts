// Test helper of model_files_crash_test.ts (not published): saves a small ConvNet built with
// seed Deno.args[2] to the folder Deno.args[0] (replacing it when Deno.args[3] is
// "overwrite") and kills this process with SIGKILL just before the save step Deno.args[1]: a
// real crash, in which no catch or finally block runs and the OS closes the open files.
import * as tf from "@tensorflow/tfjs";
import { atomicFolderHooks } from "@selfsup/internal/atomic_folder";
import { saveModel } from "./model_files.ts";
import { smallConvNet } from "./small_conv_net.ts";

tf.enableProdMode();
const [dir, step, seed, mode] = Deno.args;
atomicFolderHooks.beforeStep = (current) => {
  if (current !== step) return;
  Deno.kill(Deno.pid, "SIGKILL");
  return new Promise<void>(() => {}); // never reached the next step, even for an instant
};
const model = smallConvNet({ inputShape: [6, 6, 1], filters: [8, 16], seed: Number(seed) });
await saveModel(model, dir, { overwrite: mode === "overwrite" });
