import { describe, expect, it } from "vitest";
import { emptyDockerState, type DockerState } from "../../src/apply/docker-state.js";
import { unmergeJson } from "../../src/apply/actions.js";
import { classExitCode } from "../../src/class/run.js";
import { fileContents, gradeSteps, gradingScript, missingText } from "../../src/class/grade.js";
import { differsBy, sameJson, shellVariables } from "../../src/class/same-meaning.js";
import { validateFile } from "../../src/labfile/validate.js";
import { buildPlan } from "../../src/plan/build-plan.js";
import type { Step } from "../../src/plan/types.js";
import { ALICE, BOB, MALLORY } from "./fixture.js";

const hex = (text: string) => Buffer.from(text, "utf8").toString("hex");

async function docker01Steps(): Promise<Step[]> {
  const lab = (await validateFile("labs/two-host-vlan.yaml")).lab!;
  const plan = buildPlan(lab, { docker01: { os: "rhel", detected: true }, docker02: { os: "rhel", detected: true } });
  return plan.hosts[0]!.steps.filter((s) => s.phase !== "verify");
}

/** The probe's answer for `steps`: every shell check passing, files as `contents` says. */
function probeOutput(steps: Step[], contents: (path: string, planned: string) => string | undefined): string {
  const lines = ["--state", "", "--checks"];
  steps.forEach((step, i) => {
    if (step.check && !step.docker) lines.push(`check ${i} 0`);
    step.actions.forEach((a, j) => {
      if (a.kind !== "write") return;
      lines.push(`file ${i} ${j} 0000`);
      const text = contents(a.path, a.content);
      lines.push(`content ${i} ${j} ${text === undefined ? "-" : hex(text)}`);
    });
  });
  lines.push("--end");
  return lines.join("\n") + "\n";
}

/** Docker as the two-host-vlan plan wants it on docker01, but for `without`. */
function dockerState(steps: Step[], without: { network?: string; stopped?: string } = {}): DockerState {
  const state = emptyDockerState();
  for (const s of steps) {
    const q = s.docker;
    if (!q) continue;
    if (q.kind === "insecure-registry") state.insecureRegistries.add(q.endpoint);
    if (q.kind === "registry-tag") state.registryTags.add(q.ref);
    if (q.kind === "image") state.images.push({ id: "sha256:1", refs: [q.ref] });
    const want = s.conflict?.expect ?? {};
    const words = (v: string | string[] | undefined) => (Array.isArray(v) ? v : v ? [v] : []);
    if (q.kind === "network" && q.name !== without.network)
      state.networks.set(q.name, {
        name: q.name,
        driver: String(want.driver ?? ""),
        options: { parent: String(want.parent ?? ""), macvlan_mode: String(want.mode ?? "") },
        internal: want.internal === "true",
        subnets: words(want.subnets),
        gateways: words(want.gateways),
        labels: {},
      });
    if (q.kind === "container-running")
      state.containers.set(q.name, {
        name: q.name,
        image: String(want.image ?? ""),
        imageId: "",
        running: q.name !== without.stopped,
        labels: {},
        networks: [{ name: words(want.networks).join(" "), ips: words(want.ips) }],
      });
  }
  return state;
}

