import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { assumedFacts, buildPlan } from "../../src/plan/build-plan.js";
import { formatIssue } from "../../src/labfile/issues.js";
import { readLabSource } from "../../src/labfile/source.js";
import { validateText } from "../../src/labfile/validate.js";
import { LabError } from "../../src/errors.js";

/** What the fuzzer (fuzz.test.ts) found, each as its smallest input: a crash or a wrong answer, fixed. */

const lab = (extra = "", containers = "  c1: { host: h1, network: n1, ip: 172.16.10.10, image: busybox }\n") =>
  `name: lab
hosts:
  h1: { address: 192.168.1.11 }
networks:
  n1: { driver: macvlan, parent: ens33, subnets: [{ subnet: 172.16.10.0/24 }] }
containers:
${containers}${extra}`;

const messages = (text: string) => validateText("lab.yaml", text).issues.map(formatIssue);

describe("fuzz findings", () => {
  it("a container on a network named after an Object.prototype member: was a TypeError in the address rule", () => {
    const text = lab("", "  c1: { host: h1, network: constructor, ip: 172.16.10.10, image: busybox }\n");
    expect(messages(text)).toEqual(["lab.yaml:7:28: network 'constructor' is not defined"]);
  });

  it("a host shim on a network named toString: was a TypeError in the address rule", () => {
    const text = lab().replace(
      "h1: { address: 192.168.1.11 }",
      "h1: { address: 192.168.1.11, shim: { network: toString, address: 172.16.10.5 } }",
    );
    expect(messages(text)).toEqual(["lab.yaml:3:49: network 'toString' is not defined"]);
  });

  it("a check to 'constructor' says it is not defined, not that the container has no ip", () => {
    const text = lab("checks: { explicit: [{ from: c1, to: constructor, expect: reachable }] }\n");
    expect(messages(text)).toEqual(["lab.yaml:8:38: container, namespace or host 'constructor' is not defined"]);
  });

  it("a host named __proto__ was dropped without a word (and the lab was valid)", () => {
    const text = lab().replace(
      "  h1: { address: 192.168.1.11 }\n",
      "  h1: { address: 192.168.1.11 }\n  __proto__: { address: 192.168.1.12 }\n",
    );
    const result = validateText("lab.yaml", text);
    expect(result.ok).toBe(false);
    expect(result.issues.map(formatIssue)).toEqual([
      "lab.yaml:4:3: '__proto__' cannot be a key or a name in a lab file",
    ]);
  });

  it("an alias bomb: was yaml's ReferenceError out of the loader; now an error at the first alias", () => {
    const text =
      "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
    expect(messages(text)).toEqual([
      "lab.yaml:2:8: YAML: aliases expand to too many nodes (more than 100): write the values out, or use fewer nested aliases",
    ]);
  });

  it("a !!merge-tagged value: was a Symbol in the data, which structuredClone refused (DOMException)", () => {
    const text = lab().replace("driver: macvlan", "driver: !!merge macvlan, bogus: 1");
    const result = validateText("lab.yaml", text);
    expect(result.issues.map(formatIssue)).toContain(
      "lab.yaml:5:17: warning: YAML: Unresolved tag: tag:yaml.org,2002:merge; a lab file holds plain values, so the value is read as written",
    );
    expect(result.issues.map(formatIssue)).toContainEqual(
      expect.stringMatching(/^lab\.yaml:5:\d+: unknown key 'bogus'/),
    );
  });

  it("YAML 1.1 types (!!binary, !!set, timestamps) stay plain values, with a warning for each tag", () => {
    const text = `%YAML 1.1\n---\n${lab("description: !!binary aGVsbG8=\n")}`.replace(
      "name: lab",
      "name: !!timestamp 2001-12-14",
    );
    const result = validateText("lab.yaml", text);
    expect(result.issues.map(formatIssue)).toEqual([
      "lab.yaml:3:7: warning: YAML: Unresolved tag: tag:yaml.org,2002:timestamp; a lab file holds plain values, so the value is read as written",
      "lab.yaml:3:19: '2001-12-14': expected a lowercase name of at most 24 characters: letters, digits and '-', starting with a letter",
      "lab.yaml:10:14: warning: YAML: Unresolved tag: tag:yaml.org,2002:binary; a lab file holds plain values, so the value is read as written",
    ]);
  });

  it("a map where one of a few words goes: said '[object Object]'", () => {
    const text = lab().replace("driver: macvlan", "driver: { macvlan: 1 }");
    expect(messages(text)).toEqual(["lab.yaml:5:17: expected one of macvlan, ipvlan, got a map"]);
  });

  it("an image listed twice in registry.images: the plan had two steps with one id (seed:busybox)", () => {
    const text = lab("registry: { host: h1, images: [busybox, { ref: busybox }] }\n");
    expect(messages(text)).toEqual([
      "lab.yaml:8:41: image busybox is already in registry.images (entry 1); list each image once",
    ]);
    const ok = validateText("lab.yaml", lab("registry: { host: h1, images: [busybox, alpine] }\n"));
    expect(ok.ok).toBe(true);
    for (const os of ["rhel", "debian"] as const) {
      const ids = buildPlan(ok.lab!, assumedFacts(ok.lab!, os)).hosts.flatMap((h) => h.steps.map((s) => s.id));
      expect(new Set(ids).size).toBe(ids.length);
    }
  });

  it("a directory given as the lab file: was EISDIR out of the loader (an internal error); now a usage error", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-dir-"));
    try {
      const err = await readLabSource(dir).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabError);
      expect((err as LabError).exitCode).toBe(2);
      expect((err as LabError).message).toBe(`cannot read ${dir}: it is a directory, not a lab file`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('10 and "10" (or true and "true") as keys of one map: the data kept one entry, and the lab was valid', () => {
    const text = lab(
      'vlans:\n  10: { addresses: { h1: 192.168.10.1/24 } }\n  "10": { addresses: { h1: 192.168.20.1/24 } }\n',
    ).replace(
      "  h1: { address: 192.168.1.11 }\n",
      '  h1: { address: 192.168.1.11 }\n  true: { address: 192.168.1.12 }\n  "true": { address: 192.168.1.13 }\n',
    );
    expect(messages(text)).toEqual([
      "lab.yaml:5:3: the key 'true' is already in this map (line 4): YAML reads both as 'true', so one entry would be lost; a name may appear only once in a map",
      "lab.yaml:12:3: the key '10' is already in this map (line 11): YAML reads both as '10', so one entry would be lost; a name may appear only once in a map",
    ]);
  });

  it("nesting too deep for the YAML parser is an error at its place", () => {
    const text = `name: deep\nhosts: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`;
    const [first] = messages(text);
    expect(first).toMatch(/^lab\.yaml:2:\d+: YAML: nested too deeply to read \(Maximum call stack size exceeded\)$/);
  });
});
