import type { GraphNode, NodeKind, Topology } from "./topology.js";

/**
 * Mermaid (renders in GitHub/GitLab Markdown and most wikis) and Graphviz DOT. Labels are
 * quoted and escaped; ids come from the topology and are already safe.
 */
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

// Mermaid's own entity codes: a quote would end the label, "<" and ">" would be read as HTML.
const mermaidText = (text: string) => text.replace(/"/g, "#quot;").replace(/</g, "#lt;").replace(/>/g, "#gt;");

function mermaidNode(node: GraphNode): string {
  const [open, close] = MERMAID_SHAPES[node.kind];
  const [name, ...details] = node.lines.map(mermaidText);
  return `${node.id}${open}"<b>${name}</b>${details.map((d) => `<br/>${d}`).join("")}"${close}`;
}

export function toMermaid(topology: Topology): string {
  const lines = [`---`, `title: ${topology.title}`, `---`, "flowchart BT", `  ${mermaidNode(topology.lan)}`];
  for (const cluster of topology.clusters) {
    lines.push(`  subgraph ${cluster.id}["${mermaidText(cluster.label)}"]`);
    for (const node of cluster.nodes) lines.push(`    ${mermaidNode(node)}`);
    lines.push("  end");
  }
  for (const edge of topology.edges) {
    const label = edge.label ? `|"${mermaidText(edge.label)}"|` : "";
    lines.push(`  ${edge.from} ${edge.style === "dotted" ? "-.-" : "---"}${label} ${edge.to}`);
  }
  return lines.join("\n") + "\n";
}

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

const dotText = (text: string) => text.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

export function toDot(topology: Topology): string {
  const node = (n: GraphNode, indent: string) => `${indent}${n.id} [label="${n.lines.map(dotText).join("\\n")}", ${DOT_SHAPES[n.kind]}];`;
  const lines = [
    `graph "${dotText(topology.title)}" {`,
    "  rankdir=BT;",
    '  fontname="Helvetica"; fontsize=11;',
    '  node [fontname="Helvetica", fontsize=10];',
    '  edge [fontname="Helvetica", fontsize=9];',
    node(topology.lan, "  "),
  ];
  for (const cluster of topology.clusters) {
    lines.push(`  subgraph cluster_${cluster.id} {`, `    label="${dotText(cluster.label)}";`);
    for (const n of cluster.nodes) lines.push(node(n, "    "));
    lines.push("  }");
  }
  for (const edge of topology.edges) {
    const attrs = [edge.label ? `label="${dotText(edge.label)}"` : "", edge.style === "dotted" ? "style=dotted" : ""].filter(Boolean);
    lines.push(`  ${edge.from} -- ${edge.to}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
  }
  lines.push("}");
  return lines.join("\n") + "\n";
}
