// Builds a layers model from a model.json topology without letting the topology make us
// allocate more than the weight files hold: a few hundred bytes of JSON can declare a layer of
// gigabytes, and tfjs allocates (and initialises) every weight as it builds the layers, before
// any weight is loaded.
import * as tf from "@tensorflow/tfjs";

/** The part of tfjs's Layer that creates weights. */
type AddWeight = (
  this: tf.layers.Layer,
  name: string,
  shape: number[],
  ...rest: unknown[]
) => tf.LayerVariable;

/**
 * `tf.models.modelFromJSON({ modelTopology })`, except that every weight a layer asks for is
 * checked before it is allocated: the weights together may hold at most `maxValues` values
 * (the count the weight manifest describes, itself checked against the files' sizes).
 * Stateful recurrent layers are refused outright: they allocate states sized by the batch the
 * topology declares, outside the weights.
 *
 * @param describe Names the file in messages.
 * @throws {Error} When the topology declares more values than `maxValues` or a stateful
 *   layer, before allocating anything for it; nothing built so far is left allocated.
 */
export async function modelFromTopology(
  topology: object,
  maxValues: number,
  describe: string,
): Promise<tf.LayersModel> {
  if (declaresStateful(topology)) {
    throw new Error(`${describe} declares a stateful layer, which this loader does not build`);
  }
  const proto = tf.layers.Layer.prototype as unknown as { addWeight: AddWeight };
  const addWeight = proto.addWeight;
  const created: tf.LayerVariable[] = [];
  let values = 0;
  proto.addWeight = function (name, shape, ...rest) {
    const size = Array.isArray(shape)
      ? shape.reduce((n: number, d) => (Number.isSafeInteger(d) && d >= 0 ? n * d : NaN), 1)
      : NaN;
    if (!(values + size <= maxValues)) {
      throw new Error(
        `${describe} declares weight ${this.name}/${name} of shape [${shape}], which takes the ` +
          `model past the ${maxValues} values its weight manifest holds`,
      );
    }
    values += size;
    const variable = addWeight.call(this, name, shape, ...rest);
    created.push(variable);
    return variable;
  };
  let pending: Promise<tf.LayersModel>;
  try {
    // modelFromJSON builds every layer synchronously, before it first awaits, so the check
    // above is in place for exactly this model's weights.
    pending = tf.models.modelFromJSON(
      { modelTopology: topology } as Parameters<typeof tf.models.modelFromJSON>[0],
    );
  } finally {
    proto.addWeight = addWeight;
  }
  try {
    return await pending;
  } catch (error) {
    for (const variable of created) variable.dispose();
    throw error;
  }
}

/** Whether any object inside `value` has `stateful: true` (iterative: JSON can nest deeply). */
function declaresStateful(value: unknown): boolean {
  const stack = [value];
  while (stack.length > 0) {
    const item = stack.pop();
    if (typeof item !== "object" || item === null) continue;
    if ((item as Record<string, unknown>)["stateful"] === true) return true;
    for (const child of Object.values(item)) stack.push(child);
  }
  return false;
}