describe("the grader reads a host's steps without changing it", () => {
  it("reads every file the plan writes, bounded, and takes no lock and makes no directory", async () => {
    const steps = await docker01Steps();
    const script = gradingScript(steps, "/var/lib/lab/x.json");
    expect(script).toContain("head -c 65537 /etc/sysconfig/network-scripts/ifcfg-ens33.10 | od -An -tx1 -v");
    expect(script).not.toMatch(/flock|mkdir|docker (?:run|network create|rm)/);
  });

  it("counts a hand-typed ifcfg file (keys reordered, quoted, commented) as in place", async () => {
    const steps = await docker01Steps();
    const handTyped = (path: string, planned: string) =>
      path.endsWith("ifcfg-ens33.10")
        ? `# typed by hand\n${planned
            .split("\n")
            .filter((l) => l && !l.startsWith("#"))
            .reverse()
            .map((l) => l.replace(/=(.*)$/, '="$1"'))
            .join("\n")}\n\n`
        : planned;
    const grade = gradeSteps("docker01", steps, probeOutput(steps, handTyped), dockerState(steps));
    expect(grade.missing).toEqual([]);
    expect(grade.inPlace).toBe(steps.length);
  });

  it("names what is missing or different: a file, a value in it, a network, a stopped container", async () => {
    const steps = await docker01Steps();
    const output = probeOutput(steps, (path, planned) =>
      path.endsWith("ifcfg-ens33.20") ? undefined : planned.replace("IPADDR=192.168.10.10", "IPADDR=192.168.10.99"),
    );
    const grade = gradeSteps(
      "docker01",
      steps,
      output,
      dockerState(steps, { network: "mac_net10", stopped: "bbox20" }),
    );
    expect(grade.missing.map((m) => m.what)).toEqual([
      'file /etc/sysconfig/network-scripts/ifcfg-ens33.10: IPADDR is "192.168.10.99", not "192.168.10.10"',
      "file /etc/sysconfig/network-scripts/ifcfg-ens33.20 missing",
      "network mac_net10 missing",
      "container bbox20 not running",
    ]);
    expect(grade.missing.every((m) => m.host === "docker01")).toBe(true);
    expect(grade.inPlace).toBe(steps.length - 4);
  });

  it("reads host output as data: a forged line for another step or a malformed one changes nothing", async () => {
    const steps = await docker01Steps();
    const output = probeOutput(steps, (_p, planned) => planned).replace(
      "--end",
      "content 0 0 zz\ncontent 999 0 41\ncontent 1 0 $(reboot)\n--end",
    );
    expect(fileContents(output).has("999 0")).toBe(true);
    expect(gradeSteps("docker01", steps, output, dockerState(steps)).missing).toEqual([]);
  });

  it("says a missing container apart from a stopped one", () => {
    const step = { docker: { kind: "container-running", name: "bbox1" }, title: "" } as unknown as Step;
    const empty = { containers: new Map() } as unknown as DockerState;
    expect(missingText(step, empty)).toBe("container bbox1 missing");
  });
});

describe("files compared by meaning", () => {
  it("ifcfg: order, quotes, comments and export do not count; a value does", () => {
    expect(shellVariables("# c\nexport A='1'\nB=\"x y\" # note\n\n")).toEqual(
      new Map([
        ["A", "1"],
        ["B", "x y"],
      ]),
    );
    const path = "/etc/sysconfig/network-scripts/ifcfg-ens33.10";
    expect(differsBy(path, "A=1\nB=2\n", "B='2'\nA=\"1\"\n")).toBeUndefined();
    expect(differsBy(path, "A=1\nB=2\n", "A=1\n")).toBe("no B");
    expect(differsBy(path, "A=1\n", "A=1\nC=3\n")).toBe("C is not in the plan");
  });

  it("ifupdown and modules-load.d: lines, whatever the spacing and comments; JSON as JSON", () => {
    const stanza = "auto ens33.30\niface ens33.30 inet static\n    address 192.168.30.21/24\n";
    expect(
      differsBy(
        "/etc/network/interfaces.d/ens33.30",
        stanza,
        "# mine\nauto  ens33.30\niface ens33.30 inet static\n\taddress 192.168.30.21/24\n",
      ),
    ).toBeUndefined();
    expect(differsBy("/etc/network/interfaces.d/ens33.30", stanza, "auto ens33.30\n")).toBe(
      'no line "iface ens33.30 inet static"',
    );
    expect(differsBy("/etc/modules-load.d/lab-x.conf", "8021q\n", "# x\nmacvlan\n8021q\n")).toBeUndefined();
    expect(differsBy("/etc/docker/daemon.json", '{"a":[1],"b":2}', '{ "b": 2, "a": [1] }')).toBeUndefined();
    expect(sameJson({ a: [1, 2] }, { a: [2, 1] })).toBe(false);
  });
});

