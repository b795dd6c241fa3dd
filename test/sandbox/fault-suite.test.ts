import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { hostSnapshot, lab, realHostsUnavailable, sandboxLab } from "../helpers/real-hosts.js";

/**
 * Faults in the middle of a whole run, with real sshd: the session's own sshd killed during
 * `lab up`, Ctrl-C during `lab down`. Each ends with a summary naming host and step, and a
 * re-run or `lab down` that leaves the host as it was before the lab (the snapshot compare).
 */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED fault suite: ${skip}`);
vi.setConfig({ hookTimeout: 60_000 });
const repo = resolve(import.meta.dirname, "..", "..");

/** The real CLI as a child process, so a test can act while it runs. */
function start(dir: string, ...args: string[]) {
  const child = spawn(join(repo, "node_modules/.bin/tsx"), [join(repo, "src/cli/main.ts"), ...args], {
    cwd: dir,
    env: { ...process.env, CI: "true" },
  });
  const out = { stdout: "", stderr: "" };
  child.stdout.on("data", (d) => (out.stdout += String(d)));
  child.stderr.on("data", (d) => (out.stderr += String(d)));
  const done = new Promise<number | null>((resolve) => child.on("close", resolve));
  return { child, out, done };
}

/**
 * Make `ip` slow on one sandbox host for commands containing `words`: a wrapper in that host's
 * own /usr/local/bin (its /usr is copy-on-write, so the machine's is untouched).
 */
const slowIp = (words: string, seconds: number) =>
  `real=$(command -v ip); printf '#!/bin/sh\\ncase "$*" in *"%s"*) sleep %s;; esac\\nexec %s "$@"\\n' ${JSON.stringify(words)} ${seconds} "$real" > /usr/local/bin/ip && chmod +x /usr/local/bin/ip`;

describe.skipIf(!!skip)("the SSH session's sshd killed in the middle of lab up", { timeout: 120_000 }, () => {
  const name = "t-sesskill";
  const { dir, file, on } = sandboxLab("labs/macvlan-netns.yaml", name);

  beforeAll(() => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
  });

  it("the step it cut off fails naming host and step and is recorded; the other host finishes; a re-run and lab down leave the host as it was", async () => {
    const before = hostSnapshot(dir, name, "docker01");
    on("docker01", slowIp("promisc on", 3));
    try {
      const run = start(dir, "up", file, "--sandbox");
      // From the slow command up its parents to the sshd process serving lab's connection.
      const killed = on(
        "docker01",
        `for i in $(seq 150); do p=$(pgrep -f '^sleep 3$' | head -1); [ -n "$p" ] && break; sleep 0.1; done
         while [ "\${p:-1}" -gt 1 ]; do case "$(tr '\\0' ' ' < /proc/$p/cmdline)" in "sshd: "*) kill -9 "$p"; echo "killed sshd $p"; break;; esac; p=$(awk '{print $4}' /proc/$p/stat); done`,
      );
      expect(killed).toMatch(/^killed sshd \d+$/m);
      const code = await run.done;
      expect(code, run.out.stdout + run.out.stderr).toBe(1);
      expect(run.out.stderr).toMatch(
        /^docker01: put ens33 in promiscuous mode: connection lost while the command ran \(.+\); whether it took effect is unknown$/m,
      );
      expect(run.out.stdout).toMatch(/docker02: \d+ ok, [1-9]\d* changed, 0 failed/);
      // It did take effect (the command ran on without its connection), and lab down knows.
      await new Promise((r) => setTimeout(r, 3500));
      expect(on("docker01", "ip -o link show dev ens33")).toContain("PROMISC");
      expect(on("docker01", `cat /var/lib/lab/${name}.json`)).toContain('"kind": "promisc-off"');
    } finally {
      on("docker01", "rm -f /usr/local/bin/ip");
    }
    const again = lab(dir, "up", file, "--sandbox");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("checks: all 12 as expected");
    const down = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(down.code, down.stdout + down.stderr).toBe(0);
    expect(hostSnapshot(dir, name, "docker01")).toBe(before);
  });
});

describe.skipIf(!!skip)("Ctrl-C during lab down", { timeout: 120_000 }, () => {
  const name = "t-sigdown";
  const { dir, file, on } = sandboxLab("labs/macvlan-netns.yaml", name);
  const hosts = ["docker01", "docker02"];
  let before: string[] = [];

  beforeAll(() => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    before = hosts.map((h) => hostSnapshot(dir, name, h));
    expect(lab(dir, "up", file, "--sandbox", "--no-check").code).toBe(0);
  });

  it("finishes the undo already running, keeps the rest recorded (exit 1); lab down again finishes, and the hosts are as before the lab", async () => {
    for (const h of hosts) on(h, slowIp("netns del", 1));
    let first;
    try {
      first = start(dir, "down", file, "--sandbox", "--keep-sandbox");
      first.child.stdout.on("data", () => {
        if (first!.out.stdout.includes(": undo: ") && !first!.child.killed) first!.child.kill("SIGINT");
      });
      const code = await first.done;
      expect(code, first.out.stdout + first.out.stderr).toBe(1);
    } finally {
      for (const h of hosts) on(h, "rm -f /usr/local/bin/ip");
    }
    expect(first.out.stdout).toContain("interrupted: finishing the undo already running, then stopping");
    expect(first.out.stdout).toContain("stopped by Ctrl-C; what is left stays recorded: run lab down again to finish");
    const undoneFirst = [...first.out.stdout.matchAll(/docker0[12]: (\d+) undone, 0 failed/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(undoneFirst).toBeGreaterThan(0);
    expect(undoneFirst).toBeLessThan(18);
    // What is left is still recorded on the hosts.
    const left = hosts.map((h) =>
      on(h, `[ -e /var/lib/lab/${name}.json ] && grep -c '"title"' /var/lib/lab/${name}.json || echo 0`).trim(),
    );
    expect(left.reduce((n, c) => n + Number(c), 0)).toBe(18 - undoneFirst);
    const second = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(second.code, second.stdout + second.stderr).toBe(0);
    const undoneSecond = [...second.stdout.matchAll(/docker0[12]: (\d+) undone, 0 failed/g)].reduce(
      (n, m) => n + Number(m[1]),
      0,
    );
    expect(undoneFirst + undoneSecond).toBe(18);
    expect(hosts.map((h) => hostSnapshot(dir, name, h))).toEqual(before);
  });
});
