import { spawnSync } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { missingSandboxTools, sandboxPreconditions } from "../../src/sandbox/requirements.js";
import { realHostsUnavailable, scratchLab } from "../helpers/real-hosts.js";

/** What `--sandbox` needs from this machine is checked before anything is made, naming packages. */
const repo = resolve(import.meta.dirname, "..", "..");

describe("sandbox requirements", () => {
  const without =
    (...paths: string[]) =>
    (path: string) =>
      !paths.some((p) => path === p || path === p.replace(/^\/usr\//, "/"));

  it("names every missing program with its package, and one apt-get line", () => {
    expect(() =>
      sandboxPreconditions(true, { uid: 0, exists: without("/usr/sbin/sshd", "/usr/bin/socat", "/usr/sbin/dockerd") }),
    ).toThrow(
      "--sandbox needs /usr/sbin/sshd (openssh-server), /usr/bin/socat (socat), /usr/sbin/dockerd (docker.io): apt-get install -y --no-install-recommends openssh-server socat docker.io",
    );
  });

  it("asks for Docker's packages only for labs that use Docker", () => {
    const noDocker = without("/usr/sbin/dockerd", "/usr/bin/busybox", "/usr/bin/docker-registry");
    expect(missingSandboxTools(false, noDocker)).toEqual([]);
    expect(missingSandboxTools(true, noDocker).map((r) => r.pkg)).toEqual([
      "docker.io",
      "busybox-static",
      "docker-registry",
    ]);
  });

  it("root comes first (exit 3)", () => {
    let error: unknown;
    try {
      sandboxPreconditions(false, { uid: 1000, exists: () => true });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ exitCode: 3, message: expect.stringMatching(/^--sandbox needs root/) });
  });

  const skip = realHostsUnavailable();
  it.skipIf(!!skip)(
    "the real CLI on a machine without /usr/sbin (hidden in a private mount namespace): exit 3, the packages named, nothing made",
    () => {
      const { dir, file } = scratchLab("labs/single-network.yaml", "t-reqs");
      const tsx = join(repo, "node_modules", ".bin", "tsx");
      const r = spawnSync(
        "unshare",
        [
          "--mount",
          "--propagation",
          "private",
          "sh",
          "-c",
          `mount -t tmpfs none /usr/sbin && exec ${tsx} ${join(repo, "src/cli/main.ts")} up ${file} --sandbox`,
        ],
        {
          cwd: dir,
          encoding: "utf8",
          env: { ...process.env, CI: "true" },
        },
      );
      expect(r.status, r.stdout + r.stderr).toBe(3);
      expect(r.stderr).toMatch(
        /^lab: --sandbox needs \/usr\/sbin\/sshd \(openssh-server\), .*\/usr\/sbin\/ip \(iproute2\), \/usr\/sbin\/dockerd \(docker\.io\): apt-get install -y --no-install-recommends openssh-server iproute2 docker\.io\n$/,
      );
      expect(spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout).not.toContain("lsb-t-reqs");
    },
  );
});
