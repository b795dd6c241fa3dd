import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { pathText } from "../../src/labfile/issues.js";
import { checkRules, validateText } from "../../src/labfile/validate.js";
import { labSchema } from "../../src/labfile/schema.js";

/**
 * Unit tests per rule module (src/labfile/rules/*.ts), each on a small valid lab with one
 * patch applied: a failing case and a near miss that must stay valid.
 */

type Patch = { [key: string]: unknown };

/** Two hosts, VLAN 10, one macvlan network on it, one container per host. Valid. */
const base: Patch = {
  name: "unit",
  hosts: { docker01: { address: "192.168.1.11" }, docker02: { address: "192.168.1.13" } },
  vlans: { 10: { gateway: "192.168.10.2", addresses: { docker01: "192.168.10.10/24", docker02: "192.168.10.11/24" } } },
  networks: {
    mac_net10: {
      driver: "macvlan",
      parent: "ens33.10",
      subnets: [{ subnet: "172.16.10.0/24", gateway: "172.16.10.1" }],
    },
  },
  containers: {
    bbox10: { host: "docker01", network: "mac_net10", ip: "172.16.10.10", image: "busybox:latest" },
    bbox11: { host: "docker02", network: "mac_net10", ip: "172.16.10.11", image: "busybox:latest" },
  },
};

const isMap = (v: unknown): v is Patch => typeof v === "object" && v !== null && !Array.isArray(v);

/** Deep merge: maps merge, anything else replaces, null deletes the key. */
function merge(target: Patch, patch: Patch): Patch {
  const out: Patch = { ...target };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else if (isMap(value) && isMap(out[key])) out[key] = merge(out[key], value);
    else out[key] = value;
  }
  return out;
}

const validate = (patch: Patch = {}, from: Patch = base) => validateText("unit.yaml", stringify(merge(from, patch)));

/** Issues as `severity path: message`, in the validator's order. */
const issuesOf = (patch: Patch = {}, from: Patch = base): string[] =>
  validate(patch, from).issues.map((i) => `${i.severity} ${pathText(i.path)}: ${i.message}`);

/** Exactly one error, at `path`, whose message contains every fragment. */
function expectOneError(patch: Patch, path: string, ...fragments: string[]): string {
  const issues = issuesOf(patch);
  expect(issues, issues.join("\n")).toHaveLength(1);
  const issue = issues[0]!;
  expect(issue.startsWith(`error ${path}: `), issue).toBe(true);
  for (const f of fragments) expect(issue).toContain(f);
  return issue;
}

const expectValid = (patch: Patch, from: Patch = base) => {
  expect(issuesOf(patch, from)).toEqual([]);
  expect(validate(patch, from).ok).toBe(true);
};

const container = (host: string, ip: string | undefined, network = "mac_net10") => ({
  host,
  network,
  ...(ip ? { ip } : {}),
  image: "busybox:latest",
});

describe("the base lab", () => {
  it("is valid, with no warning", () => {
    const result = validate();
    expect(result.issues).toEqual([]);
    expect(result.ok).toBe(true);
    expect(result.lab?.containers.map((c) => c.name)).toEqual(["bbox10", "bbox11"]);
  });
});

