import { existsSync } from "node:fs";
import { LabError } from "../errors.js";

/** A program the sandbox runs on this machine, and the Debian package that has it. */
export interface Requirement {
  path: string;
  pkg: string;
}

/** Every host: namespaces, sshd under tini, the proxy command, keys. */
const HOSTS: Requirement[] = [
  { path: "/usr/sbin/sshd", pkg: "openssh-server" },
  { path: "/usr/bin/ssh-keygen", pkg: "openssh-client" },
  { path: "/usr/bin/tini", pkg: "tini" },
  { path: "/usr/bin/socat", pkg: "socat" },
  { path: "/usr/bin/nsenter", pkg: "util-linux" },
  { path: "/usr/bin/unshare", pkg: "util-linux" },
  { path: "/usr/sbin/ip", pkg: "iproute2" },
];

/** Labs with Docker: a dockerd per host, and the images built from Debian's binaries. */
const BUSYBOX = "/usr/bin/busybox";
const REGISTRY = "/usr/bin/docker-registry";
const DOCKER: Requirement[] = [
  { path: "/usr/sbin/dockerd", pkg: "docker.io" },
  { path: BUSYBOX, pkg: "busybox-static" },
  { path: REGISTRY, pkg: "docker-registry" },
];

/** What this machine lacks to make the sandbox of a lab (merged /usr: /sbin counts too). */
export function missingSandboxTools(
  usesDocker: boolean,
  exists: (path: string) => boolean = existsSync,
): Requirement[] {
  const needed = usesDocker ? [...HOSTS, ...DOCKER] : HOSTS;
  return needed.filter((r) => !exists(r.path) && !exists(r.path.replace(/^\/usr\//, "/")));
}

/**
 * Checked before anything is made: root, and every program the sandbox will run, named with
 * its package in one message (rather than a spawn error half-way through).
 */
export function sandboxPreconditions(
  usesDocker: boolean,
  options: { uid?: number; exists?: (path: string) => boolean } = {},
): void {
  if ((options.uid ?? process.getuid?.()) !== 0) {
    throw new LabError(
      "--sandbox needs root: it creates network namespaces and runs sshd for each lab host (try sudo)",
      "sandbox-not-root",
    );
  }
  const missing = missingSandboxTools(usesDocker, options.exists);
  if (missing.length > 0) {
    const packages = [...new Set(missing.map((r) => r.pkg))];
    throw new LabError(
      `--sandbox needs ${missing.map((r) => `${r.path} (${r.pkg})`).join(", ")}: apt-get install -y --no-install-recommends ${packages.join(" ")}`,
      "sandbox-missing-tools",
    );
  }
}
