import type { GraphNode, NodeKind, Topology } from "./topology.js";

/**
 * Mermaid (renders in GitHub/GitLab Markdown and most wikis) and Graphviz DOT. Everything taken
 * from the topology goes through the escaping functions below, whatever it holds: labels and
 * titles are quoted and escaped for the language; ids are kept to letters, digits and "_" (and
 * rewritten if need be). The lab grammar already keeps names plain; this does not rely on it.
 */

// ---- Mermaid ----

/** Characters a Mermaid label keeps as they are; everything else becomes an entity code. */
const MERMAID_PLAIN = /[A-Za-z0-9 .,:/_+=@*!?'~^()-]/;
const MERMAID_NAMED: Record<string, string> = { '"': "#quot;", "<": "#lt;", ">": "#gt;", "&": "#amp;" };

/**
 * Text inside a quoted Mermaid label: every other character as Mermaid's own numeric entity code
 * ("#35;" for "#"). So no quote ends the label, no "<" starts HTML, no backquote starts Markdown,
 * no "|", "]" or newline breaks the line, no "&" or "#" reads as an entity, no "$$" as math.
 */
export function mermaidText(text: string): string {
  let out = "";
  for (const ch of text) out += MERMAID_PLAIN.test(ch) ? ch : (MERMAID_NAMED[ch] ?? `#${ch.codePointAt(0)};`);
  return out;
}

/**
 * Ids for one diagram: letters, digits and "_", starting with a letter, never a word the language
 * reserves (those get a prefix); one per topology id and never the same for two. Ids that are
 * already so (the topology makes them so) stay as they are.
 */
function safeIds(reserved: RegExp): (id: string) => string {
  const taken = new Map<string, string>();
  const used = new Set<string>();
  return (id) => {
    const known = taken.get(id);
    if (known) return known;
    let base = id.replace(/[^A-Za-z0-9_]/g, "_");
    if (!/^[A-Za-z]/.test(base) || reserved.test(base)) base = `n_${base}`;
    let safe = base;
    for (let n = 2; used.has(safe); n++) safe = `${base}_${n}`;
    taken.set(id, safe);
    used.add(safe);
    return safe;
  };
}

/** Words Mermaid's flowchart lexer treats specially: an id starting with one gets a prefix. */
const MERMAID_KEYWORDS =
  /^(end|subgraph|graph|flowchart|style|linkstyle|classdef|class|click|call|href|default|interpolate|direction|acctitle|accdescr)/i;

/** The front-matter title: a YAML double-quoted string, printable ASCII only. */
function mermaidTitle(text: string): string {
  const escape = (ch: string) => {
    const code = ch.codePointAt(0)!;
    if (code >= 0x20 && code < 0x7f && ch !== '"' && ch !== "\\") return ch;
    return code > 0xffff ? `\\U${code.toString(16).padStart(8, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`;
  };
  return `"${[...text].map(escape).join("")}"`;
}

const MERMAID_SHAPES: Record<NodeKind, [string, string]> = {
  lan: ["{{", "}}"],
  nic: ["[", "]"],
  vlan: ["[", "]"],
  trunk: ["[/", "/]"],
  network: ["([", "])"],
  container: ["(", ")"],
  namespace: ["[[", "]]"],
  shim: ["[", "]"],
  registry: ["[(", ")]"],
};

export function toMermaid(topology: Topology): string {
  const id = safeIds(MERMAID_KEYWORDS);
  const node = (n: GraphNode) => {
    const [open, close] = MERMAID_SHAPES[n.kind];
    const [name = "", ...details] = n.lines.map(mermaidText);
    return `${id(n.id)}${open}"<b>${name}</b>${details.map((d) => `<br/>${d}`).join("")}"${close}`;
  };
  const lines = [`---`, `title: ${mermaidTitle(topology.title)}`, `---`, "flowchart BT", `  ${node(topology.lan)}`];
  for (const cluster of topology.clusters) {
    lines.push(`  subgraph ${id(cluster.id)}["${mermaidText(cluster.label)}"]`);
    for (const n of cluster.nodes) lines.push(`    ${node(n)}`);
    lines.push("  end");
  }
  for (const edge of topology.edges) {
    const label = edge.label ? `|"${mermaidText(edge.label)}"|` : "";
    lines.push(`  ${id(edge.from)} ${edge.style === "dotted" ? "-.-" : "---"}${label} ${id(edge.to)}`);
  }
  return lines.join("\n") + "\n";
}

// ---- Graphviz DOT ----

/**
 * Kept out of the SVG: DEL, and what XML cannot hold: C0 controls but tab and newline, U+FFFE,
 * U+FFFF, unpaired surrogates.
 */
const NOT_IN_SVG =
  /[\u0000-\u0008\u000b-\u001f\u007f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A DOT double-quoted string that Graphviz shows as `text`: "\" and '"' escaped, a line break as
 * DOT's "\n", "&" as "&amp;" (Graphviz reads entities in labels). What XML cannot hold, so
 * neither can the SVG Graphviz writes (other control characters, U+FFFE, U+FFFF, a UTF-16
 * surrogate without its pair), becomes U+FFFD: Graphviz would copy U+FFFE and U+FFFF as they are.
 */
export function dotString(text: string): string {
  const escaped = text
    .replace(/\\/g, "\\\\")
    .replace(/"/g, '\\"')
    .replace(/&/g, "&amp;")
    .replace(/\r\n|\r|\n/g, "\\n")
    .replace(NOT_IN_SVG, "\ufffd");
  return `"${escaped}"`;
}

/** DOT keywords (any case) cannot be bare ids. */
const DOT_KEYWORDS = /^(node|edge|graph|digraph|subgraph|strict)$/i;

const DOT_SHAPES: Record<NodeKind, string> = {
  lan: "shape=hexagon",
  nic: "shape=box",
  vlan: "shape=box",
  trunk: "shape=box, style=dashed",
  network: "shape=ellipse",
  container: "shape=box, style=rounded",
  namespace: "shape=box3d",
  shim: "shape=box",
  registry: "shape=cylinder",
};

export function toDot(topology: Topology): string {
  const id = safeIds(DOT_KEYWORDS);
  // Lines of a label joined by DOT's "\n" (dotString writes a newline inside a line the same way).
  const label = (lines: string[]) => `"${lines.map((l) => dotString(l).slice(1, -1)).join("\\n")}"`;
  const node = (n: GraphNode, indent: string) =>
    `${indent}${id(n.id)} [label=${label(n.lines)}, ${DOT_SHAPES[n.kind]}];`;
  const lines = [
    `graph ${dotString(topology.title)} {`,
    "  rankdir=BT;",
    '  fontname="Helvetica"; fontsize=11;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
    node(topology.lan, "  "),
  ];
  for (const cluster of topology.clusters) {
    // Graphviz draws a subgraph as a box when its name starts with "cluster".
    lines.push(`  subgraph cluster_${id(cluster.id)} {`, `    label=${dotString(cluster.label)};`);
    for (const n of cluster.nodes) lines.push(node(n, "    "));
    lines.push("  }");
  }
  for (const edge of topology.edges) {
    const attrs = [
      edge.label ? `label=${dotString(edge.label)}` : "",
      edge.style === "dotted" ? "style=dotted" : "",
    ].filter(Boolean);
    lines.push(`  ${id(edge.from)} -- ${id(edge.to)}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