describe("rules/references", () => {
  it("a container on an undefined host, with did-you-mean", () => {
    expectOneError(
      { containers: { bbox11: { host: "docker2" } } },
      "containers.bbox11.host",
      "host 'docker2' is not defined; did you mean 'docker02'?",
    );
  });

  it("a container on an undefined network", () => {
    expectOneError(
      { containers: { bbox11: { network: "mac_net01" } } },
      "containers.bbox11.network",
      "network 'mac_net01' is not defined; did you mean 'mac_net10'?",
    );
  });

  it("no did-you-mean when nothing is close", () => {
    const issue = expectOneError(
      { containers: { bbox11: { host: "web" } } },
      "containers.bbox11.host",
      "host 'web' is not defined",
    );
    expect(issue).not.toContain("did you mean");
  });

  it("a container on a host its network is not created on; fine once the host is listed", () => {
    expectOneError(
      { networks: { mac_net10: { hosts: ["docker01"] } } },
      "containers.bbox11.host",
      "network 'mac_net10' is not created on host 'docker02'",
    );
    expectValid({ networks: { mac_net10: { hosts: ["docker01", "docker02"] } } });
  });

  it("VLAN hosts and addresses must name defined hosts in the VLAN's hosts list", () => {
    expectOneError(
      { vlans: { 10: { hosts: ["docker01", "docker03"], addresses: { docker02: null } } } },
      "vlans.10.hosts[1]",
      "host 'docker03' is not defined",
    );
    expectOneError(
      {
        vlans: { 10: { hosts: ["docker01"] } },
        networks: { mac_net10: { hosts: ["docker01"] } },
        containers: { bbox11: null },
      },
      "vlans.10.addresses.docker02",
      "host 'docker02' has an address on VLAN 10 but is not in its hosts list",
    );
  });

  it("explicit checks: targets must exist, and not be the same endpoint twice", () => {
    expectOneError(
      { checks: { explicit: [{ from: "bbox10", to: "bbox12", expect: "reachable" }] } },
      "checks.explicit[0].to",
      "'bbox12' is not defined; did you mean",
    );
    expectOneError(
      { checks: { explicit: [{ from: "bbox10", to: "bbox10", expect: "reachable" }] } },
      "checks.explicit[0]",
      "a check from 'bbox10' to itself proves nothing",
    );
    expectValid({ checks: { explicit: [{ from: "bbox10", to: "bbox11", expect: "reachable" }] } });
  });

  it("routed pairs name networks", () => {
    expectOneError(
      { checks: { routed: [["mac_net10", "mac_net20"]] } },
      "checks.routed[0][1]",
      "network 'mac_net20' is not defined",
    );
  });

  it("a host cannot jump through itself, through defaults or its own ssh settings", () => {
    expectOneError(
      { hosts: { docker02: { ssh: { jump: "docker02" } } } },
      "hosts.docker02.ssh.jump",
      "host 'docker02' cannot be its own jump host",
    );
    expectOneError(
      { defaults: { ssh: { jump: "docker01" } } },
      "defaults.ssh.jump",
      "host 'docker01' cannot be its own jump host",
    );
    expectValid({ hosts: { docker02: { ssh: { jump: "docker01" } } } });
  });

  it("a container and a namespace cannot share a name", () => {
    const namespaces = {
      bbox11: { host: "docker01", interfaces: { mv1: { kind: "macvlan", parent: "ens33", address: "10.20.0.11/24" } } },
    };
    expectOneError({ namespaces }, "containers.bbox11", "'bbox11' names both a container and a namespace");
  });

  it("a lab needs a host", () => {
    expect(issuesOf({}, { name: "unit", hosts: {} })).toEqual(["error hosts: a lab needs at least one host"]);
  });

  it("the registry host must exist (checked on the rules alone, see the report: validateText throws here)", () => {
    const raw = labSchema.parse(merge(base, { registry: { host: "docker03" } }));
    expect(checkRules(raw).map((i) => `${pathText(i.path)}: ${i.message}`)).toEqual([
      "registry.host: host 'docker03' is not defined; did you mean 'docker01'?",
    ]);
    expectValid({ registry: { host: "docker01" } });
  });
});

