import { LabError } from "../errors.js";
import { dockerHosts } from "../plan/host-context.js";
import { quote } from "../plan/shell.js";
import type { HostFacts } from "../plan/types.js";
import type { Lab } from "../labfile/model.js";
import { resolveTopology } from "../topology/topology.js";
import type { Transport } from "../transport/types.js";

export type Feature = "vlan" | "macvlan" | "ipvlan" | "macvtap";

const FEATURE_NAMES: Record<Feature, string> = {
  vlan: "802.1q VLANs (module 8021q)",
  macvlan: "macvlan",
  ipvlan: "ipvlan",
  macvtap: "macvtap",
};

/** The kernel module behind each feature. */
const FEATURE_MODULES: Record<Feature, string> = {
  vlan: "8021q",
  macvlan: "macvlan",
  ipvlan: "ipvlan",
  macvtap: "macvtap",
};

/**
 * A feature is there when its module is loaded, or modprobe could load it (built-ins are
 * listed too). Only on a kernel with no loadable modules at all (no /lib/modules/<release>,
 * like this project's own CI kernel, whose built-ins may have no /sys/module entry) is it
 * tried for real, in a namespace that exists only for one `unshare -n`: there nothing can be
 * auto-loaded, so the preflight never changes which modules a host has loaded.
 */
const FEATURE_TESTS: Record<Feature, string> = {
  vlan: "ip link add link p0 name p0.10 type vlan id 10",
  macvlan: "ip link add link p0 name t0 type macvlan mode bridge",
  ipvlan: "ip link add link p0 name t0 type ipvlan mode l2",
  macvtap: "ip link add link p0 name t0 type macvtap mode bridge",
};

/** Which kernel features and programs each host needs for this lab, read off the resolved topology. */
export function requirements(
  lab: Lab,
  host: string,
): { features: Map<Feature, string>; docker: boolean; trunk: boolean; passthruParents: string[] } {
  const features = new Map<Feature, string>();
  const need = (f: Feature, why: string) => features.has(f) || features.set(f, why);
  const topology = resolveTopology(lab);
  const own = topology.interfaces.filter((i) => i.host === host);
  const vlans = own.filter((i) => i.kind === "vlan").map((i) => i.segment.slice(5));
  if (vlans.length > 0) need("vlan", `VLAN${vlans.length > 1 ? "s" : ""} ${vlans.join(", ")}`);
  const trunks = new Set(own.filter((i) => i.kind === "trunk").map((i) => i.name));
  for (const n of topology.networks.filter((n) => n.host === host)) {
    need(n.driver, `network ${n.name}`);
    // A parent Docker makes itself (trunk mode) needs 802.1q as much as the lab's own VLANs.
    if (trunks.has(n.parent)) need("vlan", `network ${n.name} on ${n.parent}`);
  }
  for (const ns of topology.endpoints.filter((e) => e.kind === "namespace" && e.host === host))
    for (const i of ns.interfaces) need(i.driver!, `namespace ${ns.name}`);
  for (const shim of own.filter((i) => i.kind === "shim")) need("macvlan", `the host shim ${shim.name}`);
  // passthru hands the whole parent to one child: fatal on the interface the SSH session rides on.
  const passthruParents = [
    ...new Set(
      [...own.filter((i) => i.kind === "child"), ...topology.networks.filter((n) => n.host === host)]
        .filter((x) => x.mode === "passthru")
        .map((x) => x.parent!),
    ),
  ];
  return { features, docker: dockerHosts(lab).includes(host), trunk: trunks.size > 0, passthruParents };
}

/**
 * Prints `ssh_on=PARENT ADDRESS` for each of `parents` holding the local address of an
 * established sshd connection: sshd's sockets, as ss sees them (no port assumed, IPv4-mapped
 * IPv6 unwrapped), against the parent's addresses.
 */
export function sshSessionScript(parents: string[]): string {
  if (parents.length === 0) return "";
  const locals =
    `ssh_locals=$(ss -Htnp state established 2>/dev/null | awk '/"sshd/ { print $3 }' | ` +
    `sed 's/:[0-9]*$//; s/^\\[//; s/\\]$//; s/^::ffff://')`;
  const perParent = parents.map(
    (p) =>
      `for a in $(ip -o addr show dev ${quote(p)} 2>/dev/null | awk '{ print $4 }' | cut -d/ -f1); do ` +
      `printf '%s\\n' "$ssh_locals" | grep -qxF "$a" && echo ${quote(`ssh_on=${p}`)}" $a"; done`,
  );
  return [locals, ...perParent].join("\n");
}

/** `features`: only those the host needs are tested (each may cost a namespace here); default all. */
export function preflightScript(features: Feature[] = Object.keys(FEATURE_TESTS) as Feature[]): string {
  const tests = features
    .map((f) => {
      const module = FEATURE_MODULES[f];
      const tryIt = `{ [ ! -d /lib/modules/$(uname -r) ] && unshare -n sh -c 'ip link add p0 type veth peer name p1 && ${FEATURE_TESTS[f]}'; }`;
      return `if [ -d /sys/module/${module} ] || modprobe -n -q ${module} 2>/dev/null || ${tryIt} >/dev/null 2>&1; then echo ${f}=1; else echo ${f}=0; fi`;
    })
    .join("\n");
  return [
    "echo uid=$(id -u)",
    // A POSIX sh exits when `.` cannot read its file: test first.
    "[ -r /etc/os-release ] && . /etc/os-release; echo os_id=${ID:-unknown}; echo os_like=${ID_LIKE:-}",
    "command -v ip >/dev/null && echo ip=1 || echo ip=0",
    tests,
    // Only whether it is there: the probe reads Docker's state through its API (docker-state.ts).
    "command -v docker >/dev/null && [ -S /var/run/docker.sock ] && echo docker=1 || echo docker=0",
  ].join("\n");
}

