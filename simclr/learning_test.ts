// The learner learns: a few hundred SimCLR steps on 2,000 Fashion-MNIST training images make a
// small ResNet's features better for kNN classification of the test split than the same
// encoder untrained. On the blas backend (OpenBLAS through FFI); skipped, saying why, without it.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { warmupCosine } from "@selfsup/optim";
import { simclrLearner } from "@selfsup/simclr";
import {
  BATCH,
  blasMissing,
  knnAccuracy,
  learningSetup,
  mean,
  SEED,
  smallResNet,
  trainFor,
} from "../tests/_learning_fixture.ts";

tf.enableProdMode();

const missing = blasMissing("simclr learning test");
const STEPS = 300;
// The margin asserted, in accuracy points.
const KNN_MARGIN = 0.03;

Deno.test({
  name: "SimCLR training beats the untrained encoder at kNN on Fashion-MNIST (blas)",
  ignore: missing !== undefined,
  fn: async () => {
    const { train, test } = await learningSetup();
    const encoder = smallResNet();
    const untrained = await knnAccuracy(encoder, train, test);

    // The default LARS; a peak rate for a run of a few hundred steps (the paper's 0.3 x N/256
    // targets hundreds of epochs).
    const learner = simclrLearner({
      encoder,
      seed: SEED,
      learningRate: warmupCosine({ baseLr: 5, warmupSteps: STEPS / 10, totalSteps: STEPS }),
    });
    const results = await trainFor(train, STEPS, (batch) => learner.step(batch));
    const losses = results.map((r) => r.loss);
    const accuracies = results.map((r) => r.contrastiveAccuracy);
    const trained = await knnAccuracy(encoder, train, test);
    const [lossBefore, lossAfter] = [mean(losses.slice(0, 20)), mean(losses.slice(-20))];
    console.log(
      `simclr learning: ${STEPS} steps of ${BATCH} images; loss ${lossBefore.toFixed(3)} -> ` +
        `${lossAfter.toFixed(3)} (first / last 20 steps; log(2N - 1) = ` +
        `${Math.log(2 * BATCH - 1).toFixed(3)}); contrastive accuracy ` +
        `${mean(accuracies.slice(0, 20)).toFixed(3)} -> ${
          mean(accuracies.slice(-20)).toFixed(3)
        }; ` +
        `kNN (k = 20) test accuracy untrained ${untrained.toFixed(4)} -> trained ${
          trained.toFixed(4)
        }`,
    );
    assert.equal(losses.length, STEPS);
    assert.ok(losses.every(Number.isFinite), "a loss was not finite");
    assert.ok(lossAfter < lossBefore - 0.5, `loss ${lossBefore} -> ${lossAfter}`);
    assert.ok(
      trained >= untrained + KNN_MARGIN,
      `kNN ${untrained} -> ${trained}, wanted a gain of ${KNN_MARGIN}`,
    );
    learner.dispose();
    encoder.dispose();
    await tf.setBackend("cpu");
  },
});
