// Starts the backend named in Deno.args[0], with the JSON options in Deno.args[1] if given,
// and prints the result (or the error) as JSON; start_backend_test.ts runs it with chosen
// permissions and environment. No tf.enableProdMode(): the test checks that startBackend
// itself keeps tfjs's Node banner from printing.
import { type BackendName, startBackend, type StartBackendOptions } from "../start_backend.ts";

try {
  const options: StartBackendOptions = JSON.parse(Deno.args[1] ?? "{}");
  const started = await startBackend(Deno.args[0] as BackendName | "auto", options);
  console.log(JSON.stringify(started));
} catch (error) {
  console.log(JSON.stringify({ error: (error as Error).message }));
}
