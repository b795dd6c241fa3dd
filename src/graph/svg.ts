import { Graphviz } from "@hpcc-js/wasm-graphviz";

/**
 * SVG from DOT with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz), in this process:
 * `lab graph --format svg` works where no Graphviz is installed (a student's laptop, CI). The
 * package embeds its wasm as base64 in its one JavaScript file, so the esbuild bundle carries it
 * in a chunk of its own, with no file to ship beside it. That chunk is large (about 800 kB):
 * only `lab graph --format svg` imports this module (dynamically), never the CLI's start.
 *
 * Graphviz writes every label into the SVG escaped for XML ("<" as "&lt;"); toDot() quotes and
 * escapes whatever the topology holds for DOT, so no text of the lab becomes markup.
 */
let loading: Promise<Graphviz> | undefined;

/** The module, compiled once per process (most of the cost); a failed load is tried again next time. */
function graphviz(): Promise<Graphviz> {
  if (!loading) {
    loading = Graphviz.load();
    loading.catch(() => (loading = undefined));
  }
  return loading;
}

/** The SVG document (XML declaration, doctype, then <svg>...</svg>) of `dot`, laid out by Graphviz's "dot". */
export async function toSvg(dot: string): Promise<string> {
  return (await graphviz()).layout(dot, "svg", "dot");
}
