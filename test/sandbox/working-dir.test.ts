import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lab, realHostsUnavailable, scratchLab } from "../helpers/real-hosts.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * A lab pack may bring a `.lab/` directory of its own. lab runs as root there, so nothing in it
 * is trusted as code: not a proxy command from its inventory, not a PID from its state file,
 * not a link to write keys through.
 */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED working-directory tests: ${skip}`);

describe.skipIf(!!skip)("a hostile .lab/ in the working directory", () => {
  const name = "t-pack";
  // A process the planted state file names as a host's init: it must survive.
  const victim = spawn("sleep", ["600"], { stdio: "ignore" });
  afterAll(() => victim.kill("SIGKILL"));

  const planted = () => {
    const { dir, file } = scratchLab("labs/macvlan-netns.yaml", name);
    const sandbox = join(dir, ".lab", "sandbox", name);
    mkdirSync(sandbox, { recursive: true });
    const pwned = join(dir, "PWNED");
    const hosts = ["docker01", "docker02"].map((h) => ({
      name: h,
      netns: `lsb-${name}-h-${h}`,
      dir: join(sandbox, "hosts", h),
      pid1: victim.pid,
    }));
    writeFileSync(
      join(sandbox, "state.json"),
      JSON.stringify({
        lab: name,
        dir: sandbox,
        switchNetns: `lsb-${name}-sw`,
        hosts,
        features: {},
        standins: {},
        createdAt: "t",
      }),
    );
    const proxy = ["/bin/sh", "-c", `touch ${pwned}`];
    writeFileSync(
      join(sandbox, "inventory.json"),
      JSON.stringify({
        known_hosts: join(sandbox, "known_hosts"),
        hosts: {
          docker01: { host: "docker01", proxy_command: proxy },
          docker02: { host: "docker02", proxy_command: proxy },
        },
      }),
    );
    return { dir, file, pwned };
  };

  it("its inventory's proxy command never runs, and the PIDs its state names are not taken for sandbox hosts", () => {
    const { dir, file, pwned } = planted();
    for (const command of ["status", "check"]) {
      const r = lab(dir, command, file, "--sandbox");
      expect(r.code, command).toBe(3);
      expect(r.stderr).toContain(`no running sandbox for ${name}`);
    }
    const down = lab(dir, "down", file, "--sandbox");
    expect(down.code, down.stderr).toBe(0);
    expect(existsSync(pwned)).toBe(false);
    expect(victim.exitCode).toBeNull();
    expect(spawnSync("kill", ["-0", String(victim.pid)]).status).toBe(0);
  });

  it("a .lab that is a link to elsewhere is not written through", () => {
    const { dir, file } = scratchLab("labs/macvlan-netns.yaml", `${name}2`);
    const elsewhere = scratchDir("elsewhere");
    symlinkSync(elsewhere, join(dir, ".lab"));
    const r = lab(dir, "sandbox", "create", file);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `${join(dir, ".lab")} is a symbolic link; lab writes the sandbox's keys there as root and will not follow it`,
    );
    expect(existsSync(join(elsewhere, "sandbox"))).toBe(false);
  });

  it("a .lab/logs that is a link to elsewhere is not written through: lab up stops before any change (exit 3)", () => {
    const { dir, file } = scratchLab("labs/macvlan-netns.yaml", `${name}3`);
    const elsewhere = scratchDir("elsewhere-logs");
    mkdirSync(join(dir, ".lab"));
    symlinkSync(elsewhere, join(dir, ".lab", "logs"));
    try {
      const r = lab(dir, "up", file, "--sandbox");
      expect(r.code, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toContain(
        `${join(dir, ".lab", "logs")} is a symbolic link; lab writes its logs there as root and will not follow it (remove it)`,
      );
      expect(readdirSync(elsewhere)).toEqual([]);
      const status = lab(dir, "status", file, "--sandbox").stdout;
      for (const host of ["docker01", "docker02"]) expect(status).toContain(`${host}: 0 changes recorded`);
    } finally {
      unlinkSync(join(dir, ".lab", "logs"));
      lab(dir, "down", file, "--sandbox");
    }
  });
});