export interface PreflightResult {
  facts: HostFacts;
  features: Record<Feature, boolean>;
}

/** The values of every `key=value` line for one key (a key may repeat). */
const lines = (stdout: string, key: string): string[] =>
  stdout
    .split("\n")
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1).trim());

export function osFamily(id: string, like: string): HostFacts["os"] | undefined {
  const words = `${id} ${like}`.split(/\s+/);
  if (words.some((w) => ["rhel", "fedora", "centos", "rocky", "almalinux"].includes(w))) return "rhel";
  if (words.some((w) => ["debian", "ubuntu"].includes(w))) return "debian";
  return undefined;
}

/** Run the preflight on one host; throws LabError (exit 3) naming what is missing. */
export async function preflight(
  lab: Lab,
  transport: Transport,
  options: { vlanStandin?: boolean } = {},
): Promise<PreflightResult> {
  const host = lab.hosts.find((h) => h.name === transport.host)!;
  const need = requirements(lab, host.name);
  const script = [preflightScript([...need.features.keys()]), sshSessionScript(need.passthruParents)];
  const r = await transport.exec(script.filter(Boolean).join("\n"), { timeoutMs: 30_000, retrySafe: true });
  if (r.code !== 0 && /sudo/.test(r.stderr)) {
    throw new LabError(
      `sudo does not work without a prompt: ${r.stderr.trim()} (allow NOPASSWD for this user, or set sudo: { password_env: VAR })`,
      "sudo",
      host.name,
      "preflight",
    );
  }
  const values = Object.fromEntries(
    r.stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
  );
  if (values.uid !== "0") {
    throw new LabError(
      `commands run as uid ${values.uid ?? "?"}, not root: set sudo: true (or log in as root)`,
      "not-root",
      host.name,
      "preflight",
    );
  }
  if (values.ip !== "1")
    throw new LabError("the ip command (iproute2) is missing", "no-iproute2", host.name, "preflight");
  const detected = osFamily(values.os_id ?? "", values.os_like ?? "");
  const os = host.os !== "auto" ? host.os : (detected ?? "rhel");
  const features = {
    vlan: values.vlan === "1",
    macvlan: values.macvlan === "1",
    ipvlan: values.ipvlan === "1",
    macvtap: values.macvtap === "1",
  };
  // Stand-ins replace the lab's own VLAN sub-interfaces, not the ones Docker makes in trunk mode.
  const standIn = (f: Feature) => f === "vlan" && options.vlanStandin === true && !need.trunk;
  const missing = [...need.features].filter(([f]) => !features[f] && !standIn(f));
  if (missing.length > 0) {
    const list = missing.map(([f, why]) => `${FEATURE_NAMES[f]} (needed by ${why})`).join("; ");
    const hint =
      missing.some(([f]) => f === "vlan") && !need.trunk && !options.vlanStandin
        ? " (in the sandbox, --vlan-standin gives each VLAN a separate stand-in link)"
        : "";
    throw new LabError(
      `this kernel lacks ${list}; nothing was changed${hint}`,
      "kernel-feature",
      host.name,
      "preflight",
    );
  }
  const sshOn = lines(r.stdout, "ssh_on")[0];
  if (sshOn) {
    const [parent, address] = sshOn.split(" ");
    throw new LabError(
      `mode passthru on ${parent} would hand that interface to one child, and this SSH session runs over it (sshd on ${address}): lab would cut itself off; give the passthru child another parent (a VLAN sub-interface or a second NIC); nothing was changed`,
      "passthru-ssh",
      host.name,
      "preflight",
    );
  }
  if (need.docker && values.docker !== "1") {
    throw new LabError(
      "Docker is needed here but there is no docker command or no running daemon (no /var/run/docker.sock; install docker.io / docker-ce and start it)",
      "no-docker",
      host.name,
      "preflight",
    );
  }
  return {
    facts: { os, detected: host.os !== "auto" || detected !== undefined },
    features,
  };
}

/**
 * Preflight every host at once and gather their facts. Any host that cannot take part stops
 * the whole run before a change anywhere: one error naming every such host (exit 3).
 */
export async function preflightAll(
  lab: Lab,
  transports: Map<string, Transport>,
  options: { vlanStandin: boolean; standins: Record<string, number[]> },
): Promise<Record<string, HostFacts>> {
  const results = await Promise.allSettled(
    [...transports.values()].map(
      async (t) => [t.host, await preflight(lab, t, { vlanStandin: options.vlanStandin })] as const,
    ),
  );
  const failures = results
    .filter((r): r is PromiseRejectedResult => r.status === "rejected")
    .map((r) => r.reason as Error);
  if (failures.length > 0)
    throw new LabError(failures.map((f) => (f instanceof LabError ? f.located : f.message)).join("\n"), "preflight");
  const facts: Record<string, HostFacts> = {};
  for (const r of results)
    if (r.status === "fulfilled")
      facts[r.value[0]] = { ...r.value[1].facts, vlanStandins: options.standins[r.value[0]] };
  return facts;
}
