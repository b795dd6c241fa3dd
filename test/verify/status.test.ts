import { describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { validateText } from "../../src/labfile/validate.js";
import { statusScript } from "../../src/verify/status.js";

/** lab status reads, per host, what the plan puts there: the same hosts and interfaces. */
const lab = (extra: object) => {
  const result = validateText(
    "t.yaml",
    stringify({
      name: "t",
      defaults: { ssh: { user: "root" }, nic: "ens33", persist: "none" },
      hosts: { docker01: { address: "192.168.1.11" }, docker02: { address: "192.168.1.13" } },
      ...extra,
    }),
  );
  expect(result.issues.filter((i) => i.severity === "error")).toEqual([]);
  return result.lab!;
};

describe("lab status script", () => {
  it("lists the registry container on a registry host with no lab network or container", () => {
    const l = lab({
      registry: { host: "docker01", port: 5000, images: ["busybox:latest"] },
      networks: {
        n: { driver: "macvlan", parent: "ens33", hosts: ["docker02"], subnets: [{ subnet: "172.16.0.0/24" }] },
      },
      containers: { c: { host: "docker02", network: "n", ip: "172.16.0.10", image: "busybox:latest" } },
    });
    expect(statusScript(l, "docker01")).toContain("docker ps -aq --filter");
  });

  it("reads the host's NIC, its lab VLANs and its shim, not a parent Docker makes (trunk)", () => {
    const l = lab({
      modules: ["8021q"],
      vlans: { 10: {} },
      hosts: {
        docker01: { address: "192.168.1.11", shim: { network: "n", address: "172.16.0.250" } },
        docker02: { address: "192.168.1.13" },
      },
      networks: {
        n: { driver: "macvlan", parent: "ens33", subnets: [{ subnet: "172.16.0.0/24" }] },
        t: { driver: "macvlan", parent: "ens33.50", subnets: [{ subnet: "172.16.50.0/24" }] },
      },
    });
    const script = statusScript(l, "docker01");
    const read = [...script.matchAll(/^echo "if (\S+) /gm)].map((m) => m[1]);
    expect(read).toEqual(["ens33", "ens33.10", "lab-shim"]);
  });
});
