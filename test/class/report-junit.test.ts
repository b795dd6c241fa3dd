import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { classJunit, xmlAttr, xmlText } from "../../src/class/report-junit.js";
import { ALICE, BOB, HOSTILE_NAME, MALLORY, named, report } from "./fixture.js";

interface Element {
  name: string;
  attrs: Record<string, string>;
  text: string;
  children: Element[];
}

const ENTITY = /&(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);/g;
const decode = (s: string) =>
  s.replace(ENTITY, (_, e: string) =>
    e.startsWith("#x")
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith("#")
        ? String.fromCodePoint(Number(e.slice(1)))
        : { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" }[e]!,
  );
/** Characters outside XML 1.0's Char production (lone surrogates included). */
const NOT_XML =
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/**
 * A small, strict XML 1.0 well-formedness check (what JUnit readers need): a declaration, one
 * root, balanced tags, quoted attributes with no "<" or raw "&", text with no "<" or raw "&",
 * only XML characters. Returns the tree, entities decoded. Throws where a parser would.
 */
function parseXml(doc: string): Element {
  if (NOT_XML.test(doc)) throw new Error("a character XML 1.0 forbids");
  const decl = `<?xml version="1.0" encoding="UTF-8"?>\n`;
  if (!doc.startsWith(decl)) throw new Error("no XML declaration");
  const safe = (s: string) => !/&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-fA-F]+);)/.test(s);
  const token = /<(\/?)([A-Za-z_][\w.-]*)((?:\s+[A-Za-z_][\w.-]*="[^"<]*")*)\s*(\/?)>|([^<]+)/y;
  const root: Element = { name: "#document", attrs: {}, text: "", children: [] };
  const stack = [root];
  token.lastIndex = decl.length;
  while (token.lastIndex < doc.length) {
    const at = token.lastIndex;
    const m = token.exec(doc);
    if (!m) throw new Error(`not well-formed at ${at}: ${JSON.stringify(doc.slice(at, at + 40))}`);
    const [, close, name, attrText, selfClose, text] = m;
    const top = stack.at(-1)!;
    if (text !== undefined) {
      if (!safe(text)) throw new Error(`a raw & in text at ${at}`);
      if (top === root && text.trim() !== "") throw new Error("text outside the root");
      top.text += decode(text);
    } else if (close) {
      if (top.name !== name) throw new Error(`</${name}> closes <${top.name}>`);
      stack.pop();
    } else {
      const attrs: Record<string, string> = {};
      for (const a of attrText!.matchAll(/([A-Za-z_][\w.-]*)="([^"]*)"/g)) {
        if (a[1]! in attrs) throw new Error(`attribute ${a[1]} twice`);
        if (!safe(a[2]!)) throw new Error(`a raw & in an attribute at ${at}`);
        attrs[a[1]!] = decode(a[2]!);
      }
      const el: Element = { name: name!, attrs, text: "", children: [] };
      if (top === root && root.children.length > 0) throw new Error("a second root element");
      top.children.push(el);
      if (!selfClose) stack.push(el);
    }
  }
  if (stack.length !== 1) throw new Error(`<${stack.at(-1)!.name}> is not closed`);
  return root.children[0]!;
}

const all = (el: Element, name: string): Element[] => [
  ...(el.name === name ? [el] : []),
  ...el.children.flatMap((c) => all(c, name)),
];

const NOT_XML_ALL = new RegExp(NOT_XML.source, "g");

describe("the test's XML check", () => {
  it("rejects what a parser would", () => {
    const decl = `<?xml version="1.0" encoding="UTF-8"?>\n`;
    expect(parseXml(`${decl}<a x="1&amp;2"><b/>t&lt;</a>`).attrs.x).toBe("1&2");
    for (const bad of [
      `<a>&</a>`,
      `<a><b></a>`,
      `<a x="<">`,
      `<a x=1/>`,
      `<a/><b/>`,
      `<a>\u0001</a>`,
      `<a>`,
      `<a>x</a>y`,
    ])
      expect(() => parseXml(decl + bad), bad).toThrow();
  });
});

