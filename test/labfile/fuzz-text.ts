/** Fuzz inputs, part 3: YAML oddities (aliases, tags, styles), text edits, and pathological files. */
import fc from "fast-check";
import {
  Document,
  isCollection,
  isMap,
  isPair,
  isScalar,
  isSeq,
  Pair,
  Scalar,
  stringify,
  visit,
  type Node,
} from "yaml";
import { HOSTILE, UNICODE, clone, sampleTexts, samples, type Json } from "./fuzz-pools.js";
import { at, mutatedLab, mutatedTree, styles, value } from "./fuzz-trees.js";

const TAGS = [
  "tag:yaml.org,2002:str",
  "tag:yaml.org,2002:int",
  "tag:yaml.org,2002:float",
  "tag:yaml.org,2002:bool",
  "tag:yaml.org,2002:null",
  "tag:yaml.org,2002:map",
  "tag:yaml.org,2002:seq",
  "tag:yaml.org,2002:binary",
  "tag:yaml.org,2002:set",
  "tag:yaml.org,2002:omap",
  "tag:yaml.org,2002:pairs",
  "tag:yaml.org,2002:timestamp",
  "tag:yaml.org,2002:merge",
  "!custom",
  "!",
  "!!",
];

type Oddity =
  | { kind: "alias"; anchor: number; target: number; asKey: boolean }
  | { kind: "tag"; at: number; tag: string }
  | { kind: "style"; at: number; type: Scalar.Type; flow: boolean }
  | { kind: "complexKey"; at: number; key: Json }
  | { kind: "merge"; at: number; anchor: number }
  | { kind: "comment"; at: number; text: string }
  | { kind: "twinKey"; at: number };

const oddity: fc.Arbitrary<Oddity> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant("alias" as const), anchor: at, target: at, asKey: fc.boolean() }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("tag" as const), at, tag: fc.constantFrom(...TAGS) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("style" as const),
      at,
      type: fc.constantFrom("PLAIN", "QUOTE_DOUBLE", "QUOTE_SINGLE", "BLOCK_LITERAL", "BLOCK_FOLDED"),
      flow: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("complexKey" as const), at, key: value }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("merge" as const), at, anchor: at }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("comment" as const),
      at,
      text: fc.constantFrom(...UNICODE, ...HOSTILE.slice(0, 20)),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant("twinKey" as const), at }) },
);

interface Place {
  node: Node;
  /** Put another node here. */
  replace: (n: Node) => void;
  pair?: Pair;
}

function placesOf(doc: Document): Place[] {
  const out: Place[] = [];
  visit(doc, {
    Pair: (_, pair) => {
      if (isPair(pair) && pair.value && (isScalar(pair.value) || isCollection(pair.value))) {
        out.push({ node: pair.value, replace: (n) => (pair.value = n), pair: pair });
      }
    },
    Seq: (_, seq) => {
      seq.items.forEach((item, i) => {
        if (isScalar(item) || isCollection(item)) out.push({ node: item, replace: (n) => (seq.items[i] = n) });
      });
    },
  });
  return out;
}

function applyOddity(doc: Document, o: Oddity, n: number): void {
  const places = placesOf(doc);
  if (places.length === 0) return;
  const pick = (i: number) => places[i % places.length]!;
  switch (o.kind) {
    case "alias": {
      const anchored = pick(o.anchor);
      const alias = doc.createAlias(anchored.node as Scalar, `a${n}`);
      const target = pick(o.target);
      if (o.asKey && target.pair) target.pair.key = alias;
      else target.replace(alias);
      break;
    }
    case "tag":
      pick(o.at).node.tag = o.tag;
      break;
    case "style": {
      const node = pick(o.at).node;
      if (isScalar(node)) node.type = o.type;
      else if (isMap(node) || isSeq(node)) node.flow = o.flow;
      break;
    }
    case "complexKey": {
      const place = pick(o.at);
      if (place.pair) place.pair.key = doc.createNode(o.key);
      break;
    }
    case "merge": {
      const maps = places.filter((p) => isMap(p.node));
      if (maps.length === 0) return;
      const target = maps[o.at % maps.length]!.node as { items: Pair[] };
      const source = maps[o.anchor % maps.length]!.node;
      target.items.push(new Pair(new Scalar("<<"), doc.createAlias(source as Scalar, `m${n}`)));
      break;
    }
    case "comment":
      pick(o.at).node.commentBefore = o.text;
      break;
    case "twinKey": {
      // The same key once more, written as another type: 10 and "10", true and "true", ~ and "".
      const typed = places.filter(
        (p) =>
          isScalar(p.pair?.key) &&
          /^(\d+|true|false|)$/.test(String(p.pair.key.value as string | number | boolean | null)),
      );
      const place = typed.length > 0 ? typed[o.at % typed.length]! : pick(o.at);
      const key = place.pair?.key;
      if (!isScalar(key)) return;
      const text = String((key.value as string | number | boolean | null) ?? "");
      const twin = /^\d+$/.test(text)
        ? new Scalar(Number(text))
        : text === "true" || text === "false"
          ? new Scalar(text === "true")
          : text === ""
            ? new Scalar(null)
            : new Scalar(text);
      if (typeof twin.value === "string") twin.type = "QUOTE_DOUBLE";
      const map = [doc.contents, ...places.map((p) => p.node)].find((n) => isMap(n) && n.items.includes(place.pair!));
      if (isMap(map)) map.items.push(new Pair(twin, place.node));
      break;
    }
  }
}

