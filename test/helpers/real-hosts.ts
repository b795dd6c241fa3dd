import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, beforeAll } from "vitest";
import { scratchDir } from "./scratch-dir.js";

/**
 * Helpers for tests against real hosts: the sandbox's namespaces with real sshd, reached
 * through the real CLI and checked with OpenSSH's own client (an independent path).
 */
const repo = resolve(import.meta.dirname, "..", "..");
const tsx = join(repo, "node_modules", ".bin", "tsx");
const cli = join(repo, "src", "cli", "main.ts");

/** Why real-host tests cannot run here, or undefined when they can. */
export function realHostsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return "needs root (network namespaces, sshd per host)";
  for (const tool of ["/usr/sbin/sshd", "/usr/bin/tini", "/usr/bin/socat", "/usr/bin/ssh"]) {
    if (!existsSync(tool)) return `needs ${tool} (bash scripts/install-deps.sh installs it)`;
  }
  return undefined;
}

/** Why Docker sandbox tests cannot run here, or undefined when they can. */
export function dockerHostsUnavailable(): string | undefined {
  return (
    realHostsUnavailable() ??
    (existsSync("/usr/sbin/dockerd") ? undefined : "needs dockerd (bash scripts/install-deps.sh installs docker.io)")
  );
}

/** A scratch working directory holding a copy of a sample lab under a test-specific name. */
export function scratchLab(
  sample: string,
  name: string,
  edit: (text: string) => string = (t) => t,
  /** A folder inside the scratch dir to work in (e.g. a name with a space). */
  subdir?: string,
): { dir: string; file: string } {
  const dir = subdir ? join(scratchDir(name), subdir) : scratchDir(name);
  if (subdir) mkdirSync(dir);
  const text = readFileSync(join(repo, sample), "utf8").replace(/^name: .*$/m, `name: ${name}`);
  const file = join(dir, "lab.yaml");
  writeFileSync(file, edit(text));
  return { dir, file };
}

/**
 * A sample lab in a sandbox of its own for one describe block: leftovers of an earlier run are
 * taken down before its first test, the lab and its sandbox after its last (also on failure).
 * `on` runs a command on a sandbox host with OpenSSH.
 */
export function sandboxLab(sample: string, name: string, edit?: (text: string) => string, subdir?: string) {
  const { dir, file } = scratchLab(sample, name, edit, subdir);
  beforeAll(() => {
    lab(dir, "down", file, "--sandbox");
  });
  afterAll(() => {
    lab(dir, "down", file, "--sandbox");
  });
  return { dir, file, on: (host: string, command: string) => sshRun(dir, name, host, command) };
}

export function lab(cwd: string, ...args: string[]): { code: number | null; stdout: string; stderr: string } {
  return labWithin(120_000, cwd, ...args);
}

/** The CLI with a longer time limit (VMs under software emulation are slow). */
export function labWithin(
  timeoutMs: number,
  cwd: string,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(tsx, [cli, ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "true" },
    timeout: timeoutMs,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Run a command on a host with OpenSSH, through an inventory file (sandbox or VMs). */
export function sshVia(inventoryFile: string, host: string, command: string, timeoutMs = 30_000): string {
  const inventory = JSON.parse(readFileSync(inventoryFile, "utf8"));
  const h = inventory.hosts[host];
  return execFileSync(
    "ssh",
    [
      "-o",
      "BatchMode=yes",
      "-o",
      `UserKnownHostsFile=${inventory.known_hosts}`,
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      `ProxyCommand=${h.proxy_command.join(" ")}`,
      "-i",
      h.identity_file,
      `root@${h.host}`,
      command,
    ],
    { encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
  );
}

/** Run a command on a sandbox host with OpenSSH, through the sandbox inventory. */
export function sshRun(cwd: string, labName: string, host: string, command: string): string {
  return sshVia(join(cwd, ".lab", "sandbox", labName, "inventory.json"), host, command);
}

/** What `lab down` must put back: interfaces (with flags such as PROMISC), addresses, namespaces, files. */
export const SNAPSHOT_COMMAND = [
  "ip -o link show | sed 's/^[0-9]*: //; s/ link\\/ether.*//'",
  "ip -o addr show | awk '{print $2, $3, $4}'",
  "echo netns: $(ls /run/netns 2>/dev/null)",
  "find /etc /var/lib/lab -xdev 2>/dev/null | sort | xargs -d '\\n' ls -ld --time-style=+ 2>/dev/null | awk '{print $1, $5, $NF}'",
].join("; ");

export function hostSnapshot(cwd: string, labName: string, host: string): string {
  return sshRun(cwd, labName, host, SNAPSHOT_COMMAND);
}