describe("rules/interfaces", () => {
  const vlanOnly = (id: number | string, vlan: Patch = {}): string[] =>
    issuesOf(
      { vlans: { [String(id)]: vlan }, networks: null, containers: null },
      { name: "unit", hosts: base.hosts as Patch },
    );

  it("accepts every VLAN id from 1 to 4094", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 4094 }), (id) => vlanOnly(id).length === 0),
      { numRuns: 200 },
    );
    expect(vlanOnly(1)).toEqual([]);
    expect(vlanOnly(4094)).toEqual([]);
  });

  it("rejects VLAN id 0 and anything from 4095 up", () => {
    const rejected = (id: number) => {
      const issues = vlanOnly(id);
      return (
        issues.length === 1 &&
        issues[0]!.startsWith(`error vlans.${id}: `) &&
        /out of range|a VLAN id is a whole number from 1 to 4094/.test(issues[0]!)
      );
    };
    fc.assert(fc.property(fc.oneof(fc.constant(0), fc.integer({ min: 4095, max: 1_000_000 })), rejected), {
      numRuns: 200,
    });
    expect(vlanOnly(4095)).toEqual([
      "error vlans.4095: VLAN id 4095 is out of range: 802.1q ids are 1 to 4094 (0 and 4095 are reserved)",
    ]);
    expect(vlanOnly(0)).toEqual(["error vlans.0: bad name '0': a VLAN id is a whole number from 1 to 4094"]);
  });

  it("the derived VLAN interface nic.ID must fit in 15 characters (boundary: 15 passes, 16 fails)", () => {
    const hosts = { docker01: { address: "192.168.1.11", nic: "enp0s31f6abcd" } };
    const lab = (id: number) => issuesOf({ vlans: { [id]: {} } }, { name: "unit", hosts });
    expect(lab(9)).toEqual([]); // enp0s31f6abcd.9, 15 characters
    expect(lab(10)).toEqual([
      "error vlans.10: on docker01 the VLAN interface would be 'enp0s31f6abcd.10' (16 characters); the kernel allows 15",
    ]);
  });

  it("a network's mode must belong to its driver", () => {
    expectOneError(
      { networks: { mac_net10: { driver: "ipvlan", mode: "bridge" } } },
      "networks.mac_net10.mode",
      "mode 'bridge' is not an ipvlan mode (use l2, l3, l3s)",
    );
    expectOneError(
      { networks: { mac_net10: { mode: "l3" } } },
      "networks.mac_net10.mode",
      "mode 'l3' is not a macvlan mode",
    );
    expectValid({ networks: { mac_net10: { driver: "ipvlan", mode: "l2" } } });
    expectValid({ networks: { mac_net10: { mode: "vepa" } } });
  });

  it("a network's parent must be the NIC, a lab VLAN or NIC.ID (Docker's trunk mode)", () => {
    const issues = issuesOf({ networks: { mac_net10: { parent: "eth1" } } });
    expect(issues).toHaveLength(2); // once per host: the advice names each host's NIC
    expect(issues[0]).toContain(
      "error networks.mac_net10.parent: parent 'eth1' is not an interface the lab knows on docker01",
    );
    expect(issues[1]).toContain("on docker02");
    expectValid({ networks: { mac_net10: { parent: "ens33.50" } } }); // trunk: Docker creates ens33.50
  });

  it("an out-of-range trunk VLAN is reported once, not once per host", () => {
    expect(issuesOf({ networks: { mac_net10: { parent: "ens33.4095" } } })).toEqual([
      "error networks.mac_net10.parent: VLAN id 4095 in parent 'ens33.4095' is out of range (1 to 4094)",
    ]);
  });

  const ipvlanOn = (parent: string) => ({
    networks: { ipv: { driver: "ipvlan", parent, mode: "l2", subnets: [{ subnet: "172.16.30.0/24" }] } },
  });

  it("macvlan and ipvlan cannot share a parent; on different parents they can", () => {
    expectOneError(
      ipvlanOn("ens33.10"),
      "networks.ipv.parent",
      "network ipv puts an ipvlan child on ens33.10 (on docker01, docker02), where network mac_net10 puts a macvlan child",
    );
    expectValid(ipvlanOn("ens33.20"));
  });

  it("a namespace macvtap on the same parent as an ipvlan network also conflicts", () => {
    const ns = {
      namespaces: {
        ns1: { host: "docker01", interfaces: { mv1: { kind: "macvtap", parent: "ens33", address: "10.20.0.11/24" } } },
      },
    };
    expectOneError(
      { ...ipvlanOn("ens33"), ...ns },
      "networks.ipv.parent",
      "where namespace ns1 interface mv1 puts a macvtap child",
    );
  });

  const passthru = (hosts?: string[]) => ({
    networks: {
      pass: {
        driver: "macvlan",
        parent: "ens33.10",
        mode: "passthru",
        subnets: [{ subnet: "172.16.30.0/24" }],
        ...(hosts ? { hosts } : {}),
      },
    },
  });

  it("passthru allows a single child on its parent", () => {
    expectOneError(
      passthru(),
      "networks.pass.parent",
      "network pass uses passthru mode on ens33.10 (on docker01, docker02), which allows a single child, but network mac_net10 also uses that parent",
    );
    expectValid({
      ...passthru(["docker02"]),
      networks: { ...passthru(["docker02"]).networks, mac_net10: { hosts: ["docker01"] } },
      containers: { bbox11: null },
    });
  });

  it("namespace interfaces: parent must exist on the namespace's host, mode must fit the kind", () => {
    const ns = (iface: Patch) => ({
      namespaces: {
        ns1: { host: "docker01", interfaces: { mv1: { kind: "macvlan", address: "10.20.0.11/24", ...iface } } },
      },
    });
    expectOneError(
      ns({ parent: "eth1" }),
      "namespaces.ns1.interfaces.mv1.parent",
      "parent 'eth1' does not exist on docker01",
    );
    expectOneError(
      ns({ parent: "ens33.20" }),
      "namespaces.ns1.interfaces.mv1.parent",
      "parent 'ens33.20' does not exist on docker01",
    ); // no VLAN 20 in the lab
    expectOneError(
      ns({ parent: "ens33", mode: "l2" }),
      "namespaces.ns1.interfaces.mv1.mode",
      "mode 'l2' is not a macvlan mode",
    );
    expectValid(ns({ parent: "ens33.10", mode: "private" }));
  });

  it("a shim is a macvlan interface on a network created on its host", () => {
    const shim = { network: "mac_net10", address: "172.16.10.250" };
    const reserved = {
      networks: {
        mac_net10: {
          subnets: [{ subnet: "172.16.10.0/24", gateway: "172.16.10.1", aux_addresses: { shim: "172.16.10.250" } }],
        },
      },
    };
    expectOneError(
      {
        ...reserved,
        hosts: { docker01: { shim } },
        networks: { mac_net10: { ...reserved.networks.mac_net10, driver: "ipvlan" } },
      },
      "hosts.docker01.shim.network",
      "a shim is a host macvlan interface; network 'mac_net10' uses ipvlan",
    );
    expectOneError(
      {
        ...reserved,
        hosts: { docker01: { shim } },
        networks: { mac_net10: { ...reserved.networks.mac_net10, hosts: ["docker02"] } },
        containers: { bbox10: null },
      },
      "hosts.docker01.shim.network",
      "network 'mac_net10' is not created on docker01",
    );
    expectValid({ ...reserved, hosts: { docker01: { shim } } });
  });
});

