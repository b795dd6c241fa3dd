import { spawn, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/**
 * The handouts (`lab plan --format sh`) typed on fresh hosts, as a student would: one script
 * per host, run over SSH with no lab on the hosts. docker02's script starts first and waits,
 * polling, until docker01 has pushed the image to the lab registry; docker02 already has a
 * daemon.json of its own, which its script merges into. Then `lab check` proves the result.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED handout tests: ${skip}`);

describe.skipIf(!!skip)("handouts typed on fresh hosts (single-network)", () => {
  const name = "t-handout";
  const { dir, file } = sandboxLab("labs/single-network.yaml", name);
  const config = () => join(dir, ".lab", "sandbox", name, "ssh_config");
  const script = (host: string) => {
    const r = lab(dir, "plan", file, "--format", "sh", "--host", host, "--os", "debian");
    expect(r.code, r.stderr).toBe(0);
    return r.stdout;
  };
  const ssh = ["-o", "BatchMode=yes", "-o", "LogLevel=ERROR"];

  it("each host's script, run on its host, builds the lab: lab check passes", async () => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    sshRun(dir, name, "docker02", `printf '%s\\n' '{"log-level": "info"}' > /etc/docker/daemon.json`);
    const [docker01, docker02] = [script("docker01"), script("docker02")];

    // docker02 first: its pull must wait for docker01's push, by itself.
    const second = spawn("ssh", ["-F", config(), ...ssh, "docker02", "sh -s"], { stdio: ["pipe", "pipe", "pipe"] });
    let secondOut = "";
    second.stdout.on("data", (d: Buffer) => (secondOut += d.toString()));
    second.stderr.on("data", (d: Buffer) => (secondOut += d.toString()));
    second.stdin.end(docker02);
    const secondDone = new Promise<number | null>((resolve) => second.on("close", resolve));
    // docker01 starts only once docker02 says it is waiting: the wait is proven, not raced.
    for (let i = 0; i < 600 && !secondOut.includes("waiting for the registry host..."); i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(secondOut).toContain("waiting for the registry host...");

    const first = spawnSync("ssh", ["-F", config(), ...ssh, "docker01", "sh -s"], {
      input: docker01,
      encoding: "utf8",
      timeout: 300_000,
    });
    expect(first.status, first.stdout + first.stderr).toBe(0);
    expect(await secondDone, secondOut).toBe(0);

    // The merge kept docker02's own key and added the registry.
    const daemon = JSON.parse(sshRun(dir, name, "docker02", "cat /etc/docker/daemon.json")) as Record<string, unknown>;
    expect(daemon).toEqual({ "log-level": "info", "insecure-registries": ["192.168.1.11:5000"] });

    const check = lab(dir, "check", file, "--sandbox");
    expect(check.code, check.stdout + check.stderr).toBe(0);
  }, 600_000);
});
