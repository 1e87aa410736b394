// The weights emaUpdate averages, checked: shared by emaUpdate and the learner, which checks
// its own target once at construction.
import * as tf from "@tensorflow/tfjs";
import { typeError } from "@selfsup/internal";

/**
 * Checks the two models and returns the pairs of variables that {@linkcode emaUpdate}
 * averages: `[target, online]` for each weight trainable in `online`.
 */
export function emaPairs(
  fn: string,
  target: unknown,
  online: unknown,
): [tf.Variable, tf.Variable][] {
  if (!(target instanceof tf.LayersModel)) {
    throw typeError(fn, "target", "a tf.LayersModel", target);
  }
  if (!(online instanceof tf.LayersModel)) {
    throw typeError(fn, "online", "a tf.LayersModel", online);
  }
  const targetWeights = target.weights;
  const onlineWeights = online.weights;
  const mismatch = onlineWeights.length !== targetWeights.length
    ? `${targetWeights.length} weights`
    : targetWeights.findIndex((t, i) => {
      const o = onlineWeights[i];
      return t.dtype !== o.dtype || t.trainable !== o.trainable ||
        t.shape.join() !== o.shape.join();
    });
  if (mismatch !== -1) {
    const at = typeof mismatch === "string"
      ? mismatch
      : `weight ${mismatch} (${describeWeight(onlineWeights[mismatch])}) where target has ` +
        describeWeight(targetWeights[mismatch]);
    throw new TypeError(
      `${fn}(): online must have the same weights as target (same architecture, in order, ` +
        `with the same trainable flags), got ${
          typeof mismatch === "string" ? `${onlineWeights.length} weights, target has ${at}` : at
        }`,
    );
  }
  const pairs: [tf.Variable, tf.Variable][] = [];
  targetWeights.forEach((t, i) => {
    const o = onlineWeights[i];
    const [tv, ov] = [t.read() as tf.Variable, o.read() as tf.Variable];
    if (tv === ov) {
      throw new TypeError(
        `${fn}(): target must be a separate copy of online (see copyModel), got a model that ` +
          `shares variable ${o.name} with online`,
      );
    }
    if (o.trainable) pairs.push([tv, ov]);
  });
  return pairs;
}

/**
 * `t <- momentum * t + (1 - momentum) * o` for each pair, in one tidy, without read-back;
 * momentum 1 does nothing and momentum 0 copies, so both ends are exact.
 */
export function averageInto(pairs: readonly [tf.Variable, tf.Variable][], momentum: number): void {
  if (momentum === 1) return;
  tf.tidy(() => {
    if (momentum === 0) {
      for (const [t, o] of pairs) t.assign(tf.clone(o));
      return;
    }
    const keep = tf.scalar(momentum);
    const take = tf.scalar(1 - momentum);
    for (const [t, o] of pairs) {
      // Inner tidy: each weight's two products are freed before the next weight's are made.
      tf.tidy(() => t.assign(tf.add(tf.mul(keep, t), tf.mul(take, o))));
    }
  });
}

function describeWeight(w: tf.LayerVariable): string {
  return `${w.originalName}: ${w.dtype} [${w.shape}]${w.trainable ? "" : ", not trainable"}`;
}