describe("rules/subnets", () => {
  const subnet = (s: Patch) => ({ networks: { mac_net10: { subnets: [{ subnet: "172.16.10.0/24", ...s }] } } });

  it("a subnet with host bits set, with the corrected prefix", () => {
    expectOneError(
      { networks: { mac_net10: { subnets: [{ subnet: "172.16.10.7/24" }] } } },
      "networks.mac_net10.subnets[0].subnet",
      "subnet 172.16.10.7/24 has host bits set; write 172.16.10.0/24",
    );
  });

  const second = (sub: string) => ({
    networks: { mac_net20: { driver: "macvlan", parent: "ens33.20", subnets: [{ subnet: sub }] } },
  });

  it("overlapping subnets across networks fail; adjacent ones do not", () => {
    expectOneError(
      second("172.16.0.0/16"),
      "networks.mac_net20.subnets[0].subnet",
      "subnet 172.16.0.0/16 overlaps network mac_net10's subnet 172.16.10.0/24",
    );
    expectValid(second("172.16.11.0/24"));
  });

  it("overlapping subnets inside one network fail", () => {
    const two = {
      networks: { mac_net10: { subnets: [{ subnet: "172.16.10.0/24" }, { subnet: "172.16.10.128/25" }] } },
    };
    expectOneError(two, "networks.mac_net10.subnets[1].subnet", "overlaps another subnet of mac_net10 172.16.10.0/24");
  });

  it("the gateway must be inside the subnet, not its network or broadcast address", () => {
    expectOneError(
      subnet({ gateway: "172.16.11.1" }),
      "networks.mac_net10.subnets[0].gateway",
      "gateway 172.16.11.1 is not inside subnet 172.16.10.0/24",
    );
    expectOneError(
      subnet({ gateway: "172.16.10.0" }),
      "networks.mac_net10.subnets[0].gateway",
      "is the network address of 172.16.10.0/24",
    );
    expectOneError(
      subnet({ gateway: "172.16.10.255" }),
      "networks.mac_net10.subnets[0].gateway",
      "is the broadcast address of 172.16.10.0/24",
    );
    expectValid(subnet({ gateway: "172.16.10.254" }));
  });

  it("ipvlan l3 warns that the gateway is ignored", () => {
    expect(issuesOf({ networks: { mac_net10: { driver: "ipvlan", mode: "l3" } } })).toEqual([
      "warning networks.mac_net10.subnets[0].gateway: ipvlan l3 ignores the gateway: containers get a default route through their parent",
    ]);
  });

  it("ip_range must be inside the subnet and aligned", () => {
    expectOneError(
      { ...subnet({ ip_range: "172.16.0.0/23" }), containers: null },
      "networks.mac_net10.subnets[0].ip_range",
      "ip_range 172.16.0.0/23 is not inside subnet 172.16.10.0/24",
    );
    expectOneError(
      subnet({ ip_range: "172.16.10.9/28" }),
      "networks.mac_net10.subnets[0].ip_range",
      "ip_range 172.16.10.9/28 has host bits set; write 172.16.10.0/28",
    );
    expectValid(subnet({ ip_range: "172.16.10.0/28" }));
  });

  it("aux addresses: inside, not the gateway, not reserved twice", () => {
    const aux = (a: Patch) => subnet({ gateway: "172.16.10.1", aux_addresses: a });
    const at = "networks.mac_net10.subnets[0].aux_addresses";
    expectOneError(
      aux({ r: "172.16.20.1" }),
      `${at}.r`,
      "aux address r=172.16.20.1 is not inside subnet 172.16.10.0/24",
    );
    expectOneError(aux({ r: "172.16.10.1" }), `${at}.r`, "aux address r=172.16.10.1 is the gateway");
    expectOneError(
      aux({ a: "172.16.10.250", b: "172.16.10.250" }),
      `${at}.b`,
      "aux address b=172.16.10.250 is already reserved as a",
    );
    expectValid(aux({ a: "172.16.10.250", b: "172.16.10.251" }));
  });

  it("a VLAN gateway must be inside the subnet of the VLAN's addresses", () => {
    expectOneError(
      { vlans: { 10: { gateway: "192.168.20.1" } } },
      "vlans.10.gateway",
      "gateway 192.168.20.1 is not inside VLAN 10's subnet (192.168.10.0/24, from its addresses)",
    );
    expectValid({ vlans: { 10: { gateway: "192.168.10.254" } } });
  });

  it("a VLAN address cannot be its subnet's network or broadcast address", () => {
    expectOneError(
      { vlans: { 10: { addresses: { docker02: ["192.168.10.255/24"] } } } },
      "vlans.10.addresses.docker02[0]",
      "192.168.10.255/24 is the broadcast address of its subnet",
    );
  });
});

