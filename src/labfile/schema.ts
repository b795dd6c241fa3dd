import { z } from "zod";
import { parseCidr, parseIp } from "../net/cidr.js";
import { MAX_INTERFACE_NAME, commandArg, patterns, type SafePattern } from "./patterns.js";

/**
 * The lab file's shape. Strict everywhere: an unknown key is an error (with a "did you
 * mean" added by zod-issues.ts). Cross-field rules live in rules/, not here.
 */

const safe = (pattern: SafePattern) => z.string().regex(pattern.regex, { message: `expected ${pattern.describe}` });

const ipAddress = z
  .string()
  .refine((v) => parseIp(v) !== undefined, { message: "expected an IP address such as 172.16.10.10 or fd00:10::10" });
const ipv4 = z
  .string()
  .refine((v) => parseIp(v)?.version === 4, { message: "expected an IPv4 address such as 172.16.10.10" });
const ipv6 = z
  .string()
  .refine((v) => parseIp(v)?.version === 6, { message: "expected an IPv6 address such as fd00:10::10" });
const cidr = z.string().refine((v) => parseCidr(v) !== undefined, {
  message: "expected an address with prefix length such as 172.16.10.0/24 or fd00:10::/64",
});
const interfaceName = safe(patterns.interfaceName).max(MAX_INTERFACE_NAME, {
  message: `interface names are at most ${MAX_INTERFACE_NAME} characters (the kernel's IFNAMSIZ limit)`,
});
const hostName = safe(patterns.hostName);
const port = z.number().int().min(1).max(65535);
const seconds = z.number().positive().max(3600);
const oneOrMany = <T extends z.ZodType>(item: T) => z.union([item, z.array(item).min(1)]);

export const osFamily = z.enum(["auto", "rhel", "debian"]).describe("OS family: auto-detected by lab up, or forced");
export const persistMode = z
  .enum(["auto", "ifcfg", "debian", "none"])
  .describe(
    "How VLAN interfaces survive a reboot: RHEL ifcfg files, Debian ifupdown stanzas, none (runtime only), or auto (by OS family)",
  );

const sudoSettings = z.union([
  z.boolean(),
  z.strictObject({
    password_env: safe(patterns.envVar).describe("Environment variable holding the sudo password (fed on stdin)"),
  }),
]);

const sshSettings = z
  .strictObject({
    host: safe(patterns.sshHost).describe("SSH target when it is not the host's lab address").optional(),
    port: port.optional(),
    user: safe(patterns.user).optional(),
    identity_file: safe(patterns.localPath).describe("Private key file on this machine").optional(),
    passphrase_env: safe(patterns.envVar).describe("Environment variable holding the key's passphrase").optional(),
    agent: z.boolean().describe("Use the SSH agent (SSH_AUTH_SOCK)").optional(),
    password_env: safe(patterns.envVar).describe("Environment variable holding the SSH password").optional(),
    jump: safe(patterns.jump).describe("Jump host: a host of this lab, or [user@]host[:port]").optional(),
    connect_timeout: seconds.optional(),
  })
  .describe("How to reach a host over SSH");

const shim = z
  .strictObject({
    network: safe(patterns.objectName).describe("Docker network whose containers the host should reach"),
    address: ipv4.describe("The host's own address on that network (reserve it with aux_addresses)"),
    name: interfaceName.describe("Interface name (default lab-shim)").optional(),
    route: cidr.describe("Route to the containers through the shim (default: the network's subnet)").optional(),
  })
  .describe("A host macvlan interface so the host can reach its own macvlan containers");

const host = z.strictObject({
  address: ipAddress.describe("The host's address on the lab NIC; the SSH target unless ssh.host is set"),
  ssh: sshSettings.optional(),
  sudo: sudoSettings.optional(),
  nic: interfaceName.describe("The lab NIC (parent of VLANs and networks), e.g. ens33").optional(),
  os: osFamily.optional(),
  persist: persistMode.optional(),
  promisc: z.boolean().optional(),
  modules: z.array(safe(patterns.moduleName)).optional(),
  shim: shim.optional(),
});

const defaults = z.strictObject({
  ssh: sshSettings.optional(),
  sudo: sudoSettings.optional(),
  nic: interfaceName.optional(),
  os: osFamily.optional(),
  persist: persistMode.optional(),
});

const vlanId = z.string().regex(/^[1-9][0-9]{0,3}$/, { message: "a VLAN id is a whole number from 1 to 4094" });

const vlan = z.strictObject({
  hosts: z.array(hostName).describe("Hosts that get this VLAN sub-interface (default: every host)").optional(),
  addresses: z
    .record(hostName, oneOrMany(cidr))
    .describe("Per host: address(es) with prefix on the sub-interface")
    .optional(),
  gateway: ipv4.describe("Written to the persistence file (GATEWAY=); never added as a runtime route").optional(),
  gateway6: ipv6.optional(),
  default_route: z
    .boolean()
    .describe(
      "true: at boot the persisted file makes this VLAN's gateway the host's default route (default false: DEFROUTE=no, no gateway line)",
    )
    .optional(),
});

const imageSeed = z.union([
  safe(patterns.imageRef),
  z.strictObject({
    ref: safe(patterns.imageRef),
    tarball: safe(patterns.localPath)
      .describe("A `docker save` tarball on this machine, loaded on the registry host")
      .optional(),
  }),
]);

