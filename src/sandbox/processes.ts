import { closeSync, existsSync, openSync, readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { LabError } from "../errors.js";
import { templatePath } from "../package-root.js";
import { runLocal, spawnDetached } from "./local.js";
import { cgroupTag } from "./paths.js";
import { sandboxInitAlive, type SandboxHostState } from "./state.js";

/** The processes of a sandbox host: its init (tini, sshd, later dockerd) and their cgroups. */

/** Poll `test` until true; on timeout, the error carries the last lines of the host's log. */
export async function waitFor(
  what: string,
  test: () => Promise<boolean> | boolean,
  timeoutMs: number,
  log?: string,
): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (await test()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  const tail = log && existsSync(log) ? `\n${readFileSync(log, "utf8").split("\n").slice(-10).join("\n")}` : "";
  throw new LabError(`sandbox: ${what} did not come up in ${timeoutMs / 1000}s${tail}`, "sandbox-start");
}

async function childOf(pid: number): Promise<number> {
  try {
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : 0;
  } catch {
    return 0;
  }
}

/**
 * Start a host's init in new UTS, mount and PID namespaces inside its network namespace
 * (templates/sandbox/hostinit.sh: tini, then sshd); returns its PID in this machine's view.
 */
export async function startHostInit(options: {
  labName: string;
  host: string;
  netns: string;
  hostDir: string;
  sandboxDir: string;
}): Promise<number> {
  const logFile = join(options.hostDir, "log", "init.log");
  const fd = openSync(logFile, "a");
  // detached: a new session of its own (nsenter execs unshare, so this PID is unshare's).
  const unsharePid = spawnDetached(
    "nsenter",
    [
      `--net=/run/netns/${options.netns}`,
      "unshare",
      "--uts",
      "--mount",
      "--pid",
      "--fork",
      "--kill-child=SIGKILL",
      "--propagation",
      "private",
      templatePath("sandbox", "hostinit.sh"),
      options.host,
      options.hostDir,
      options.sandboxDir,
      cgroupTag(options.labName, options.host),
    ],
    fd,
  );
  closeSync(fd);
  let pid1 = 0;
  await waitFor(
    `${options.host}'s init`,
    async () => {
      pid1 = await childOf(unsharePid);
      return pid1 > 0;
    },
    5000,
    logFile,
  );
  return pid1;
}

/** True once the host's sshd answers with its banner on the host's loopback. */
export async function sshBanner(netns: string): Promise<boolean> {
  const r = await runLocal(
    "/usr/bin/nsenter",
    [`--net=/run/netns/${netns}`, "/usr/bin/socat", "-T1", "STDIO", "TCP:127.0.0.1:22,connect-timeout=1"],
    { input: "", timeoutMs: 3000 },
  );
  return r.stdout.startsWith("SSH-2.0");
}

/** A command run inside a sandbox host (all its namespaces), as if logged in there. */
export const inHost = (host: SandboxHostState, ...command: string[]): [string, ...string[]] => [
  "/usr/bin/nsenter",
  "-t",
  String(host.pid1),
  "-a",
  ...command,
];

/** Kill every host's init (its PID namespace, and the mounts in it, go with it); returns who was killed. */
export async function killHosts(labName: string, hosts: SandboxHostState[]): Promise<string[]> {
  const killed: string[] = [];
  for (const host of hosts) {
    if (sandboxInitAlive(labName, host)) {
      process.kill(host.pid1, "SIGKILL");
      killed.push(host.name);
    }
  }
  for (const host of hosts) {
    for (let i = 0; i < 100 && sandboxInitAlive(labName, host); i++) await new Promise((r) => setTimeout(r, 20));
  }
  return killed;
}

/** Kill whatever still runs in a network namespace (leftovers of a run whose state file is gone). */
export async function killNetnsProcesses(netns: string): Promise<void> {
  const pids = (await runLocal("ip", ["netns", "pids", netns])).stdout.split(/\s+/).filter(Boolean).map(Number);
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
}

/**
 * dockerd's cgroups (--cgroup-parent=/lsb-<lab>-<host>) outlive it: remove these (the exact
 * names of sandboxObjectNames), deepest first. Never by prefix: /lsb-x-al- starts x-al-2's too.
 */
export async function removeCgroups(names: readonly string[]): Promise<string[]> {
  const root = "/sys/fs/cgroup";
  const removed = new Set<string>();
  // cgroup v2 has one tree; v1 has one per controller (/sys/fs/cgroup/memory/…).
  const trees = existsSync(root) ? [root, ...(await readdir(root)).map((d) => join(root, d))] : [];
  for (const tree of trees) {
    for (const name of names) {
      if (!existsSync(join(tree, name))) continue;
      await runLocal("find", [join(tree, name), "-depth", "-type", "d", "-exec", "rmdir", "{}", "+"]);
      removed.add(`cgroup ${name}`);
    }
  }
  return [...removed];
}