describe("rules/addresses", () => {
  it("the classic mistake: one IP on two containers on different hosts, explained with both names and a free address", () => {
    const issue = expectOneError(
      { containers: { bbox11: { ip: "172.16.10.10" } } },
      "containers.bbox11.ip",
      "172.16.10.10 is used twice on VLAN 10",
    );
    expect(issue).toContain(
      "by container bbox10 on docker01 (containers.bbox10.ip) and by container bbox11 on docker02",
    );
    expect(issue).toContain("each host's Docker allocates on its own");
    expect(issue).toContain("172.16.10.11 is free");
  });

  it("the suggested free address skips taken, aux-reserved and out-of-range addresses", () => {
    const patch = {
      networks: {
        mac_net10: {
          subnets: [
            {
              subnet: "172.16.10.0/24",
              gateway: "172.16.10.1",
              ip_range: "172.16.10.0/28",
              aux_addresses: { shim: "172.16.10.12" },
            },
          ],
        },
      },
      containers: {
        bbox11: { ip: "172.16.10.10" },
        bbox12: container("docker02", "172.16.10.11"),
        bbox13: container("docker02", "172.16.10.13"),
      },
    };
    expectOneError(patch, "containers.bbox11.ip", "; 172.16.10.14 is free");
    const full = merge(patch, {
      containers: { bbox14: container("docker01", "172.16.10.14"), bbox15: container("docker01", "172.16.10.15") },
    });
    const issue = expectOneError(full, "containers.bbox11.ip", "172.16.10.10 is used twice");
    expect(issue).not.toContain("is free"); // the rest of the subnet is outside ip_range
  });

  it("a container on a host's VLAN interface address fails; the same address on another VLAN is fine", () => {
    const sameSegment = {
      vlans: {
        10: { addresses: { docker01: "172.16.10.50/24", docker02: "172.16.10.51/24" }, gateway: "172.16.10.1" },
      },
      containers: { bbox11: { ip: "172.16.10.51" } },
    };
    expectOneError(
      sameSegment,
      "containers.bbox11.ip",
      "172.16.10.51 is used twice on VLAN 10: by docker02's VLAN 10 interface (vlans.10.addresses.docker02) and by container bbox11 on docker02",
    );
    const otherSegment = {
      vlans: { 20: { addresses: { docker01: "172.16.10.50/24", docker02: "172.16.10.51/24" } } },
      containers: { bbox11: { ip: "172.16.10.51" } },
    };
    expectValid(otherSegment);
  });

  it("a container on a host's LAN address fails on the NIC; on a VLAN it is another segment", () => {
    const lanNetwork = (parent: string) => ({
      networks: { lan: { driver: "macvlan", parent, subnets: [{ subnet: "192.168.1.0/24" }] } },
      containers: { bbox12: container("docker01", "192.168.1.13", "lan") },
    });
    expectOneError(
      lanNetwork("ens33"),
      "containers.bbox12.ip",
      "192.168.1.13 is used twice on the lab LAN: by host docker02 (hosts.docker02.address)",
    );
    expectValid(lanNetwork("ens33.20"));
  });

  it("a gateway shared by the VLAN and its Docker network is fine; a container on it is not", () => {
    const vlan = {
      vlans: { 10: { gateway: "172.16.10.1", addresses: { docker01: "172.16.10.2/24", docker02: "172.16.10.3/24" } } },
    };
    expectValid(vlan);
    const issues = issuesOf({ ...vlan, containers: { bbox11: { ip: "172.16.10.1" } } });
    expect(issues).toHaveLength(2);
    expect(issues).toContain("error containers.bbox11.ip: 172.16.10.1 is the gateway of 172.16.10.0/24");
    expect(issues).toContainEqual(
      expect.stringContaining(
        "error containers.bbox11.ip: 172.16.10.1 is the address of the VLAN 10 gateway (vlans.10.gateway), a router on VLAN 10",
      ),
    );
  });

  it("namespaces on one segment cannot share an address; on different segments they can", () => {
    const ns = (parent2: string) => ({
      namespaces: {
        ns1: { host: "docker01", interfaces: { mv1: { kind: "macvlan", parent: "ens33", address: "10.20.0.11/24" } } },
        ns2: { host: "docker02", interfaces: { mv2: { kind: "macvlan", parent: parent2, address: "10.20.0.11/24" } } },
      },
    });
    expectOneError(
      ns("ens33"),
      "namespaces.ns2.interfaces.mv2.address",
      "10.20.0.11 is used twice on the lab LAN: by namespace ns1 (docker01) mv1",
    );
    expectValid(ns("ens33.10"));
  });

  it("a container IP must be a usable address of its subnet", () => {
    const ip = (value: string) => ({ containers: { bbox11: { ip: value } } });
    expectOneError(
      ip("172.16.20.11"),
      "containers.bbox11.ip",
      "172.16.20.11 is not inside mac_net10's subnet 172.16.10.0/24",
    );
    expectOneError(ip("172.16.10.0"), "containers.bbox11.ip", "172.16.10.0 is the network address of 172.16.10.0/24");
    expectOneError(
      ip("172.16.10.255"),
      "containers.bbox11.ip",
      "172.16.10.255 is the broadcast address of 172.16.10.0/24",
    );
    expectValid(ip("172.16.10.254"));
  });

  it("a container IP reserved as an aux address fails; the next one is fine", () => {
    const aux = (value: string) => ({
      networks: { mac_net10: { subnets: [{ subnet: "172.16.10.0/24", aux_addresses: { shim: "172.16.10.250" } }] } },
      containers: { bbox11: { ip: value } },
    });
    expectOneError(aux("172.16.10.250"), "containers.bbox11.ip", "172.16.10.250 is reserved as aux address 'shim'");
    expectValid(aux("172.16.10.251"));
  });

  it("a static IP outside ip_range fails; inside passes", () => {
    const range = (value: string) => ({
      networks: { mac_net10: { subnets: [{ subnet: "172.16.10.0/24", ip_range: "172.16.10.0/25" }] } },
      containers: { bbox11: { ip: value } },
    });
    expectOneError(range("172.16.10.200"), "containers.bbox11.ip", "172.16.10.200 is outside ip_range 172.16.10.0/25");
    expectValid(range("172.16.10.126"));
  });

  it("an IPv6 address needs an IPv6 subnet", () => {
    const v6 = { containers: { bbox11: { ipv6: "fd00:10::11" } } };
    expectOneError(v6, "containers.bbox11.ipv6", "network mac_net10 has no IPv6 subnet for fd00:10::11");
    expectValid(
      merge(v6, { networks: { mac_net10: { subnets: [{ subnet: "172.16.10.0/24" }, { subnet: "fd00:10::/64" }] } } }),
    );
  });

  it("a container without a fixed address is a warning, not an error", () => {
    const result = validate({ containers: { bbox11: { ip: null } } });
    expect(result.ok).toBe(true);
    expect(result.issues.map((i) => `${i.severity} ${pathText(i.path)}`)).toEqual(["warning containers.bbox11"]);
    expect(result.issues[0]!.message).toContain("container bbox11 has no fixed ip");
  });

  it("a shim address should be reserved in aux_addresses, and must be inside the subnet", () => {
    expect(issuesOf({ hosts: { docker01: { shim: { network: "mac_net10", address: "172.16.10.250" } } } })).toEqual([
      "warning hosts.docker01.shim.address: reserve 172.16.10.250 in mac_net10's aux_addresses so Docker never gives it to a container",
    ]);
    expectOneError(
      { hosts: { docker01: { shim: { network: "mac_net10", address: "172.16.11.250" } } } },
      "hosts.docker01.shim.address",
      "shim address 172.16.11.250 is not inside mac_net10's subnets",
    );
  });
});