describe("classJunit", () => {
  it("well-formed; one <testsuite> per student, named after the student", () => {
    const xml = classJunit(report());
    const root = parseXml(xml);
    expect(root.name).toBe("testsuites");
    const suites = root.children.filter((c) => c.name === "testsuite");
    expect(suites.map((s) => s.attrs.name)).toEqual(["alice", "bob", HOSTILE_NAME]);
    expect(xml.match(/<testsuite /g)).toHaveLength(3);
    expect(root.attrs).toMatchObject({ name: "lab class check: macvlan", tests: "14", failures: "5", errors: "1" });
  });

  it("a student as expected: steps in place, hosts reachable and every ping pass", () => {
    const suite = parseXml(classJunit(report([ALICE]))).children[0]!;
    const cases = all(suite, "testcase");
    expect(cases.map((c) => c.attrs.name)).toEqual([
      "steps in place",
      "hosts reachable",
      "bbox11 to bbox12 (10.0.10.12) expect reachable",
      "bbox12 to bbox11 (10.0.10.11) expect reachable",
      "bbox11 to bbox13 (10.0.20.13) expect unreachable",
      "bbox13 to bbox11 (10.0.10.11) expect unreachable",
    ]);
    expect(cases.slice(2).every((c) => c.attrs.classname === "alice.ping")).toBe(true);
    expect(cases.every((c) => c.children.length === 0)).toBe(true);
    expect(suite.attrs).toMatchObject({ tests: "6", failures: "0", errors: "0" });
    expect(all(suite, "property").map((p) => [p.attrs.name, p.attrs.value])).toEqual([
      ["status", "as expected"],
      ["file", "students/alice/lab.yaml"],
      ["lab", "macvlan-alice"],
    ]);
  });

  it("a student not as expected: the missing steps in one failure, a failure per wrong ping", () => {
    const suite = parseXml(classJunit(report([BOB]))).children[0]!;
    const cases = all(suite, "testcase");
    const steps = cases.find((c) => c.attrs.name === "steps in place")!;
    const failure = steps.children[0]!;
    expect(failure.name).toBe("failure");
    expect(failure.attrs.message).toBe(
      "7 of 9 steps in place: docker02: network mac_net10 missing; docker02: container bbox11 not running",
    );
    expect(failure.text.split("\n")).toEqual([
      "docker02: network mac_net10 missing",
      "docker02: container bbox11 not running",
    ]);
    const failed = cases.filter(
      (c) => c.attrs.classname === "bob.ping" && c.children.some((f) => f.name === "failure"),
    );
    expect(failed.map((c) => c.attrs.name)).toEqual([
      "bbox11 to bbox12 (10.0.10.12) expect reachable",
      "bbox12 to bbox11 (10.0.10.11) expect reachable",
      "bbox11 to bbox13 (10.0.20.13) expect unreachable",
    ]);
    expect(failed[0]!.children[0]!.attrs).toMatchObject({
      type: "could not run",
      message: "could not run: container bbox11 not running, expected reachable",
    });
    expect(failed[1]!.children[0]!.attrs.message).toBe("bbox11 (10.0.10.11) was unreachable, expected reachable");
    expect(suite.attrs).toMatchObject({ tests: "6", failures: "4", errors: "0" });
  });

  it("an unreachable student: an <error> naming the hosts and why", () => {
    const suite = parseXml(classJunit(report([MALLORY]))).children[0]!;
    const hosts = all(suite, "testcase").find((c) => c.attrs.name === "hosts reachable")!;
    expect(hosts.children[0]).toMatchObject({
      name: "error",
      attrs: { type: "unreachable", message: "docker02: connection refused" },
      text: "docker02: connection refused",
    });
    expect(suite.attrs).toMatchObject({ errors: "1" });
  });

  it("hostile names and host text: escaped, XML-invalid characters replaced, still well-formed", () => {
    const names = [
      `a"b'c<d>e&f`,
      "]]><!--",
      "nul\u0000bs\u0008vt\u000bff\u000c",
      "lone \ud800 surrogate \udc00",
      "emoji 🎓 ok",
      "&amp; literally",
      "new\nline\ttab",
    ];
    const students = names.map((n) => ({
      ...named(n),
      unreachable: [{ host: "docker02", reason: `<refused & "closed"> \u0001` }],
    }));
    const root = parseXml(classJunit(report(students)));
    const suites = all(root, "testsuite");
    expect(suites.map((s) => s.attrs.name)).toEqual([
      `a"b'c<d>e&f`,
      "]]><!--",
      "nul?bs?vt?ff?",
      "lone ? surrogate ?",
      "emoji 🎓 ok",
      "&amp; literally",
      "new\nline\ttab",
    ]);
    expect(all(root, "error")[0]!.attrs.message).toBe(`docker02: <refused & "closed"> ?`);
  });

  it("any name at all gives a well-formed file that names the student", () => {
    fc.assert(
      fc.property(fc.string({ unit: "binary", maxLength: 20 }), (name) => {
        const root = parseXml(classJunit(report([named(name)])));
        expect(all(root, "testsuite").map((s) => s.attrs.name)).toEqual([name.replace(NOT_XML_ALL, "?")]);
      }),
      { seed: 20_261_203, numRuns: 200 },
    );
  });

  it("xmlText and xmlAttr", () => {
    expect(xmlText(`<&>"'`)).toBe("&lt;&amp;&gt;&quot;&apos;");
    expect(xmlText("a\nb")).toBe("a\nb");
    expect(xmlAttr("a\nb\tc\rd")).toBe("a&#10;b&#9;c&#13;d");
  });
});
