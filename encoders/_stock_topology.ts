// The encoders' strided convolutions are `PaddedConv2D` layers (class `SelfsupPaddedConv2D`):
// one convolution op with its padding, which trains faster than a ZeroPadding2D layer feeding
// a "valid" Conv2D. Plain tfjs does not know that class, so a saved model writes each one as
// those two stock layers (`<name>_pad` and `<name>`, the weights unchanged), and loading turns
// such a pair back into the one layer. Both work on the Keras JSON topology `model.save` gives.
import { PaddedConv2D } from "./_padded_conv2d.ts";

/** A layer entry of a Keras JSON topology. */
interface LayerJson {
  name: string;
  class_name: string;
  config: Record<string, unknown>;
  /** Functional models: per call of the layer, its inputs `[layer, node, tensor, kwargs]`. */
  inbound_nodes?: [string, number, number, unknown][][];
}

// Importing the class also registers it, so the merged layers load.
const PADDED = PaddedConv2D.className;

/** `topology` with every `SelfsupPaddedConv2D` written as ZeroPadding2D + Conv2D. */
export function toStockTopology(topology: object): object {
  return mapModels(topology, (layers, functional) => {
    const names = new Set(layers.map((layer) => layer.name));
    return layers.flatMap((layer) => {
      if (layer.class_name !== PADDED) return [layer];
      const { explicit_padding: padding, ...config } = layer.config;
      let padName = `${layer.name}_pad`;
      while (names.has(padName)) padName += "_";
      names.add(padName);
      const { batch_input_shape, ...convConfig } = config;
      const pad: LayerJson = {
        name: padName,
        class_name: "ZeroPadding2D",
        config: {
          padding: padding,
          data_format: "channels_last",
          name: padName,
          trainable: config.trainable ?? true,
          ...(batch_input_shape === undefined ? {} : { batch_input_shape }),
        },
      };
      const conv: LayerJson = {
        ...layer,
        class_name: "Conv2D",
        config: { ...convConfig, padding: "valid" },
      };
      if (functional) {
        pad.inbound_nodes = layer.inbound_nodes;
        conv.inbound_nodes = (layer.inbound_nodes ?? []).map((_, k) => [[padName, k, 0, {}]]);
      }
      return [pad, conv];
    });
  });
}

/**
 * `topology` with every ZeroPadding2D named `<conv>_pad` whose only reader is the "valid"
 * channels-last Conv2D `<conv>` (what {@linkcode toStockTopology} writes, and what the encoders
 * built before `PaddedConv2D`) merged into one `SelfsupPaddedConv2D`. Other layers are kept.
 */
export function fromStockTopology(topology: object): object {
  return mapModels(topology, (layers, functional, model) => {
    if (!functional) return layers;
    const ends = endsOf(model);
    const byName = new Map(layers.map((layer) => [layer.name, layer]));
    const readers = new Map<string, number>();
    for (const layer of layers) {
      for (const node of layer.inbound_nodes ?? []) {
        for (const [from] of node) readers.set(from, (readers.get(from) ?? 0) + 1);
      }
    }
    const merged = new Set<string>();
    const result: LayerJson[] = [];
    for (const layer of layers) {
      const pad = byName.get(`${layer.name}_pad`);
      const nodes = layer.inbound_nodes ?? [];
      const mergeable = pad !== undefined && layer.class_name === "Conv2D" &&
        layer.config.padding === "valid" && layer.config.data_format === "channels_last" &&
        pad.class_name === "ZeroPadding2D" && pad.config.data_format === "channels_last" &&
        !ends.has(pad.name) &&
        readers.get(pad.name) === nodes.length &&
        nodes.length === (pad.inbound_nodes ?? []).length &&
        nodes.every((node, k) => node.length === 1 && node[0][0] === pad.name && node[0][1] === k);
      if (!mergeable) {
        result.push(layer);
        continue;
      }
      merged.add(pad.name);
      result.push({
        ...layer,
        class_name: PADDED,
        config: { ...layer.config, explicit_padding: paddingPairs(pad.config.padding) },
        inbound_nodes: pad.inbound_nodes,
      });
    }
    return result.filter((layer) => !merged.has(layer.name));
  });
}

/** ZeroPadding2D's `padding` (n, [h, w] or [[top, bottom], [left, right]]) as pairs. */
function paddingPairs(padding: unknown): [[number, number], [number, number]] {
  if (typeof padding === "number") return [[padding, padding], [padding, padding]];
  const [h, w] = padding as (number | [number, number])[];
  const pair = (p: number | [number, number]): [number, number] =>
    typeof p === "number" ? [p, p] : [p[0], p[1]];
  return [pair(h!), pair(w!)];
}

/** The layer names a functional model declares as its inputs or outputs. */
function endsOf(model: Record<string, unknown>): Set<string> {
  const lists = [model.input_layers, model.output_layers] as [string, ...unknown[]][][];
  return new Set(lists.flatMap((list) => (list ?? []).map(([layer]) => layer)));
}

/**
 * A copy of `topology` with `rewrite` applied to the layer list of the model and of every
 * model nested in it (given the model's config too).
 */
function mapModels(
  topology: object,
  rewrite: (
    layers: LayerJson[],
    functional: boolean,
    model: Record<string, unknown>,
  ) => LayerJson[],
): object {
  const visit = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(visit);
    if (typeof value !== "object" || value === null) return value;
    const copy = Object.fromEntries(
      Object.entries(value).map(([key, child]) => [key, visit(child)]),
    ) as Record<string, unknown>;
    const config = copy.config as Record<string, unknown> | undefined;
    if (typeof copy.class_name !== "string" || !Array.isArray(config?.layers)) return copy;
    const layers = rewrite(config.layers as LayerJson[], copy.class_name !== "Sequential", config);
    return { ...copy, config: { ...config, layers } };
  };
  return visit(topology) as object;
}