describe("rules/targets", () => {
  const check = (to: string, ipv6?: boolean) => ({
    checks: { explicit: [{ from: "bbox10", to, expect: "reachable", ...(ipv6 ? { ipv6 } : {}) }] },
  });

  it("an explicit check to a container without an ip fails; with one it passes", () => {
    const issues = issuesOf({ ...check("bbox11"), containers: { bbox11: { ip: null } } });
    expect(issues).toEqual([
      expect.stringMatching(/^warning containers\.bbox11: container bbox11 has no fixed ip/),
      "error checks.explicit[0].to: container bbox11 has no fixed ip to ping; give it one",
    ]);
    expectValid(check("bbox11"));
  });

  it("an IPv6 check needs the target's ipv6", () => {
    expectOneError(check("bbox11", true), "checks.explicit[0].to", "container bbox11 has no fixed ipv6 to ping");
    const dual = {
      networks: { mac_net10: { subnets: [{ subnet: "172.16.10.0/24" }, { subnet: "fd00:10::/64" }] } },
      containers: { bbox11: { ipv6: "fd00:10::11" } },
    };
    expectValid({ ...check("bbox11", true), ...dual });
  });

  it("a namespace target needs an address of the checked family", () => {
    const namespaces = {
      ns1: { host: "docker02", interfaces: { mv1: { kind: "macvlan", parent: "ens33", address: "10.20.0.11/24" } } },
    };
    expectOneError(
      { ...check("ns1", true), namespaces },
      "checks.explicit[0].to",
      "namespace ns1 has no IPv6 address to ping",
    );
    expectValid({ ...check("ns1"), namespaces });
  });

  it("the registry's container name is taken", () => {
    const registry = { registry: { host: "docker01" } };
    expectOneError(
      { ...registry, containers: { "unit-registry": container("docker01", "172.16.10.20") } },
      "containers.unit-registry",
      "the name unit-registry is taken by the lab's registry container",
    );
    expectValid({ ...registry, containers: { "other-registry": container("docker01", "172.16.10.20") } });
  });

  it("containers need a networks section", () => {
    expect(issuesOf({ networks: null })).toEqual([
      "error containers: containers need networks: add a networks section",
      "error containers.bbox10.network: network 'mac_net10' is not defined (the lab defines no networks)",
      "error containers.bbox11.network: network 'mac_net10' is not defined (the lab defines no networks)",
    ]);
  });
});
