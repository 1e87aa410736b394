/**
 * Vega-Lite specs rendered to SVG text in Deno, without a browser or canvas: the report's
 * charts are then plain markup, readable offline with no script.
 *
 * @module
 */
import * as vega from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

/**
 * Renders a Vega-Lite spec to an SVG string with Vega's headless view (`renderer: "none"`).
 * Element ids (clip paths, gradients) get `idPrefix` in front, so several charts inlined in one
 * page cannot point at each other's definitions. Text in the SVG is escaped by Vega.
 */
export async function vegaLiteSvg(spec: TopLevelSpec, idPrefix: string): Promise<string> {
  const view = new vega.View(vega.parse(compile(spec).spec), { renderer: "none" });
  try {
    const svg = await view.toSVG();
    return prefixIds(svg, idPrefix);
  } finally {
    view.finalize();
  }
}

function prefixIds(svg: string, prefix: string): string {
  return svg
    .replace(/\bid="([^"]+)"/g, (_, id) => `id="${prefix}${id}"`)
    .replace(/url\(#([^)]+)\)/g, (_, id) => `url(#${prefix}${id})`)
    .replace(/href="#([^"]+)"/g, (_, id) => `href="#${prefix}${id}"`);
}
