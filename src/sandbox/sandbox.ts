import { existsSync, openSync, closeSync, readFileSync, statSync } from "node:fs";
import { mkdir, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import type { Inventory } from "../apply/inventory.js";
import { quote as shellQuote } from "../plan/shell.js";
import { buildSandboxImages } from "./images.js";
import type { Lab } from "../labfile/model.js";
import { LabError } from "../errors.js";
import { refuseLinks } from "../local-dirs.js";
import { probeKernelFeatures, type KernelFeatures } from "./features.js";
import { mustRun, runLocal, spawnDetached } from "./local.js";
import { templatePath } from "../package-root.js";
import { sandboxPreconditions } from "./requirements.js";
import { hostNetns, sandboxDir, sandboxPrefix, switchNetns } from "./paths.js";

/**
 * The local sandbox: every host of the lab as network + PID + mount + UTS namespaces on this
 * machine, with its own sshd, its lab NIC on a shared "switch" namespace, and nothing in the
 * machine's own network namespace. The tool reaches each host's sshd on the host's loopback
 * through a proxy command (nsenter + socat), exactly like any ProxyCommand, so `lab up`
 * runs the very same SSH path as against real hosts.
 */
export interface SandboxHostState {
  name: string;
  netns: string;
  dir: string;
  /** PID (in this machine's view) of the host's PID 1 (tini). */
  pid1: number;
}

export interface SandboxState {
  lab: string;
  dir: string;
  switchNetns: string;
  hosts: SandboxHostState[];
  features: KernelFeatures;
  /** Per host: VLAN ids with a stand-in link (--vlan-standin). */
  standins: Record<string, number[]>;
  createdAt: string;
}

/**
 * Where SSH goes for the sandbox's hosts, built from the lab's names, never read back from
 * .lab/sandbox/<lab>/inventory.json (written for people and tools): a proxy command from a
 * file in the working directory would run as root.
 */
export function sandboxInventory(lab: Lab): Inventory {
  const dir = sandboxDir(lab.name);
  return {
    known_hosts: join(dir, "known_hosts"),
    hosts: Object.fromEntries(
      lab.hosts.map((h) => [
        h.name,
        {
          host: h.name,
          port: 22,
          user: "root",
          identity_file: join(dir, "id_ed25519"),
          proxy_command: proxyCommand(hostNetns(lab.name, h.name)),
        },
      ]),
    ),
  };
}

export const proxyCommand = (netns: string): string[] => [
  "/usr/bin/nsenter",
  `--net=/run/netns/${netns}`,
  "/usr/bin/socat",
  "STDIO",
  "TCP:127.0.0.1:22",
];

export async function readSandboxState(labName: string): Promise<SandboxState | undefined> {
  const file = join(sandboxDir(labName), "state.json");
  if (!existsSync(file)) return undefined;
  return JSON.parse(await readFile(file, "utf8")) as SandboxState;
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * state.json lies in the working directory, where a lab pack could bring one of its own: a
 * host's init is trusted (kept, signalled, entered) only when it is alive in the network
 * namespace this lab's sandbox gives that host, never a PID the file merely names.
 */
function sandboxInit(labName: string, host: SandboxHostState): boolean {
  if (
    host.netns !== hostNetns(labName, host.name) ||
    !Number.isInteger(host.pid1) ||
    host.pid1 <= 1 ||
    !alive(host.pid1)
  )
    return false;
  try {
    return statSync(`/proc/${host.pid1}/ns/net`).ino === statSync(`/run/netns/${host.netns}`).ino;
  } catch {
    return false;
  }
}

async function netnsList(): Promise<string[]> {
  const r = await runLocal("ip", ["netns", "list"]);
  return r.stdout
    .split("\n")
    .map((l) => l.split(" ")[0]!)
    .filter(Boolean);
}

/** True when every host of the lab is in the sandbox and running. */
export async function sandboxHealthy(lab: Lab): Promise<boolean> {
  const state = await readSandboxState(lab.name);
  if (!state) return false;
  const names = new Set(state.hosts.map((h) => h.name));
  return lab.hosts.every((h) => names.has(h.name)) && state.hosts.every((h) => sandboxInit(lab.name, h));
}

/** Remove every process, namespace and file of this lab's sandbox, and leftovers with its prefix. */
export async function destroySandbox(labName: string): Promise<{ removed: string[] }> {
  const removed: string[] = [];
  const state = await readSandboxState(labName);
  for (const host of state?.hosts ?? []) {
    // Killing a PID namespace's init kills every process in it; its mounts go with them.
    if (sandboxInit(labName, host)) {
      process.kill(host.pid1, "SIGKILL");
      removed.push(`${host.name}: processes`);
    }
  }
  for (const host of state?.hosts ?? []) {
    for (let i = 0; i < 100 && sandboxInit(labName, host); i++) await new Promise((r) => setTimeout(r, 20));
  }
  const prefix = sandboxPrefix(labName);
  for (const ns of await netnsList()) {
    if (!ns.startsWith(prefix)) continue;
    // Leftovers of a run whose state file is gone: whatever still runs in that namespace goes.
    const pids = (await runLocal("ip", ["netns", "pids", ns])).stdout.split(/\s+/).filter(Boolean).map(Number);
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
    await runLocal("ip", ["netns", "del", ns]);
    removed.push(`netns ${ns}`);
  }
  removed.push(...(await removeCgroups(labName)));
  const dir = sandboxDir(labName);
  if (existsSync(dir)) {
    await rm(join(dir, "hosts"), { recursive: true, force: true });
    await rm(join(dir, "state.json"), { force: true });
    await rm(join(dir, "inventory.json"), { force: true });
    await rm(join(dir, "known_hosts"), { force: true });
    await rm(join(dir, "ssh_config"), { force: true });
    removed.push(`files in ${dir}/`);
  }
  return { removed };
}

async function waitFor(
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

/** Create (or reuse, when healthy) the sandbox for a lab; returns its state. */
export async function createSandbox(
  lab: Lab,
  log: (line: string) => void = () => {},
  options: { vlanStandin?: boolean } = {},
): Promise<SandboxState> {
  sandboxPreconditions(lab.usesDocker);
  if (await sandboxHealthy(lab)) {
    log(`sandbox: reusing the running hosts of ${lab.name}`);
    const state = (await readSandboxState(lab.name))!;
    if (options.vlanStandin) await ensureStandins(lab, state, log);
    if (lab.usesDocker) await ensureDocker(state, log);
    return state;
  }
  const leftovers = await destroySandbox(lab.name);
  if (leftovers.removed.length > 0) log(`sandbox: removed leftovers (${leftovers.removed.join(", ")})`);

  const dir = sandboxDir(lab.name);
  refuseLinks(dir, "the sandbox's keys");
  await mkdir(join(dir, "hosts"), { recursive: true });
  // A new key pair for every new sandbox: none that came with the working directory, and files
  // created afresh (a link planted in their place is removed, never written through).
  const key = join(dir, "id_ed25519");
  await rm(key, { force: true });
  await rm(`${key}.pub`, { force: true });
  await rm(join(dir, "authorized_keys"), { force: true });
  await mustRun("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", `lab-sandbox-${lab.name}`, "-f", key]);
  await writeFile(join(dir, "authorized_keys"), await readFile(`${key}.pub`), { flag: "wx" });

  const features = await probeKernelFeatures(`${sandboxPrefix(lab.name)}probe`);
  const sw = switchNetns(lab.name);
  await mustRun("ip", ["netns", "add", sw]);
  await mustRun("ip", ["-n", sw, "link", "set", "lo", "up"]);
  await mustRun("ip", ["-n", sw, "link", "add", "lan", "type", "bridge", "stp_state", "0", "forward_delay", "0"]);
  await mustRun("ip", ["-n", sw, "link", "set", "lan", "up"]);

  const hosts: SandboxHostState[] = [];
  for (const [i, host] of lab.hosts.entries()) {
    const netns = hostNetns(lab.name, host.name);
    const hostDir = join(dir, "hosts", host.name);
    await mkdir(join(hostDir, "log"), { recursive: true });
    await mustRun("ip", ["netns", "add", netns]);
    await mustRun("ip", ["-n", netns, "link", "set", "lo", "up"]);
    // The lab NIC is one end of a veth; the other end is a port of the switch's LAN bridge.
    const port = `p${i + 1}`;
    await mustRun("ip", ["link", "add", host.nic, "netns", netns, "type", "veth", "peer", "name", port, "netns", sw]);
    await mustRun("ip", ["-n", sw, "link", "set", port, "master", "lan", "up"]);
    const prefix = host.address.includes(":") ? 64 : 24;
    await mustRun("ip", ["-n", netns, "addr", "add", `${host.address}/${prefix}`, "dev", host.nic]);
    await mustRun("ip", ["-n", netns, "link", "set", host.nic, "up"]);

    const logFile = join(hostDir, "log", "init.log");
    const fd = openSync(logFile, "a");
    // detached: a new session of its own (nsenter execs unshare, so this PID is unshare's).
    const unsharePid = spawnDetached(
      "nsenter",
      [
        `--net=/run/netns/${netns}`,
        "unshare",
        "--uts",
        "--mount",
        "--pid",
        "--fork",
        "--kill-child=SIGKILL",
        "--propagation",
        "private",
        templatePath("sandbox", "hostinit.sh"),
        host.name,
        hostDir,
        dir,
        `${lab.name}-${host.name}`,
      ],
      fd,
    );
    closeSync(fd);
    let pid1 = 0;
    await waitFor(
      `${host.name}'s init`,
      async () => {
        pid1 = await childOf(unsharePid);
        return pid1 > 0;
      },
      5000,
      logFile,
    );
    hosts.push({ name: host.name, netns, dir: hostDir, pid1 });
  }

  for (const host of hosts) {
    const logFile = join(host.dir, "log", "init.log");
    await waitFor(
      `sshd on ${host.name}`,
      async () => existsSync(join(host.dir, "host_key.pub")) && (await sshBanner(host.netns)),
      15_000,
      logFile,
    );
  }

  const knownHosts =
    hosts
      .map(
        (h) => `${h.name} ${readFileSync(join(h.dir, "host_key.pub"), "utf8").trim().split(" ").slice(0, 2).join(" ")}`,
      )
      .join("\n") + "\n";
  await writeFile(join(dir, "known_hosts"), knownHosts);
  const inventory = sandboxInventory(lab);
  await writeFile(join(dir, "inventory.json"), JSON.stringify(inventory, null, 2) + "\n");
  // For people: `ssh -F .lab/sandbox/<lab>/ssh_config docker01`.
  const sshConfig = hosts
    .map((h) =>
      [
        `Host ${h.name}`,
        "  User root",
        `  IdentityFile ${key}`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${join(dir, "known_hosts")}`,
        "  StrictHostKeyChecking yes",
        `  ProxyCommand ${proxyCommand(h.netns).join(" ")}`,
      ].join("\n"),
    )
    .join("\n");
  await writeFile(join(dir, "ssh_config"), sshConfig + "\n");
  const state: SandboxState = {
    lab: lab.name,
    dir,
    switchNetns: sw,
    hosts,
    features,
    standins: {},
    createdAt: new Date().toISOString(),
  };
  await writeFile(join(dir, "state.json"), JSON.stringify(state, null, 2) + "\n");
  if (options.vlanStandin) await ensureStandins(lab, state, log);
  if (lab.usesDocker) await ensureDocker(state, log);
  log(
    `sandbox: ${hosts.length} hosts up (${hosts.map((h) => h.name).join(", ")}); inventory ${join(dir, "inventory.json")}`,
  );
  return state;
}

async function childOf(pid: number): Promise<number> {
  try {
    const children = (await readFile(`/proc/${pid}/task/${pid}/children`, "utf8")).trim().split(/\s+/).filter(Boolean);
    return children.length > 0 ? Number(children[0]) : 0;
  } catch {
    return 0;
  }
}

async function sshBanner(netns: string): Promise<boolean> {
  const r = await runLocal(
    "/usr/bin/nsenter",
    [`--net=/run/netns/${netns}`, "/usr/bin/socat", "-T1", "STDIO", "TCP:127.0.0.1:22,connect-timeout=1"],
    { input: "", timeoutMs: 3000 },
  );
  return r.stdout.startsWith("SSH-2.0");
}

/** Run a command inside a sandbox host (all its namespaces), as if logged in there. */
const inHost = (host: SandboxHostState, ...command: string[]) => [
  "/usr/bin/nsenter",
  "-t",
  String(host.pid1),
  "-a",
  ...command,
];

/** Start each host's own dockerd and give it busybox:latest and registry:2 (built locally). */
export async function ensureDocker(state: SandboxState, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const images = await buildSandboxImages(join(dirname(state.dir), ".images"));
  await Promise.all(
    state.hosts.map(async (host) => {
      const [cmd, ...args] = inHost(host, "/usr/local/sbin/lab-sandbox-dockerd", "start");
      await mustRun(cmd!, args, { timeoutMs: 60_000 });
      for (const image of images) {
        const [c, ...a] = inHost(host, "docker", "image", "inspect", image.ref);
        if ((await runLocal(c!, a)).code === 0) continue;
        const importCommand = [
          ...inHost(host, "docker", "import", ...image.changes.flatMap((change) => ["-c", change]), "-", image.ref),
        ]
          .map(shellQuote)
          .join(" ");
        await mustRun("sh", ["-c", `${importCommand} < ${shellQuote(image.tarball)} >/dev/null`], {
          timeoutMs: 120_000,
        });
      }
    }),
  );
  log(
    `sandbox: dockerd and images ready on ${state.hosts.length} hosts in ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
}

/** dockerd's cgroups (--cgroup-parent=/lsb-<lab>-<host>) outlive it: remove them, deepest first. */
async function removeCgroups(labName: string): Promise<string[]> {
  const root = "/sys/fs/cgroup";
  const prefix = sandboxPrefix(labName);
  const removed = new Set<string>();
  // cgroup v2 has one tree; v1 has one per controller (/sys/fs/cgroup/memory/…).
  const trees = existsSync(root) ? [root, ...(await readdir(root)).map((d) => join(root, d))] : [];
  for (const tree of trees) {
    const entries = await readdir(tree).catch(() => [] as string[]);
    for (const entry of entries) {
      if (!entry.startsWith(prefix)) continue;
      await runLocal("find", [join(tree, entry), "-depth", "-type", "d", "-exec", "rmdir", "{}", "+"]);
      removed.add(`cgroup ${entry}`);
    }
  }
  return [...removed];
}

/**
 * --vlan-standin, for kernels without 802.1q: per host and lab VLAN, a veth already named
 * <nic>.<id> whose other end is a port of a switch bridge of that VLAN alone. Separate
 * layer-2 domains like real VLANs, but no tagging: tests must not claim they proved it.
 */
export async function ensureStandins(lab: Lab, state: SandboxState, log: (line: string) => void): Promise<void> {
  const made: string[] = [];
  state.standins ??= {};
  for (const vlan of lab.vlans) {
    const bridge = `vlan${vlan.id}`;
    if ((await runLocal("ip", ["-n", state.switchNetns, "link", "show", bridge])).code !== 0) {
      await mustRun("ip", [
        "-n",
        state.switchNetns,
        "link",
        "add",
        bridge,
        "type",
        "bridge",
        "stp_state",
        "0",
        "forward_delay",
        "0",
      ]);
      await mustRun("ip", ["-n", state.switchNetns, "link", "set", bridge, "up"]);
    }
    for (const [i, host] of state.hosts.entries()) {
      if (!vlan.hosts.includes(host.name)) continue;
      const nic = lab.hosts.find((h) => h.name === host.name)!.nic;
      const device = `${nic}.${vlan.id}`;
      if ((await runLocal("ip", ["-n", host.netns, "link", "show", device])).code !== 0) {
        const port = `v${vlan.id}p${i + 1}`;
        await mustRun("ip", [
          "link",
          "add",
          device,
          "netns",
          host.netns,
          "type",
          "veth",
          "peer",
          "name",
          port,
          "netns",
          state.switchNetns,
        ]);
        await mustRun("ip", ["-n", state.switchNetns, "link", "set", port, "master", bridge, "up"]);
        await mustRun("ip", ["-n", host.netns, "link", "set", device, "up"]);
        made.push(`${host.name}:${device}`);
      }
      state.standins[host.name] = [...new Set([...(state.standins[host.name] ?? []), vlan.id])];
    }
  }
  await writeFile(join(state.dir, "state.json"), JSON.stringify(state, null, 2) + "\n");
  if (made.length > 0) log(`sandbox: VLAN stand-ins ${made.join(", ")} (separate switch bridges, no 802.1q tagging)`);
}
