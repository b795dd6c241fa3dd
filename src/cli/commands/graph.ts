import { writeFile } from "node:fs/promises";
import { Option, type Command } from "commander";
import { EXIT, type ExitCode } from "../exit-codes.js";

export function registerGraph(program: Command, setExit: (code: ExitCode) => void): void {
  program
    .command("graph")
    .description(
      "draw the lab: hosts, NICs, VLANs, Docker networks, containers, namespaces (Mermaid, Graphviz DOT or SVG)",
    )
    .argument("<file>", "lab file")
    .addOption(
      new Option("--format <format>", "Mermaid (Markdown renders it), Graphviz DOT, or SVG (drawn by lab itself)")
        .choices(["mermaid", "dot", "svg"])
        .default("mermaid"),
    )
    .option("-o, --out <file>", "write to this file instead of standard output")
    .addHelpText(
      "after",
      `
No host is contacted. Each host is a box holding its NIC (with its address), the VLAN
sub-interfaces on it, the Docker networks on their parents, and the containers and
namespaces on those; the NICs meet on the lab LAN. Dotted lines: the registry, and the
checks the lab declares explicitly (e.g. "bbox10 to bbox21: unreachable"). --format svg
draws with the Graphviz built into lab (WebAssembly): no system Graphviz needed.

Examples:
  lab graph labs/two-host-vlan.yaml > lab.mmd                 paste into Markdown as a mermaid block
  lab graph labs/two-host-vlan.yaml --format svg -o lab.svg   an image, with no Graphviz installed
  lab graph labs/two-host-vlan.yaml --format dot | dot -Tpng > lab.png`,
    )
    .action(async (file: string, opts: { format: "mermaid" | "dot" | "svg"; out?: string }) => {
      const { toDot, toMermaid } = await import("../../graph/render.js");
      const { labTopology } = await import("../../graph/topology.js");
      const { loadValidLab } = await import("../read-lab.js");
      const lab = await loadValidLab(file);
      if (!lab) return setExit(EXIT.labProblem);
      const topology = labTopology(lab);
      let text: string;
      if (opts.format === "svg") {
        // Loaded for SVG only: the WebAssembly Graphviz is most of the bundle's size.
        const { toSvg } = await import("../../graph/svg.js");
        text = await toSvg(toDot(topology));
      } else text = opts.format === "dot" ? toDot(topology) : toMermaid(topology);
      if (opts.out) await writeFile(opts.out, text);
      else process.stdout.write(text);
    });
}
