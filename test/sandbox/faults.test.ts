import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostSnapshot, lab, realHostsUnavailable, sandboxLab, scratchLab, sshRun } from "../helpers/real-hosts.js";

/** Faults against real sshd in sandbox hosts: what a user sees, and that nothing changed. */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED real-host fault tests: ${skip}`);

describe.skipIf(!!skip)("faults, with real sshd", () => {
  const name = "t-faults";
  const { dir, file } = sandboxLab("labs/macvlan-netns.yaml", name);
  const sandbox = join(dir, ".lab", "sandbox", name);
  let inventory: { known_hosts: string; hosts: Record<string, Record<string, unknown>> };

  /** A copy of the sandbox inventory with one change, used through --inventory. */
  const inventoryWith = (edit: (inv: typeof inventory) => void): string => {
    const copy = structuredClone(inventory);
    edit(copy);
    const path = join(dir, `inventory-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, JSON.stringify(copy));
    return path;
  };
  const noStateOn = (host: string) =>
    expect(sshRun(dir, name, host, `ls /var/lib/lab/${name}.json 2>/dev/null || echo none`).trim()).toBe("none");

  beforeAll(() => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    inventory = JSON.parse(readFileSync(join(sandbox, "inventory.json"), "utf8"));
  });

  it("an unreachable host stops the run before any change (exit 3)", () => {
    const inv = inventoryWith((i) => {
      i.hosts.docker02 = { host: "127.0.0.1", port: 9, user: "root", identity_file: i.hosts.docker02!.identity_file };
    });
    const r = lab(dir, "up", file, "--inventory", inv);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/docker02: connect: cannot reach root@127\.0\.0\.1:9: .*ECONNREFUSED/);
    expect(r.stderr).not.toContain("docker01:");
    noStateOn("docker01");
  });

  it("a wrong key is an authentication failure naming user, host and what was tried (exit 3)", () => {
    const otherKey = join(dir, "other_key");
    execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]);
    const inv = inventoryWith((i) => {
      i.hosts.docker01!.identity_file = otherKey;
    });
    const r = lab(dir, "up", file, "--inventory", inv);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `docker01: connect: authentication failed for root@docker01:22: the host refused every method tried (key ${otherKey})`,
    );
    noStateOn("docker01");
    noStateOn("docker02");
  });

  it("a changed host key is refused, showing both fingerprints (exit 3)", () => {
    const lines = readFileSync(inventory.known_hosts, "utf8").trim().split("\n");
    const docker02Key = lines
      .find((l) => l.startsWith("docker02 "))!
      .split(" ")
      .slice(1)
      .join(" ");
    const forged = join(dir, "known_hosts_forged");
    writeFileSync(forged, `docker01 ${docker02Key}\n${lines.find((l) => l.startsWith("docker02 "))}\n`);
    const inv = inventoryWith((i) => {
      i.known_hosts = forged;
    });
    const r = lab(dir, "up", file, "--inventory", inv);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(
      /docker01: connect: the host key of docker01 has CHANGED: .*known_hosts_forged:1 has ssh-ed25519 SHA256:\S+, the host now offers SHA256:\S+/,
    );
    noStateOn("docker01");
  });

  it("a failing command names host, step, command and stderr; the other host finishes its phase; a re-run continues", () => {
    // A plain file where a namespace handle belongs: `ip link add … netns ns2` must fail.
    sshRun(dir, name, "docker01", "mkdir -p /run/netns && touch /run/netns/ns2");
    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /docker01: namespaces: macvlan mv2 \(mode bridge\) on ens33, inside ns2: failed: ip link add link ens33 name mv2 netns ns2 type macvlan mode bridge: exit \d+: .+/,
    );
    expect(r.stderr).toContain(
      "docker01: macvlan mv2 (mode bridge) on ens33, inside ns2: ip link add link ens33 name mv2 netns ns2",
    );
    expect(r.stderr).toContain("continues where it stands");
    expect(r.stdout).toContain("docker02: 0 ok, 9 changed, 0 failed, 0 skipped");
    expect(r.stdout).toMatch(/docker01: \d+ ok, \d+ changed, 1 failed, 2 skipped/);
    expect(r.stdout).not.toContain("checks:");

    sshRun(dir, name, "docker01", "rm /run/netns/ns2");
    const again = lab(dir, "up", file, "--sandbox");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("docker02: 9 ok, 0 changed");
    expect(again.stdout).toContain("docker01: namespaces: create network namespace ns2: changed");
    expect(again.stdout).toContain("checks: all 12 as expected");

    const down = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(down.code, down.stderr).toBe(0);
    noStateOn("docker01");
    expect(sshRun(dir, name, "docker01", "ls /run/netns | wc -l").trim()).toBe("0");
  });

  it("root on one host cannot make lab down run its commands or read the operator's files: that host's state is refused, the other is undone", () => {
    expect(lab(dir, "up", file, "--sandbox", "--no-check").code).toBe(0);
    const canary = join(dir, "operator-secret");
    writeFileSync(canary, "operator secret\n");
    // What root on docker02 could plant: a command of its own, and an upload of a file on the operator's side.
    const planted = {
      lab: name,
      id: /^id: (\S+)/m.exec(readFileSync(file, "utf8"))![1],
      version: 3,
      updatedAt: "t",
      changed: [
        { id: "x", title: "x", undo: [{ kind: "upload", from: canary, to: "cat > /root/stolen" }], at: "t" },
        { id: "y", title: "y", undo: [{ kind: "delete-netns", netns: "ns3; touch /root/pwned" }], at: "t" },
      ],
    };
    sshRun(dir, name, "docker02", `cat > /var/lib/lab/${name}.json <<'EOF'\n${JSON.stringify(planted)}\nEOF`);
    const r = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("docker02: nothing undone (see below)");
    expect(r.stderr).toMatch(
      new RegExp(
        `docker02: /var/lib/lab/${name}\\.json is refused \\(changed\\.0\\.undo\\.0\\.kind: .+\\); nothing was run on this host`,
      ),
    );
    expect(r.stdout).toMatch(/docker01: \d+ undone, 0 failed/);
    noStateOn("docker01");
    expect(sshRun(dir, name, "docker02", "ls /root/stolen /root/pwned 2>/dev/null | wc -l").trim()).toBe("0");
    // The host keeps its (refused) file for the operator to look at; removing it ends the lab there.
    sshRun(dir, name, "docker02", `rm /var/lib/lab/${name}.json`);
  });

  it("a full disk under /var/lib/lab: the change that cannot be recorded is taken back, the summary names host and step, and a re-run and lab down leave the host as it was", () => {
    const before = hostSnapshot(dir, name, "docker01");
    sshRun(
      dir,
      name,
      "docker01",
      "mkdir -p /var/lib/lab && mount -t tmpfs -o size=8k tmpfs /var/lib/lab && (dd if=/dev/zero of=/var/lib/lab/fill bs=1k count=64 2>/dev/null; true)",
    );
    try {
      const r = lab(dir, "up", file, "--sandbox", "--no-check");
      expect(r.code, r.stdout + r.stderr).toBe(1);
      expect(r.stderr).toMatch(
        /docker01: put ens33 in promiscuous mode: the record for lab down could not be written \(.*No space left on device.*\); the change was undone again, so the host is as it was/,
      );
      expect(r.stdout).toMatch(/docker02: \d+ ok, \d+ changed, 0 failed/);
      expect(sshRun(dir, name, "docker01", "ip -o link show dev ens33")).not.toContain("PROMISC");
    } finally {
      sshRun(dir, name, "docker01", "rm -f /var/lib/lab/fill; umount /var/lib/lab");
    }
    const again = lab(dir, "up", file, "--sandbox");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("checks: all 12 as expected");
    expect(lab(dir, "down", file, "--sandbox", "--keep-sandbox").code).toBe(0);
    expect(hostSnapshot(dir, name, "docker01")).toBe(before);
  });

  it("lab check without a sandbox running says so (exit 3)", () => {
    const other = scratchLab("labs/macvlan-netns.yaml", "t-nosandbox");
    const r = lab(other.dir, "check", other.file, "--sandbox");
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("no running sandbox for t-nosandbox: run lab up --sandbox first");
  });
});