describe("one student's daemon.json entry", () => {
  it("takes out only the lab's own registry; other labs' entries and other keys stay", () => {
    const both = { "insecure-registries": ["10.0.0.1:5000", "10.0.0.1:5001"], "log-level": "warn" };
    expect(unmergeJson(both, { "insecure-registries": ["10.0.0.1:5000"] })).toEqual({
      "insecure-registries": ["10.0.0.1:5001"],
      "log-level": "warn",
    });
    expect(unmergeJson({ "insecure-registries": ["a:1"] }, { "insecure-registries": ["a:1"] })).toEqual({});
  });
});

describe("the class's exit code", () => {
  it("0 all as expected, 1 any not as expected (even with one unreachable), 3 unreachable and none wrong", () => {
    expect(classExitCode([ALICE])).toBe(0);
    expect(classExitCode([ALICE, BOB, MALLORY])).toBe(1);
    expect(classExitCode([ALICE, MALLORY])).toBe(3);
  });
});

describe("a host that answers badly fails only its own student", () => {
  it("an incomplete probe, or Docker's API answering garbage, is a LabError naming the host", async () => {
    const { FakeTransport } = await import("../helpers/fake-transport.js");
    const { gradeHost } = await import("../../src/class/grade.js");
    const { LabError } = await import("../../src/errors.js");
    const lab = (await validateFile("labs/single-network.yaml")).lab!;
    const plan = buildPlan(lab, { docker01: { os: "rhel", detected: true }, docker02: { os: "rhel", detected: true } });
    const cut = new FakeTransport("docker02", () => ({ stdout: "--state\n" }));
    const e1 = await gradeHost(lab, plan, cut, 1000).catch((e: unknown) => e);
    expect(e1).toBeInstanceOf(LabError);
    expect((e1 as InstanceType<typeof LabError>).located).toMatch(/^docker02: grade: cannot read the host's state/);
    const garbage = new FakeTransport("docker02", () => ({ stdout: "--state\n\n--checks\n--end\n" })).docker(() => ({
      status: 500,
      body: "no",
    }));
    const e2 = await gradeHost(lab, plan, garbage, 1000).catch((e: unknown) => e);
    expect(e2).toBeInstanceOf(LabError);
    expect((e2 as InstanceType<typeof LabError>).located).toMatch(/^docker02: grade: cannot read Docker's state/);
  });

  it("reads one byte past 64 KiB: a longer file is not in place", async () => {
    const steps = await docker01Steps();
    const big = (path: string, planned: string) =>
      path.endsWith("ifcfg-ens33.10") ? planned + "#".repeat(70000) : planned;
    const grade = gradeSteps("docker01", steps, probeOutput(steps, big), dockerState(steps));
    expect(grade.missing.map((m) => m.what)).toEqual([
      "file /etc/sysconfig/network-scripts/ifcfg-ens33.10: longer than 65536 bytes, not what the plan writes",
    ]);
  });
});

describe("an unreachable student's hosts are named", () => {
  it("from the error's host, or from its lines (one per host that could not be reached)", async () => {
    const { unreachable } = await import("../../src/class/student-grades.js");
    const { LabError } = await import("../../src/errors.js");
    const member = { student: "Ada", file: "ada.yaml" };
    const many = new LabError("docker01: connection refused\ndocker02: timed out", "connect");
    expect(unreachable(member, many, ["docker01", "docker02"]).unreachable).toEqual([
      { host: "docker01", reason: "connection refused" },
      { host: "docker02", reason: "timed out" },
    ]);
    const one = new LabError("busy", "busy", "docker02");
    expect(unreachable(member, one, ["docker01", "docker02"]).unreachable).toEqual([
      { host: "docker02", reason: "busy" },
    ]);
  });
});
