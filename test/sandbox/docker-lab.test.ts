import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab } from "../helpers/real-hosts.js";

/**
 * labs/single-network.yaml in the sandbox with a real dockerd per host: registry push/pull,
 * containers with fixed IPs, the ping matrix, idempotence, and a `lab down` that removes
 * only what the lab made (a user's own container and network survive).
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED Docker sandbox tests: ${skip}`);

describe.skipIf(!!skip)("single-network lab with real dockerd", () => {
  const name = "t-docker";
  const { dir, file, on } = sandboxLab("labs/single-network.yaml", name);
  const dockerObjects = (host: string) =>
    on(
      host,
      "docker ps -a --format '{{.Names}} {{.Image}} {{.Labels}}' | sort; docker network ls --format '{{.Name}} {{.Driver}}' | sort; docker images --format '{{.Repository}}:{{.Tag}}' | sort; cat /etc/docker/daemon.json 2>/dev/null; ls /var/lib/lab 2>&1 | head -1",
    );
  let before: Record<string, string>;

  beforeAll(() => {
    const made = lab(dir, "sandbox", "create", file);
    expect(made.code, made.stderr).toBe(0);
    // What was there before the lab: a user's container and network, and a daemon.json with a key of its own.
    on(
      "docker01",
      "docker run -dit --name mybox busybox:latest >/dev/null && docker network create usernet >/dev/null",
    );
    on(
      "docker02",
      `mkdir -p /etc/docker && printf '{\\n  "log-level": "warn"\\n}\\n' > /etc/docker/daemon.json && systemctl reload docker`,
    );
    before = { docker01: dockerObjects("docker01"), docker02: dockerObjects("docker02") };
  });

  it("goes up: registry, push, pull, containers, and the check passes both ways", () => {
    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      `docker01: seed: push busybox:latest to the lab registry as 192.168.1.11:5000/busybox:latest: changed`,
    );
    expect(r.stdout).toContain(
      `docker02: distribute: pull 192.168.1.11:5000/busybox:latest from the lab registry: changed`,
    );
    expect(r.stdout).toContain("checks: all 2 as expected");
    // Seen independently: the registry stores busybox, docker02 pulled it, containers have their addresses.
    expect(
      on("docker01", `docker exec ${name}-registry ls /var/lib/registry/docker/registry/v2/repositories`),
    ).toContain("busybox");
    expect(on("docker02", "docker image inspect -f '{{.RepoTags}}' 192.168.1.11:5000/busybox:latest")).toContain(
      "192.168.1.11:5000/busybox:latest",
    );
    expect(on("docker02", "docker inspect -f '{{.NetworkSettings.Networks.mac_net1.IPAddress}}' bbox2").trim()).toBe(
      "172.22.16.11",
    );
    expect(on("docker01", "docker exec bbox1 ping -c 1 -W 1 172.22.16.11 >/dev/null && echo reply")).toContain("reply");
    // daemon.json: merged, the user's key kept.
    expect(JSON.parse(on("docker02", "cat /etc/docker/daemon.json"))).toEqual({
      "log-level": "warn",
      "insecure-registries": ["192.168.1.11:5000"],
    });
  });

  it("changes nothing on a second run", () => {
    const r = lab(dir, "up", file, "--sandbox", "--stats");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("docker01: 6 ok, 0 changed, 0 failed, 0 skipped");
    expect(r.stdout).toContain("docker02: 5 ok, 0 changed, 0 failed, 0 skipped");
    expect(r.stdout).toContain("docker01: 1 connection(s), 2 remote commands");
  });

  it("lab check: grid, JSON, JUnit, and exit codes 1 (unexpected) and 4 (could not run)", () => {
    const junit = join(dir, "check.xml");
    const json = lab(dir, "check", file, "--sandbox", "--json", "--junit", junit);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc).toMatchObject({ lab: name, ok: true, summary: { total: 2, asExpected: 2, unexpected: 0, errors: 0 } });
    expect(doc.results[0]).toMatchObject({
      from: "bbox1",
      to: "bbox2",
      address: "172.22.16.11",
      expect: "reachable",
      result: "reachable",
    });
    const xml = readFileSync(junit, "utf8");
    expect(xml).toContain('tests="2" failures="0" errors="0"');
    expect(xml.match(/<testcase /g)).toHaveLength(2);

    on("docker02", "docker network disconnect mac_net1 bbox2");
    const unexpected = lab(dir, "check", file, "--sandbox");
    expect(unexpected.code).toBe(1);
    expect(unexpected.stdout).toContain(
      "docker01: check: bbox1 → bbox2 (172.22.16.11 on docker02): unreachable, expected reachable",
    );
    on("docker02", "docker network connect --ip 172.22.16.11 mac_net1 bbox2");

    on("docker02", "docker stop -t 0 bbox2 >/dev/null");
    const broken = lab(dir, "check", file, "--sandbox", "--junit", junit);
    expect(broken.code).toBe(4);
    expect(broken.stdout).toContain("could not run: bbox2 is not running on docker02");
    expect(readFileSync(junit, "utf8")).toContain('errors="2"');
    expect(broken.stdout).toContain("could not run: the target bbox2 is not running on docker02");
    // lab up starts it again: one step.
    const repair = lab(dir, "up", file, "--sandbox");
    expect(repair.stdout).toContain("docker02: containers: run bbox2 on mac_net1 with 172.22.16.11: changed");
    expect(repair.code).toBe(0);
  });

  it("lab status shows what runs where", () => {
    const r = lab(dir, "status", file, "--sandbox", "--json");
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    const docker02 = doc.hosts.find((h: { host: string }) => h.host === "docker02");
    expect(docker02.containers).toContainEqual(
      expect.objectContaining({ name: "bbox2", state: "running", network: "mac_net1", ip: "172.22.16.11" }),
    );
    expect(docker02.interfaces[0]).toMatchObject({ name: "ens33", promisc: true, present: true });
  });

  it("refuses an object of the lab's name that the lab did not make, and never removes it", () => {
    on("docker02", "docker rm -f bbox2 >/dev/null && docker run -dit --name bbox2 busybox:latest >/dev/null");
    const r = lab(dir, "up", file, "--sandbox", "--no-check");
    // Seen by the probes, before anything changes anywhere.
    expect(r.code).toBe(3);
    const labId = /^id: (\S+)/m.exec(readFileSync(file, "utf8"))![1]!;
    expect(r.stderr).toContain(
      `docker02: probe: a container named bbox2 is there and not this lab's (no label lab.id=${labId}): rename the lab's, or remove that one; nothing was changed`,
    );
    const down = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(down.code, down.stderr).toBe(0);
    expect(on("docker02", "docker ps --format '{{.Names}}'")).toContain("bbox2");
    on("docker02", "docker rm -f bbox2 >/dev/null");
  });

  it("a container the lab created but could not start (a run that failed half-way) does not hide the real error on a re-run, nor block it once fixed", () => {
    expect(lab(dir, "up", file, "--sandbox", "--no-check").code).toBe(0);
    // bbox2's address taken: docker run creates bbox2, then cannot start it.
    on(
      "docker02",
      "docker rm -f bbox2 >/dev/null && docker run -d --name squatter --network mac_net1 --ip 172.22.16.11 busybox:latest sleep 3600 >/dev/null",
    );
    try {
      const first = lab(dir, "up", file, "--sandbox", "--no-check");
      expect(first.code).toBe(1);
      // The re-run meets the container the failed run left, and still shows why it fails.
      const again = lab(dir, "up", file, "--sandbox", "--no-check");
      expect(again.code).toBe(1);
      expect(again.stderr).toMatch(/docker02: run bbox2 on mac_net1 with 172\.22\.16\.11: .*[Aa]ddress already in use/);
      expect(again.stderr).not.toMatch(/is already in use by container|Conflict\. The container name/);
    } finally {
      on("docker02", "docker rm -f squatter >/dev/null");
    }
    const fixed = lab(dir, "up", file, "--sandbox", "--no-check");
    expect(fixed.code, fixed.stdout + fixed.stderr).toBe(0);
    expect(on("docker02", "docker inspect -f '{{.State.Running}}' bbox2").trim()).toBe("true");
  });

  it("the registry port taken by another program stops lab up before any change, naming it", () => {
    expect(lab(dir, "down", file, "--sandbox", "--keep-sandbox").code).toBe(0);
    on("docker01", "(socat TCP-LISTEN:5000,fork,reuseaddr /dev/null >/dev/null 2>&1 &) && sleep 0.3");
    try {
      const r = lab(dir, "up", file, "--sandbox", "--no-check");
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toMatch(
        /docker01: probe: the registry port 5000 is already in use by socat \(pid \d+\): set registry\.port, or stop it; nothing was changed/,
      );
      expect(on("docker01", "ls /var/lib/lab/t-docker.json 2>/dev/null | wc -l").trim()).toBe("0");
    } finally {
      on("docker01", "pkill -f '^socat TCP-LISTEN:5000'; true");
    }
  });

  it("dockerd stopped on one host: lab up stops at preflight naming it; lab down undoes the other host and keeps that host's Docker records, and a retry once dockerd runs leaves both hosts as before", () => {
    expect(lab(dir, "up", file, "--sandbox", "--no-check").code).toBe(0);
    on("docker02", "systemctl stop docker");
    // Through the sandbox's inventory: --sandbox itself would start dockerd again.
    const inventory = join(dir, ".lab", "sandbox", name, "inventory.json");
    try {
      const up = lab(dir, "up", file, "--inventory", inventory, "--no-check");
      expect(up.code, up.stdout + up.stderr).toBe(3);
      expect(up.stderr).toContain(
        "docker02: preflight: Docker is needed here but there is no docker command or no running daemon",
      );
      const down = lab(dir, "down", file, "--inventory", inventory);
      expect(down.code, down.stdout + down.stderr).toBe(1);
      expect(down.stdout).toMatch(/docker01: \d+ undone, 0 failed/);
      expect(down.stdout).toMatch(
        /docker02: undo: run bbox2 on mac_net1 with 172\.22\.16\.11: FAILED: .*cannot reach dockerd on this host \(is it running\?\); kept for the next lab down/,
      );
      expect(down.stderr).toContain("they stay recorded, so lab down can retry them");
    } finally {
      on("docker02", "systemctl start docker");
    }
    // bbox2 came back with dockerd (--restart always): the kept record removes it now.
    const again = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(dockerObjects("docker01")).toBe(before.docker01);
    expect(dockerObjects("docker02")).toBe(before.docker02);
  }, 90_000);

  it("lab down leaves no lab container, network, registry, image, file or daemon setting; the user's survive", () => {
    lab(dir, "up", file, "--sandbox", "--no-check");
    const r = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(r.code, r.stderr).toBe(0);
    expect(dockerObjects("docker01")).toBe(before.docker01);
    expect(dockerObjects("docker02")).toBe(before.docker02);
    expect(before.docker01).toContain("mybox busybox:latest");
    expect(before.docker01).toContain("usernet bridge");
    expect(before.docker02).toContain('"log-level": "warn"');
  });
});
