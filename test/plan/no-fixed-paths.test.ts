import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { undoActions } from "../../src/plan/undo.js";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { performAction } from "../../src/apply/actions.js";
import { buildPlan } from "../../src/plan/build-plan.js";
import type { Action, HostFacts, Plan, Step } from "../../src/plan/types.js";
import { validateFile } from "../../src/labfile/validate.js";
import { FakeTransport } from "../helpers/fake-transport.js";
import { pingScript } from "../../src/verify/run-probes.js";

/**
 * Hosts get no predictable paths: nothing the lab runs as root names a fixed file under /tmp
 * (any local user could have put a symlink there first). Files the lab copies to a host go
 * into a directory made by mktemp -d in the same remote command.
 */
const labFiles = [
  ...readdirSync("labs")
    .filter((f) => f.endsWith(".yaml"))
    .map((f) => join("labs", f)),
  ...readdirSync("test/fixtures/plan")
    .map((d) => join("test/fixtures/plan", d, "lab.yaml"))
    .filter((f) => existsSync(f)),
];

const families: HostFacts[] = [
  { os: "rhel", detected: true },
  { os: "debian", detected: true },
];

async function plansOf(file: string): Promise<Plan[]> {
  const result = await validateFile(file);
  expect(
    result.issues.filter((i) => i.severity === "error"),
    file,
  ).toEqual([]);
  const lab = result.lab!;
  return families.flatMap((facts) =>
    [false, true].map((allowDockerRestart) =>
      buildPlan(lab, Object.fromEntries(lab.hosts.map((h) => [h.name, facts])), { allowDockerRestart }),
    ),
  );
}

/** Every piece of shell or path a step holds: check, actions, undo, conflict command, probes. */
function shellOf(step: Step): string[] {
  const ofAction = (a: Action): string[] => {
    switch (a.kind) {
      case "run":
        return [a.command];
      case "write":
      case "merge-json":
      case "unmerge-json":
      case "restore":
        return [a.path];
      case "upload":
        return [a.to];
    }
  };
  return [
    step.check ?? "",
    ...step.actions.flatMap(ofAction),
    ...step.undo.flatMap(undoActions).flatMap(ofAction),
    ...(step.probes ?? []).map((p) => p.command),
  ];
}

describe("no fixed /tmp paths on hosts", () => {
  it("has labs to look at, one of them seeding an image from a tarball", async () => {
    expect(labFiles.length).toBeGreaterThan(8);
    const plans = (await Promise.all(labFiles.map(plansOf))).flat();
    expect(
      plans.some((p) => p.hosts.some((h) => h.steps.some((s) => s.actions.some((a) => a.kind === "upload")))),
    ).toBe(true);
  });

  it.each(labFiles)("%s: no command, check, undo or path in any plan names /tmp/", async (file) => {
    for (const plan of await plansOf(file)) {
      for (const host of plan.hosts) {
        for (const step of host.steps) {
          for (const text of shellOf(step)) expect(text, `${host.host} ${step.id}`).not.toMatch(/\/tmp\//);
        }
      }
    }
  });

  it("seeding from a tarball: one remote command copies it into a mktemp -d directory, loads it from there and removes it", async () => {
    const file = "test/fixtures/plan/everything/lab.yaml";
    const [plan] = await plansOf(file);
    const seeds = plan!.hosts.flatMap((h) => h.steps).filter((s) => s.phase === "seed");
    const uploads = seeds
      .flatMap((s) => s.actions)
      .filter((a): a is Extract<Action, { kind: "upload" }> => a.kind === "upload");
    expect(uploads).toEqual([{ kind: "upload", from: "./tools.tar", to: 'docker load -i "$upload"' }]);

    // What really goes to the host for it (with a file that exists next to the fixture in place of the tarball).
    const withFile = new FakeTransport("docker01");
    const dir = mkdtempSync(join(tmpdir(), "lab-seed-"));
    writeFileSync(join(dir, "manifest.json"), "[]\n");
    execFileSync("tar", ["-cf", join(dir, "tools.tar"), "-C", dir, "manifest.json"]);
    await performAction(
      { transport: withFile, lab: plan!.lab, labFile: join(dir, "lab.yaml"), timeoutMs: 1000 },
      uploads[0]!,
    );
    rmSync(dir, { recursive: true, force: true });
    expect(withFile.writes).toEqual([]);
    expect(withFile.commands).toHaveLength(1);
    const command = withFile.commands[0]!;
    expect(command).toContain("dir=$(mktemp -d)");
    expect(command).toContain(`trap 'rm -rf "$dir"' EXIT`);
    expect(command).toContain('upload="$dir/upload"');
    expect(command).toContain('docker load -i "$upload"');
    expect(command).not.toMatch(/\/tmp\//);
  });

  it.each(labFiles)(
    "%s: the ping script of lab check keeps each ping's stderr in a mktemp -d directory, never /tmp/",
    async (file) => {
      const [plan] = await plansOf(file);
      const result = await validateFile(file);
      for (const host of plan!.hosts) {
        const probes = host.steps.flatMap((s) => s.probes ?? []);
        if (probes.length === 0) continue;
        const script = pingScript(result.lab!, probes);
        expect(script).not.toMatch(/\/tmp\//);
        expect(script).toContain("errs=$(mktemp -d)");
      }
    },
  );
});
