import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { validateText } from "../../src/labfile/validate.js";
import { expectedOutcome } from "../../src/topology/outcome.js";
import { resolveTopology } from "../../src/topology/topology.js";

/**
 * The expected outcome of a pair, as a table: (lab, from, to) → reachable or not, and the
 * reason a student reads. Every mode and segment kind has a row.
 */
const base = {
  name: "t",
  defaults: { ssh: { user: root() }, nic: "ens33", persist: "none" },
  hosts: { docker01: { address: "192.168.1.11" }, docker02: { address: "192.168.1.13" } },
};
function root() {
  return "root";
}

const ns = (host: string, kind: string, parent: string, mode: string | undefined, address: string, extra = {}) => ({
  host,
  interfaces: { [`i-${address.split("/")[0]!.replace(/[.:]/g, "")}`.slice(0, 15)]: { kind, parent, mode, address } },
  ...extra,
});
const net = (driver: string, parent: string, subnets: object[], extra = {}) => ({ driver, parent, subnets, ...extra });
const ctr = (host: string, network: string, ip: string) => ({ host, network, ip, image: "busybox:latest" });

/** The classic layout: containers in the hosts' own LAN /24, kept apart from them with ip_range. */
const classic = (shim: boolean) => ({
  hosts: {
    docker01: {
      address: "192.168.1.11",
      ...(shim ? { shim: { network: "lan_net", address: "192.168.1.120", route: "192.168.1.96/28" } } : {}),
    },
    docker02: { address: "192.168.1.13" },
  },
  networks: {
    lan_net: net("macvlan", "ens33", [
      {
        subnet: "192.168.1.0/24",
        gateway: "192.168.1.1",
        ip_range: "192.168.1.96/28",
        ...(shim ? { aux_addresses: { "docker01-shim": "192.168.1.120" } } : {}),
      },
    ]),
  },
  containers: { c1: ctr("docker01", "lan_net", "192.168.1.100"), c2: ctr("docker02", "lan_net", "192.168.1.101") },
});

/** Two VLANs joined by a router namespace r on docker01 at each subnet's gateway. */
const routed = (gateway20: string, forward = true, legs = ["172.16.10.1/24", "172.16.20.1/24"]) => ({
  modules: ["8021q"],
  vlans: { 10: {}, 20: {} },
  networks: {
    n10: net("macvlan", "ens33.10", [{ subnet: "172.16.10.0/24", gateway: "172.16.10.1" }]),
    n20: net("macvlan", "ens33.20", [{ subnet: "172.16.20.0/24", gateway: gateway20 }]),
  },
  containers: { c10: ctr("docker01", "n10", "172.16.10.10"), c20: ctr("docker02", "n20", "172.16.20.20") },
  namespaces: {
    r: {
      host: "docker01",
      forward,
      interfaces: {
        r10: { kind: "macvlan", parent: "ens33.10", address: legs[0] },
        r20: { kind: "macvlan", parent: "ens33.20", address: legs[1] },
      },
    },
  },
});