export const oddLab = fc
  .record({
    tree: mutatedTree,
    style: styles,
    oddities: fc.array(oddity, { minLength: 1, maxLength: 4 }),
    yaml11: fc.boolean(),
    explicitStart: fc.boolean(),
  })
  .map(({ tree, style, oddities, yaml11, explicitStart }) => {
    const doc = new Document(tree, { aliasDuplicateObjects: false });
    oddities.forEach((o, i) => applyOddity(doc, o, i));
    let out: string;
    try {
      out = doc.toString(style);
    } catch {
      // Some combinations cannot be printed (an alias before its anchor): print the tree as it was.
      out = stringify(tree, style);
    }
    // YAML 1.1 reads yes/no/on/off as booleans, 010 as octal, 1:20 as base 60, dates as timestamps.
    if (yaml11) return `%YAML 1.1\n---\n${out}`;
    return explicitStart ? `---\n${out}...\n` : out;
  });

// ---------------------------------------------------------------------------------------
// Raw text mutations
// ---------------------------------------------------------------------------------------

const TOKENS = [
  "\n",
  "\r\n",
  "\r",
  "\t",
  " ",
  "  ",
  ":",
  ": ",
  "- ",
  "-",
  "?",
  "? ",
  ",",
  "[",
  "]",
  "{",
  "}",
  "'",
  '"',
  "#",
  "&a ",
  "*a",
  "&a",
  "*b",
  "!!str ",
  "!!binary ",
  "!!set ",
  "!!map ",
  "!!seq ",
  "!custom ",
  "!<tag:x> ",
  "|",
  ">",
  "|-",
  ">+",
  "%YAML 1.1\n---\n",
  "---\n",
  "...\n",
  "--- |\n",
  "<<: ",
  "\ufeff",
  "\u0000",
  "\u2028",
  "\u0085",
  "\\",
  "\\x00",
  "@",
  "`",
  "%",
  "0x",
  "-1",
  "1e400",
  ".nan",
  "~",
  "null",
  "__proto__: ",
  "hosts: ",
  "name: ",
  "address: ",
  "networks: {}\n",
  "containers: []\n",
];

type Edit =
  | { kind: "insert"; at: number; token: string }
  | { kind: "delete"; at: number; length: number }
  | { kind: "char"; at: number; char: string }
  | { kind: "dupLine"; line: number }
  | { kind: "dropLine"; line: number }
  | { kind: "swapLines"; line: number; with: number }
  | { kind: "indent"; line: number; by: number; tab: boolean }
  | { kind: "truncate"; at: number }
  | { kind: "crlf" }
  | { kind: "bom" };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("insert" as const),
      at,
      token: fc.oneof(
        fc.constantFrom(...TOKENS),
        fc.constantFrom(...UNICODE),
        fc.string({ unit: "binary", maxLength: 8 }),
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant("delete" as const), at, length: fc.integer({ min: 1, max: 30 }) }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("char" as const),
      at,
      char: fc.string({ unit: "binary-ascii", minLength: 1, maxLength: 1 }),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant("dupLine" as const), line: at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("dropLine" as const), line: at }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("swapLines" as const), line: at, with: at }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("indent" as const),
      line: at,
      by: fc.integer({ min: -4, max: 4 }),
      tab: fc.boolean(),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("truncate" as const), at }) },
  { weight: 1, arbitrary: fc.constant({ kind: "crlf" as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: "bom" as const }) },
);

function applyEdit(text: string, e: Edit): string {
  const lines = text.split("\n");
  const line = (i: number) => i % lines.length;
  switch (e.kind) {
    case "insert": {
      const i = e.at % (text.length + 1);
      return text.slice(0, i) + e.token + text.slice(i);
    }
    case "delete": {
      const i = e.at % (text.length + 1);
      return text.slice(0, i) + text.slice(i + e.length);
    }
    case "char": {
      const i = e.at % (text.length + 1);
      return text.slice(0, i) + e.char + text.slice(i + 1);
    }
    case "dupLine": {
      // Duplicate keys, duplicate list items.
      const i = line(e.line);
      lines.splice(i, 0, lines[i]!);
      return lines.join("\n");
    }
    case "dropLine":
      lines.splice(line(e.line), 1);
      return lines.join("\n");
    case "swapLines": {
      const [i, j] = [line(e.line), line(e.with)];
      [lines[i], lines[j]] = [lines[j]!, lines[i]!];
      return lines.join("\n");
    }
    case "indent": {
      const i = line(e.line);
      const l = lines[i]!;
      lines[i] = e.by >= 0 ? (e.tab ? "\t" : " ").repeat(e.by) + l : l.replace(new RegExp(`^ {0,${-e.by}}`), "");
      return lines.join("\n");
    }
    case "truncate":
      return text.slice(0, e.at % (text.length + 1));
    case "crlf":
      return text.replace(/\n/g, "\r\n");
    case "bom":
      return "\ufeff" + text;
  }
}

