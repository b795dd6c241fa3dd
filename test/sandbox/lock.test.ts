import { spawn } from "node:child_process";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { lab, realHostsUnavailable, sandboxLab } from "../helpers/real-hosts.js";

/** One lock per host, with real sshd and real flock: two runs never work on one host at once. */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED lock tests: ${skip}`);
const repo = resolve(import.meta.dirname, "..", "..");
vi.setConfig({ hookTimeout: 60_000 });

describe.skipIf(!!skip)("the per-host lock", { timeout: 120_000 }, () => {
  const name = "t-lock";
  const { dir, file, on } = sandboxLab("labs/macvlan-netns.yaml", name);

  beforeAll(() => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
  }, 60_000);

  it("a host whose lock another run holds: exit 3 naming the holder, and nothing changed anywhere", () => {
    // Another run, as the host sees it: the flock held, and who holds it.
    on(
      "docker02",
      "mkdir -p /var/lib/lab && printf '%s\\n' 'lab other (up) from elsewhere, pid 7' > /var/lib/lab/lock.holder && (flock /var/lib/lab/lock sleep 27.5 >/dev/null 2>&1 &) && sleep 0.3",
    );
    try {
      const r = lab(dir, "up", file, "--sandbox");
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toContain(
        "docker02: lock: busy: lab other (up) from elsewhere, pid 7 is working on this host; nothing was changed here",
      );
      expect(on("docker01", `ls /var/lib/lab/${name}.json 2>/dev/null; ls /run/netns 2>/dev/null | wc -l`).trim()).toBe(
        "0",
      );
    } finally {
      // flock's child (the sleep) holds the lock too.
      on("docker02", "pkill -f '^flock /var/lib/lab/lock'; pkill -f '^sleep 27.5$'; true");
    }
  });

  it("two lab up at once: never both; the one that waits is told who works there; then lab up and down go through and leave no lock behind", async () => {
    const run = () =>
      new Promise<{ code: number | null; out: string; pid: number }>((done) => {
        const loader = pathToFileURL(join(repo, "node_modules/tsx/dist/loader.mjs")).href;
        const child = spawn(
          process.execPath,
          ["--import", loader, join(repo, "src/cli/main.ts"), "up", file, "--sandbox", "--no-check"],
          { cwd: dir, env: { ...process.env, CI: "true" } },
        );
        let out = "";
        child.stdout.on("data", (d) => (out += String(d)));
        child.stderr.on("data", (d) => (out += String(d)));
        child.on("close", (code) => done({ code, out, pid: child.pid! }));
      });
    const [one, two] = await Promise.all([run(), run()]);
    expect([one.code, two.code].sort(), one.out + two.out).not.toEqual([0, 0]);
    for (const [me, other] of [
      [one, two],
      [two, one],
    ] as const) {
      if (me.code === 0) continue;
      expect(me.code, me.out).toBe(3);
      expect(me.out).toMatch(
        new RegExp(
          `docker0[12]: lock: busy: lab ${name} \\(up\\) from \\S+, pid ${other.pid}, since \\S+ is working on this host`,
        ),
      );
    }
    const after = lab(dir, "up", file, "--sandbox");
    expect(after.code, after.stdout + after.stderr).toBe(0);
    expect(after.stdout).toContain("checks: all 12 as expected");
    const down = lab(dir, "down", file, "--sandbox", "--keep-sandbox");
    expect(down.code, down.stderr).toBe(0);
    for (const host of ["docker01", "docker02"])
      expect(on(host, "ls -a /var/lib/lab 2>&1 | head -1").trim()).toMatch(/No such file or directory/);
  });
});