const registry = z.strictObject({
  host: hostName,
  port: port.optional(),
  image: safe(patterns.imageRef).describe("The registry's own image (default registry:2)").optional(),
  images: z.array(imageSeed).describe("Images to push to the registry and pull on every other host").optional(),
});

export const macvlanModes = ["bridge", "private", "vepa", "passthru"] as const;
export const ipvlanModes = ["l2", "l3", "l3s"] as const;

const subnet = z.strictObject({
  subnet: cidr,
  gateway: ipAddress.optional(),
  ip_range: cidr.optional(),
  aux_addresses: z.record(safe(patterns.auxName), ipAddress).optional(),
});

const network = z.strictObject({
  driver: z.enum(["macvlan", "ipvlan"]),
  parent: interfaceName.describe(
    "A NIC, a VLAN sub-interface of this lab, or NIC.ID for Docker's own 802.1q trunk mode",
  ),
  mode: z.enum([...macvlanModes, ...ipvlanModes]).optional(),
  subnets: z.array(subnet).min(1),
  internal: z.boolean().optional(),
  hosts: z.array(hostName).describe("Hosts that get this network (default: every host)").optional(),
});

const container = z.strictObject({
  host: hostName,
  network: safe(patterns.objectName),
  ip: ipv4.optional(),
  ipv6: ipv6.optional(),
  image: safe(patterns.imageRef),
  command: z
    .union([z.string().regex(commandArg), z.array(z.string().regex(commandArg)).min(1)])
    .describe("Command and arguments; each argument is quoted. Default: the image's own (run with -dit)")
    .optional(),
});

const namespaceInterface = z.strictObject({
  kind: z.enum(["macvlan", "macvtap", "ipvlan"]),
  parent: interfaceName,
  mode: z.enum([...macvlanModes, ...ipvlanModes]).optional(),
  address: oneOrMany(cidr).optional(),
});

const namespace = z.strictObject({
  host: hostName,
  interfaces: z.record(interfaceName, namespaceInterface),
  gateway: ipAddress.describe("Default route inside the namespace").optional(),
  default_dev: interfaceName
    .describe(
      "Default route straight out of this interface of the namespace (ip route add default dev IF): ipvlan l3, where the parent routes",
    )
    .optional(),
  forward: z
    .boolean()
    .describe("A router: forward packets between the namespace's interfaces (net.ipv4/ipv6 forwarding on)")
    .optional(),
});

const explicitCheck = z.strictObject({
  from: safe(patterns.objectName),
  to: safe(patterns.objectName),
  expect: z.enum(["reachable", "unreachable"]),
  ipv6: z.boolean().describe("Ping the target's IPv6 address").optional(),
});

const checks = z.strictObject({
  matrix: z.boolean().describe("Every pair: same network reachable, otherwise unreachable").optional(),
  hosts: z
    .boolean()
    .describe("The matrix includes the hosts, pinging from each host's own network namespace")
    .optional(),
  routed: z
    .array(z.tuple([safe(patterns.objectName), safe(patterns.objectName)]))
    .describe("Pairs of networks joined by a router: the matrix expects them reachable")
    .optional(),
  explicit: z.array(explicitCheck).optional(),
  count: z.number().int().min(1).max(10).describe("Pings per pair (default 1)").optional(),
  timeout: seconds.describe("Seconds to wait for each reply (default 1)").optional(),
});

const timeouts = z.strictObject({
  connect: seconds.describe("SSH connect timeout in seconds (default 10)").optional(),
  command: seconds.describe("Per remote command, in seconds (default 120)").optional(),
});

export const labSchema = z
  .strictObject({
    name: safe(patterns.labName).describe("Prefix for labels, state and sandbox objects"),
    id: safe(patterns.labId)
      .describe(
        "Keeps this lab apart from another lab with the same name on the same hosts; lab up writes a fresh one when it is missing",
      )
      .optional(),
    description: z.string().optional(),
    defaults: defaults.optional(),
    hosts: z.record(hostName, host),
    modules: z.array(safe(patterns.moduleName)).describe("Kernel modules to load on every host").optional(),
    promisc: z.boolean().describe("Put every host's lab NIC in promiscuous mode").optional(),
    vlans: z.record(vlanId, vlan).optional(),
    registry: registry.optional(),
    networks: z.record(safe(patterns.objectName), network).optional(),
    containers: z.record(safe(patterns.objectName), container).optional(),
    namespaces: z.record(safe(patterns.namespaceName), namespace).optional(),
    checks: checks.optional(),
    timeouts: timeouts.optional(),
  })
  .describe("A lab: hosts, VLANs, Docker macvlan/ipvlan networks, registry, containers and the checks that prove them");

export type RawLab = z.output<typeof labSchema>;
export type RawHost = RawLab["hosts"][string];
export type RawNetwork = NonNullable<RawLab["networks"]>[string];
export type RawContainer = NonNullable<RawLab["containers"]>[string];
export type RawNamespace = NonNullable<RawLab["namespaces"]>[string];
export type RawVlan = NonNullable<RawLab["vlans"]>[string];
export type RawSubnet = RawNetwork["subnets"][number];

/** The JSON Schema editors use (draft-07, for the yaml-language-server). */
export function labJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(labSchema, { target: "draft-07", io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return { ...schema, $id: "https://lab.invalid/schema/lab.schema.json", title: "lab file" };
}