export const editedText = fc
  .record({
    base: fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...sampleTexts) }, { weight: 1, arbitrary: mutatedLab }),
    edits: fc.array(edit, { minLength: 1, maxLength: 5 }),
  })
  .map(({ base, edits }) => edits.reduce(applyEdit, base));

// ---------------------------------------------------------------------------------------
// Pathological inputs
// ---------------------------------------------------------------------------------------

/** "a: &a0 [x, x]\nb: &a1 [*a0, *a0]..." — w^depth nodes from a few lines. */
const aliasBomb = fc
  .record({
    width: fc.integer({ min: 2, max: 9 }),
    depth: fc.integer({ min: 1, max: 8 }),
    where: fc.constantFrom("top", "hosts", "description"),
  })
  .map(({ width, depth, where }) => {
    const lines = [`l0: &a0 [${Array(width).fill("x").join(", ")}]`];
    for (let i = 1; i <= depth; i++)
      lines.push(
        `l${i}: &a${i} [${Array(width)
          .fill(`*a${i - 1}`)
          .join(", ")}]`,
      );
    if (where === "top") return lines.join("\n") + "\n";
    const body = lines.map((l) => `  ${l}`).join("\n");
    return `name: bomb\n${where}:\n${body}\n${where === "description" ? "hosts: { h: { address: 10.0.0.1 } }\n" : ""}`;
  });

const deepNesting = fc
  .record({
    depth: fc.integer({ min: 50, max: 3_000 }),
    kind: fc.constantFrom("flowSeq", "flowMap", "blockSeq", "blockMap", "unclosed"),
    where: fc.constantFrom("hosts", "address", "top"),
  })
  .map(({ depth, kind, where }) => {
    let nested: string;
    if (kind === "flowSeq") nested = "[".repeat(depth) + "]".repeat(depth);
    else if (kind === "flowMap") nested = "{a: ".repeat(depth) + "1" + "}".repeat(depth);
    else if (kind === "unclosed") nested = "[{".repeat(depth);
    else {
      const step = kind === "blockSeq" ? "- " : "k: ";
      nested = "\n" + Array.from({ length: Math.min(depth, 400) }, (_, i) => " ".repeat(i + 1) + step).join("\n") + "x";
    }
    if (where === "top") return nested + "\n";
    if (where === "hosts") return `name: deep\nhosts: ${nested}\n`;
    return `name: deep\nhosts:\n  h1:\n    address: ${nested}\n`;
  });

/** Many entries: the rules compare every address with every other one. */
const manyEntries = fc
  .record({ n: fc.integer({ min: 1, max: 60 }), clash: fc.boolean(), lab: fc.nat({ max: samples.length - 1 }) })
  .map(({ n, clash, lab }) => {
    const tree = clone(samples[lab]!) as { [key: string]: Json };
    const hosts = Object.keys((tree.hosts as object) ?? {});
    const networks = Object.entries((tree.networks as Record<string, { subnets?: { subnet?: string }[] }>) ?? {});
    const containers: { [key: string]: Json } = {};
    for (let i = 0; i < n; i++) {
      const [net, spec] = networks[i % Math.max(1, networks.length)] ?? ["none", {}];
      const base = String(spec.subnets?.[0]?.subnet ?? "10.0.0.0/16")
        .split("/")[0]!
        .split(".")
        .slice(0, 3)
        .join(".");
      containers[`c${i}`] = {
        host: hosts[i % hosts.length] ?? "h",
        network: net,
        ip: `${base}.${clash ? 10 + (i % 3) : 10 + (i % 240)}`,
        image: "busybox:latest",
      };
    }
    tree.containers = containers;
    return stringify(tree);
  });

const longLines = fc
  .record({
    length: fc.integer({ min: 1_000, max: 200_000 }),
    where: fc.constantFrom("key", "value", "name", "comment"),
  })
  .map(({ length, where }) => {
    const long = "a".repeat(length);
    if (where === "key") return `name: long\nhosts:\n  ${long}: { address: 10.0.0.1 }\n`;
    if (where === "value") return `name: long\nhosts:\n  h1: { address: ${long} }\n`;
    if (where === "name")
      return `name: ${long}\nhosts:\n  h1: { address: 10.0.0.1 }\n  ${long.slice(0, 40)}: { address: 10.0.0.1 }\n`;
    return `# ${long}\nname: long\nhosts:\n  h1: { address: 10.0.0.1 }\n`;
  });

export const pathological = fc.oneof(
  aliasBomb,
  deepNesting,
  manyEntries,
  longLines,
  fc.constant(""),
  fc.constant("---\n---\n"),
  fc.constant("&a [*a]"),
  fc.constant("name: x\nhosts: &h { h1: *h }\n"),
);