const table: { name: string; lab: object; from: string; to: string; expect: string; reason: RegExp }[] = [
  {
    name: "macvlan bridge: siblings on one host",
    lab: {
      namespaces: {
        a: ns("docker01", "macvlan", "ens33", "bridge", "10.0.0.1/24"),
        b: ns("docker01", "macvlan", "ens33", "bridge", "10.0.0.2/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "reachable",
    reason: /^macvlan bridge: siblings on ens33 talk inside docker01$/,
  },
  {
    name: "macvlan private: siblings isolated",
    lab: {
      namespaces: {
        a: ns("docker01", "macvlan", "ens33", "private", "10.0.0.1/24"),
        b: ns("docker01", "macvlan", "ens33", "private", "10.0.0.2/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "unreachable",
    reason: /^macvlan private: siblings on one parent are isolated/,
  },
  {
    name: "macvlan private across hosts: the LAN carries it",
    lab: {
      namespaces: {
        a: ns("docker01", "macvlan", "ens33", "private", "10.0.0.1/24"),
        b: ns("docker02", "macvlan", "ens33", "private", "10.0.0.2/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "reachable",
    reason: /^same segment \(the lab LAN\) and subnet$/,
  },
  {
    name: "macvlan vepa: siblings need a hairpin switch",
    lab: {
      namespaces: {
        a: ns("docker01", "macvlan", "ens33", "vepa", "10.0.0.1/24"),
        b: ns("docker01", "macvlan", "ens33", "vepa", "10.0.0.2/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "unreachable",
    reason: /^macvlan vepa: .*hairpin/,
  },
  {
    name: "macvtap bridge: siblings on one host",
    lab: {
      namespaces: {
        a: ns("docker01", "macvtap", "ens33", undefined, "10.0.0.1/24"),
        b: ns("docker01", "macvtap", "ens33", undefined, "10.0.0.2/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "reachable",
    reason: /^macvtap bridge: siblings/,
  },
  {
    name: "ipvlan l2: siblings on one host",
    lab: {
      namespaces: {
        a: ns("docker01", "ipvlan", "ens33", "l2", "10.0.0.1/24"),
        b: ns("docker01", "ipvlan", "ens33", "l2", "10.0.0.2/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "reachable",
    reason: /^ipvlan l2: siblings on ens33/,
  },
  {
    name: "ipvlan l3 containers on one host in two subnets: the parent routes",
    lab: {
      networks: {
        l3: net("ipvlan", "ens33", [{ subnet: "172.16.30.0/24" }, { subnet: "172.16.31.0/24" }], { mode: "l3" }),
      },
      containers: { a: ctr("docker01", "l3", "172.16.30.10"), b: ctr("docker01", "l3", "172.16.31.10") },
    },
    from: "a",
    to: "b",
    expect: "reachable",
    reason: /^ipvlan l3: the parent ens33 routes between subnets on docker01$/,
  },
  {
    name: "ipvlan l3 namespaces on one parent in two subnets, with default dev routes: the parent routes",
    lab: {
      namespaces: {
        a: ns("docker01", "ipvlan", "ens33", "l3", "10.50.1.1/24", { default_dev: "i-105011" }),
        b: ns("docker01", "ipvlan", "ens33", "l3", "10.50.2.1/24", { default_dev: "i-105021" }),
      },
    },
    from: "a",
    to: "b",
    expect: "reachable",
    reason: /^ipvlan l3: the parent ens33 routes between subnets on docker01$/,
  },
  {
    name: "ipvlan l3 namespaces in two subnets without routes: no route",
    lab: {
      namespaces: {
        a: ns("docker01", "ipvlan", "ens33", "l3", "10.50.1.1/24"),
        b: ns("docker01", "ipvlan", "ens33", "l3", "10.50.2.1/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "unreachable",
    reason: /^no shared segment and subnet$/,
  },
  {
    name: "ipvlan l3 across hosts: no ARP, no path",
    lab: {
      networks: { l3: net("ipvlan", "ens33", [{ subnet: "172.16.30.0/24" }], { mode: "l3" }) },
      containers: { a: ctr("docker01", "l3", "172.16.30.10"), b: ctr("docker02", "l3", "172.16.30.11") },
    },
    from: "a",
    to: "b",
    expect: "unreachable",
    reason: /^ipvlan l3: the LAN has no route/,
  },
  {
    name: "one macvlan network, two subnets: no router",
    lab: {
      networks: {
        two: net("macvlan", "ens33", [
          { subnet: "172.16.30.0/24", gateway: "172.16.30.1" },
          { subnet: "172.16.31.0/24", gateway: "172.16.31.1" },
        ]),
      },
      containers: { a: ctr("docker01", "two", "172.16.30.10"), b: ctr("docker02", "two", "172.16.31.10") },
    },
    from: "a",
    to: "b",
    expect: "unreachable",
    reason: /^different subnets of network two and no router between them$/,
  },
  {
    name: "same subnet on two VLANs: no layer-2 path",
    lab: {
      modules: ["8021q"],
      vlans: { 10: {}, 20: {} },
      namespaces: {
        a: ns("docker01", "macvlan", "ens33.10", undefined, "10.0.0.1/24"),
        b: ns("docker02", "macvlan", "ens33.20", undefined, "10.0.0.2/24"),
      },
    },
    from: "a",
    to: "b",
    expect: "unreachable",
    reason: /^same subnet, but VLAN 10 and VLAN 20 share no layer-2 path$/,
  },
  {
    name: "same VLAN across hosts, Docker trunk parent",
    lab: {
      modules: ["8021q"],
      networks: { t50: net("macvlan", "ens33.50", [{ subnet: "172.16.50.0/24", gateway: "172.16.50.1" }]) },
      containers: { a: ctr("docker01", "t50", "172.16.50.10"), b: ctr("docker02", "t50", "172.16.50.11") },
    },
    from: "a",
    to: "b",
    expect: "reachable",
    reason: /^same network t50 on VLAN 50$/,
  },
  {
    name: "host → its own macvlan container: the parent cannot reach its children",
    lab: classic(false),
    from: "docker01",
    to: "c1",
    expect: "unreachable",
    reason: /^a macvlan parent cannot reach its children: docker01's ens33 and c1 on it$/,
  },
  {
    name: "container → its own host: the same wall, the other way",
    lab: classic(false),
    from: "c1",
    to: "docker01",
    expect: "unreachable",
    reason: /^a macvlan parent cannot reach its children/,
  },
  {
    name: "host → the other host's container in its own LAN subnet",
    lab: classic(false),
    from: "docker01",
    to: "c2",
    expect: "reachable",
    reason: /^same segment \(the lab LAN\) and subnet$/,
  },
  {
    name: "host → its own container through its shim",
    lab: classic(true),
    from: "docker01",
    to: "c1",
    expect: "reachable",
    reason: /^docker01's shim is a macvlan sibling of the containers on ens33$/,
  },
  {
    name: "container → its own host that has a shim: the host answers on the shim",
    lab: classic(true),
    from: "c1",
    to: "docker01",
    expect: "reachable",
    reason: /^through docker01's shim lab-shim: the host answers for all its addresses on it/,
  },
  {
    name: "host → a container in a subnet it has no address in: no route",
    lab: {
      networks: { n: net("macvlan", "ens33", [{ subnet: "172.16.10.0/24" }]) },
      containers: { c: ctr("docker02", "n", "172.16.10.10") },
    },
    from: "docker01",
    to: "c",
    expect: "unreachable",
    reason: /^no route: docker01 has no address in 172\.16\.10\.0\/24/,
  },
  {
    name: "host → host on the lab LAN",
    lab: {},
    from: "docker01",
    to: "docker02",
    expect: "reachable",
    reason: /^same segment \(the lab LAN\) and subnet$/,
  },
  {
    name: "two VLANs through a router namespace",
    lab: routed("172.16.20.1"),
    from: "c10",
    to: "c20",
    expect: "reachable",
    reason: /^routed by r: VLAN 10 to VLAN 20 through its gateway 172\.16\.10\.1$/,
  },
  {
    name: "a router the replies do not come back through",
    lab: routed("172.16.20.254"),
    from: "c10",
    to: "c20",
    expect: "unreachable",
    reason: /no route back/,
  },
  {
    name: "a namespace on both VLANs that is not the gateway does not route",
    lab: routed("172.16.20.1", false, ["172.16.10.254/24", "172.16.20.254/24"]),
    from: "c10",
    to: "c20",
    expect: "unreachable",
    reason: /^different networks \(n10, n20\) and no router between them$/,
  },
  {
    name: "networks joined by a router outside the lab (checks.routed)",
    lab: { ...routed("172.16.20.1", false), namespaces: undefined, checks: { routed: [["n10", "n20"]] } },
    from: "c10",
    to: "c20",
    expect: "reachable",
    reason: /joined by a router \(checks\.routed\)/,
  },
];

describe("expected outcome of a pair (topology, pair) → outcome and reason", () => {
  for (const row of table) {
    it(row.name, () => {
      const result = validateText("t.yaml", stringify({ ...base, ...row.lab }));
      expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
      const lab = result.lab!;
      const topology = resolveTopology(lab);
      const endpoint = (name: string) => topology.endpoints.find((e) => e.name === name)!;
      const to = endpoint(row.to);
      const address = to.interfaces.flatMap((i) => i.addresses).find((a) => a.family === 4)!.ip;
      const outcome = expectedOutcome(topology, endpoint(row.from), to, address, lab.checks.routed);
      expect(outcome.expect, outcome.reason).toBe(row.expect);
      expect(outcome.reason).toMatch(row.reason);
    });
  }
});
