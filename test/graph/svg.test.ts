import { describe, expect, it } from "vitest";
import { dotString, toDot } from "../../src/graph/render.js";
import { toSvg } from "../../src/graph/svg.js";
import { labTopology, type Topology } from "../../src/graph/topology.js";
import { validateFile } from "../../src/labfile/validate.js";

const ENTITIES: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decode = (text: string) =>
  text.replace(/&(#x[0-9a-f]+|#[0-9]+|[a-z]+);/gi, (_, e: string) =>
    e.startsWith("#x") || e.startsWith("#X")
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith("#")
        ? String.fromCodePoint(Number(e.slice(1)))
        : ENTITIES[e]!,
  );

/** Elements Graphviz's SVG holds for the shapes toDot() uses: anything else would be injected markup. */
const ELEMENTS = new Set(["svg", "g", "title", "text", "polygon", "polyline", "path", "ellipse"]);

/**
 * A small well-formedness check, enough for what Graphviz writes: the prolog, then elements
 * (known names, quoted attributes) that nest and close, text and attribute values holding no
 * "<" and only the five XML entities or numeric references, comments without "--", and no
 * character XML forbids. Returns the text of every <text> element, decoded, in order.
 */
function xmlTexts(svg: string): string[] {
  expect(svg).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udfff]/u);
  let rest = svg.replace(/^<\?xml [^?]*\?>\s*(<!DOCTYPE svg [^>]*>\s*)?/, "");
  const stack: string[] = [];
  const texts: string[] = [];
  const checkText = (text: string) => {
    expect(text).not.toContain("<");
    expect(text.replace(/&(?:lt|gt|amp|quot|apos|#[0-9]+|#x[0-9a-fA-F]+);/g, "")).not.toContain("&");
  };
  while (rest.length > 0) {
    const comment = /^<!--([\s\S]*?)-->/.exec(rest);
    const tag = /^<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+="[^"]*")*)\s*(\/?)>/.exec(rest);
    const text = /^[^<]+/.exec(rest);
    if (comment) {
      expect(comment[1]).not.toContain("--");
    } else if (tag) {
      const [, close, name, attrs, empty] = tag;
      expect(ELEMENTS, `element <${name}>`).toContain(name);
      for (const [, value] of attrs!.matchAll(/="([^"]*)"/g)) checkText(value!);
      if (close) expect(stack.pop()).toBe(name);
      else if (!empty) stack.push(name!);
    } else if (text) {
      checkText(text[0]);
      if (stack.at(-1) === "text") texts.push(decode(text[0]));
      else if (stack.length === 0) expect(text[0].trim()).toBe("");
    } else {
      throw new Error(`not XML at: ${rest.slice(0, 80)}`);
    }
    rest = rest.slice((comment ?? tag ?? text)![0].length);
  }
  expect(stack).toEqual([]);
  return texts;
}

describe("lab graph --format svg (Graphviz in WebAssembly)", () => {
  it("two-host-vlan: an SVG document holding every host, container and network of the lab", async () => {
    const lab = (await validateFile("labs/two-host-vlan.yaml")).lab!;
    const svg = await toSvg(toDot(labTopology(lab)));
    expect(svg).toMatch(/^(<\?xml|<svg)/);
    expect(svg.trimEnd()).toMatch(/<\/svg>$/);
    expect(svg).toMatch(/<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    const texts = xmlTexts(svg);
    const names = [
      ...lab.hosts.map((h) => h.name),
      ...lab.containers.map((c) => c.name),
      ...lab.networks.map((n) => n.name),
    ];
    expect(names).toEqual(
      expect.arrayContaining(["docker01", "docker02", "bbox10", "bbox21", "mac_net10", "mac_net20"]),
    );
    for (const name of names)
      expect(
        texts.some((t) => t.includes(name)),
        name,
      ).toBe(true);
    expect(texts).toContain("lab LAN");
  });

  it("whatever a topology holds stays text: no markup, no entity, no character XML forbids", async () => {
    const hostile = [
      "</text><script>alert(1)</script><text>",
      '" onload="alert(1)',
      "&lt;b&gt; &#60;i> &amp;",
      "]]> --> <!-- x",
      "\\N \\G \\l back\\",
      "<<TABLE>>",
    ];
    const odd = "a\ufffe b\uffff c\ud800 d\u0001 e\u{1f600}";
    const t: Topology = {
      title: hostile.join(" "),
      lan: { id: "lan", kind: "lan", lines: [hostile[0]!, hostile[1]!] },
      clusters: [
        {
          id: "h",
          label: hostile[2]!,
          nodes: [
            { id: "n", kind: "nic", lines: [hostile[3]!, hostile[4]!] },
            { id: "m", kind: "container", lines: [hostile[5]!, odd] },
          ],
        },
      ],
      edges: [
        { from: "n", to: "lan", label: hostile.join("\n"), style: "solid" },
        { from: "m", to: "n", style: "dotted" },
      ],
    };
    const svg = await toSvg(toDot(t));
    expect(svg).not.toMatch(/<script|<TABLE|onload="/i);
    const texts = xmlTexts(svg);
    // Each line is drawn as written, as text (an edge label's lines are one <text> each).
    for (const line of hostile) expect(texts.filter((x) => x === line).length, line).toBeGreaterThanOrEqual(1);
    expect(texts).toContain("a\ufffd b\ufffd c\ufffd d\ufffd e\u{1f600}");
  });

  it("dotString: what XML cannot hold becomes U+FFFD, a surrogate pair stays", () => {
    expect(dotString("a\ufffe\uffff\ud800x\udc00\u0007\t\u{1f600}")).toBe(
      '"a\ufffd\ufffd\ufffdx\ufffd\ufffd\t\u{1f600}"',
    );
  });

  it("loads Graphviz once: later drawings are quick", async () => {
    const dot = 'graph "g" { a -- b; }';
    await toSvg(dot);
    const start = performance.now();
    const svgs = await Promise.all([toSvg(dot), toSvg(dot)]);
    expect(performance.now() - start).toBeLessThan(1000);
    expect(svgs[0]).toBe(svgs[1]);
  });
});
