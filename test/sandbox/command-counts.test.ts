import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab } from "../helpers/real-hosts.js";

/**
 * Each host's docker CLI replaced, in that host's own mount namespace only, by one that logs
 * its arguments and runs the real one: how many docker processes lab starts there.
 */
const WRAP = [
  "set -e",
  "real=$(command -v docker)",
  "mkdir -p /run/lab-test-docker",
  'touch /run/lab-test-docker/real && mount --bind "$real" /run/lab-test-docker/real',
  `printf '#!/bin/sh\\necho "$*" >> /run/lab-test-docker/calls\\nexec /run/lab-test-docker/real "$@"\\n' > /run/lab-test-docker/wrapper`,
  "chmod 755 /run/lab-test-docker/wrapper",
  'mount --bind /run/lab-test-docker/wrapper "$real"',
  ": > /run/lab-test-docker/calls",
].join("\n");
const UNWRAP =
  'real=$(command -v docker); umount "$real"; umount /run/lab-test-docker/real; rm -rf /run/lab-test-docker';

/**
 * Remote work per host, counted by the transport against real sshd (the sandbox): a re-run
 * with nothing to change and a check cost one SSH connection each and a fixed number of
 * remote commands per host, whatever the lab holds.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED command count tests: ${skip}`);

const counts = (text: string) =>
  Object.fromEntries(
    [...text.matchAll(/^(\S+): (\d+) connection\(s\), (\d+) remote commands$/gm)].map((m) => [
      m[1],
      { connections: Number(m[2]), commands: Number(m[3]) },
    ]),
  );

describe.skipIf(!!skip)("remote commands per host (single-network)", () => {
  const { dir, file, on } = sandboxLab("labs/single-network.yaml", "t-counts");
  const dockerCalls = (host: string) => on(host, "cat /run/lab-test-docker/calls").trim().split("\n").filter(Boolean);

  it("a no-change re-run: 1 connection and 2 remote commands per host (preflight, locked probe)", () => {
    const first = lab(dir, "up", file, "--sandbox", "--no-check");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const again = lab(dir, "up", file, "--sandbox", "--no-check", "--stats");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("nothing to change");
    expect(counts(again.stdout)).toEqual({
      docker01: { connections: 1, commands: 2 },
      docker02: { connections: 1, commands: 2 },
    });
  });

  it("no docker process per object: a no-change re-run starts the docker CLI once per host (the Docker API's stream), a check once per host (every container's PID)", () => {
    const hosts = ["docker01", "docker02"];
    for (const host of hosts) on(host, WRAP);
    try {
      // Through the sandbox's inventory: --sandbox itself checks its images with docker.
      const inventory = join(dir, ".lab", "sandbox", "t-counts", "inventory.json");
      const again = lab(dir, "up", file, "--inventory", inventory, "--no-check");
      expect(again.code, again.stdout + again.stderr).toBe(0);
      expect(again.stdout).toContain("nothing to change");
      for (const host of hosts) expect(dockerCalls(host)).toEqual(["system dial-stdio"]);
      for (const host of hosts) on(host, ": > /run/lab-test-docker/calls");
      const check = lab(dir, "check", file, "--inventory", inventory);
      expect(check.code, check.stdout + check.stderr).toBe(0);
      expect(dockerCalls("docker01")).toEqual([
        "container inspect -f {{.Name}} {{if .State.Running}}{{.State.Pid}}{{end}} bbox1",
      ]);
      expect(dockerCalls("docker02")).toEqual([
        "container inspect -f {{.Name}} {{if .State.Running}}{{.State.Pid}}{{end}} bbox2",
      ]);
    } finally {
      for (const host of hosts) on(host, UNWRAP);
    }
  });

  it("a check: 1 connection and 1 remote command per host (all its pings in one script)", () => {
    const r = lab(dir, "check", file, "--sandbox", "--stats");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(counts(r.stdout)).toEqual({
      docker01: { connections: 1, commands: 1 },
      docker02: { connections: 1, commands: 1 },
    });
  });
});