describe.skipIf(!!skip)("Ctrl-C during lab up", () => {
  const name = "t-sigint";
  const { dir, file } = scratchLab("labs/macvlan-netns.yaml", name);
  afterAll(() => {
    lab(dir, "down", file, "--sandbox");
  });

  it("finishes the running command, records what was done, and a re-run continues", async () => {
    const { spawn } = await import("node:child_process");
    const path = await import("node:path");
    const repo = path.resolve(import.meta.dirname, "..", "..");
    const child = spawn(join(repo, "node_modules/.bin/tsx"), [join(repo, "src/cli/main.ts"), "up", file, "--sandbox"], {
      cwd: dir,
      env: { ...process.env, CI: "true" },
    });
    let stdout = "";
    let interrupted = false;
    child.stdout.on("data", (d) => {
      stdout += String(d);
      if (!interrupted && stdout.includes(": changed")) {
        interrupted = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(code, stdout).toBe(1);
    expect(stdout).toContain("interrupted: finishing the commands already running");
    expect(stdout).toContain("stopped by Ctrl-C");
    expect(stdout).toMatch(/skipped/);
    // State is consistent: the next run does only the rest, and down removes everything.
    const again = lab(dir, "up", file, "--sandbox");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("checks: all 12 as expected");
    expect(again.stdout).toMatch(/docker0[12]: [1-9]\d* ok/);
    const down = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(down.stdout).toContain("docker01: 9 undone, 0 failed");
    expect(down.stdout).toContain("docker02: 9 undone, 0 failed");
  });
});
