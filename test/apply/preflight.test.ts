import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";
import { osFamily, preflight, preflightScript, requirements } from "../../src/apply/preflight.js";
import { EXIT, LabError } from "../../src/errors.js";
import type { Lab } from "../../src/labfile/model.js";
import { validateFile, validateText } from "../../src/labfile/validate.js";
import { FakeTransport } from "../helpers/fake-transport.js";

const root = fileURLToPath(new URL("../..", import.meta.url));
const labs: Record<string, Lab> = {};

beforeAll(async () => {
  for (const name of ["two-host-vlan", "macvlan-netns", "single-network"]) {
    const result = await validateFile(join(root, "labs", `${name}.yaml`));
    if (!result.lab) throw new Error(`labs/${name}.yaml does not validate`);
    labs[name] = result.lab;
  }
});

const features = (r: ReturnType<typeof requirements>) => Object.fromEntries(r.features);

describe("requirements", () => {
  it("two-host-vlan: VLANs, macvlan and Docker on both hosts", () => {
    for (const host of ["docker01", "docker02"]) {
      const r = requirements(labs["two-host-vlan"]!, host);
      expect(features(r)).toEqual({ vlan: "VLANs 10, 20", macvlan: "network mac_net10" });
      expect(r.docker).toBe(true);
    }
  });

  it("macvlan-netns: macvlan only, no Docker, no VLAN", () => {
    for (const host of ["docker01", "docker02"]) {
      const r = requirements(labs["macvlan-netns"]!, host);
      expect(features(r)).toEqual({ macvlan: "namespace " + (host === "docker01" ? "ns1" : "ns3") });
      expect(r.docker).toBe(false);
    }
  });

  it("single-network: macvlan and Docker, no VLAN", () => {
    const r = requirements(labs["single-network"]!, "docker02");
    expect([...r.features.keys()]).toEqual(["macvlan"]);
    expect(r.docker).toBe(true);
  });

  it("a network on a Docker-made VLAN sub-interface of the NIC needs 802.1q; ipvlan and macvtap are asked for by name", () => {
    const result = validateText(
      "/labs/t.yaml",
      `
name: req
hosts:
  h1: { address: 192.168.1.11, nic: eth0 }
networks:
  trunk: { driver: ipvlan, parent: eth0.50, mode: l2, subnets: [{ subnet: 172.16.50.0/24 }] }
namespaces:
  ns1:
    host: h1
    interfaces:
      tap1: { kind: macvtap, parent: eth0, mode: bridge, address: 10.9.0.1/24 }
`,
    );
    if (!result.lab) throw new Error(JSON.stringify(result.issues.map((i) => i.message)));
    const r = requirements(result.lab, "h1");
    expect(features(r)).toEqual({
      ipvlan: "network trunk",
      vlan: "network trunk on eth0.50",
      macvtap: "namespace ns1",
    });
    expect(r.docker).toBe(true);
  });
});

describe("osFamily", () => {
  it.each([
    // each ID on its own (no ID_LIKE to lean on) ...
    ["rhel", "", "rhel"],
    ["centos", "", "rhel"],
    ["rocky", "", "rhel"],
    ["fedora", "", "rhel"],
    ["almalinux", "", "rhel"],
    ["debian", "", "debian"],
    ["ubuntu", "", "debian"],
    // ... and as real os-release files pair them
    ["rocky", "rhel centos fedora", "rhel"],
    ["ubuntu", "debian", "debian"],
    ["linuxmint", "ubuntu debian", "debian"],
    ["amzn", "centos rhel fedora", "rhel"],
    ["unknown", "", undefined],
    ["alpine", "", undefined],
    ["opensuse-leap", "suse opensuse", undefined],
  ] as const)("%s (like %j) → %s", (id, like, family) => {
    expect(osFamily(id, like)).toBe(family);
  });
});

/** Canned preflight output, as the script prints it. */
function output(over: Record<string, string> = {}): string {
  const values = {
    uid: "0",
    os_id: "rocky",
    os_like: "rhel centos fedora",
    ip: "1",
    vlan: "1",
    macvlan: "1",
    ipvlan: "1",
    macvtap: "1",
    docker: "1",
    ...over,
  };
  return (
    Object.entries(values)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n"
  );
}
const fake = (host: string, reply: Partial<{ code: number; stdout: string; stderr: string }>) =>
  new FakeTransport(host, () => reply);

async function failure(promise: Promise<unknown>): Promise<LabError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(LabError);
  return err as LabError;
}

describe("preflight (fake transport, canned output)", () => {
  it("passes with everything present, reporting the OS family; one command, no docker process", async () => {
    const t = fake("docker01", { stdout: output() });
    const r = await preflight(labs["two-host-vlan"]!, t);
    expect(r).toEqual({
      facts: { os: "rhel", detected: true },
      features: { vlan: true, macvlan: true, ipvlan: true, macvtap: true },
    });
    // Only the features this host needs are tested (each may cost a namespace of its own).
    expect(t.commands).toEqual([preflightScript(["vlan", "macvlan"])]);
    expect(t.commands[0]).not.toMatch(/ipvlan|macvtap/);
    expect(t.commands[0]).not.toMatch(/docker (version|info|inspect)/);
  });

  it("detects Debian; falls back to rhel (not detected) for an unknown OS", async () => {
    expect(
      (
        await preflight(
          labs["macvlan-netns"]!,
          fake("docker01", { stdout: output({ os_id: "ubuntu", os_like: "debian" }) }),
        )
      ).facts,
    ).toEqual({ os: "debian", detected: true });
    expect(
      (await preflight(labs["macvlan-netns"]!, fake("docker01", { stdout: output({ os_id: "unknown", os_like: "" }) })))
        .facts,
    ).toEqual({ os: "rhel", detected: false });
  });

  it("not root → LabError not-root, exit 3, naming the uid", async () => {
    const err = await failure(preflight(labs["two-host-vlan"]!, fake("docker02", { stdout: output({ uid: "1000" }) })));
    expect(err.code).toBe("not-root");
    expect(err.exitCode).toBe(EXIT.cannotRun);
    expect(err.exitCode).toBe(3);
    expect(err.host).toBe("docker02");
    expect(err.step).toBe("preflight");
    expect(err.message).toContain("uid 1000");
    expect(err.message).toContain("sudo: true");
  });

  it("no output at all (script cut short) is not taken for root", async () => {
    const err = await failure(preflight(labs["macvlan-netns"]!, fake("docker01", { code: 255, stdout: "" })));
    expect(err.code).toBe("not-root");
    expect(err.message).toContain("uid ?");
  });

  it("sudo asking for a password → LabError sudo, exit 3", async () => {
    const err = await failure(
      preflight(labs["macvlan-netns"]!, fake("docker01", { code: 1, stderr: "sudo: a password is required\n" })),
    );
    expect(err.code).toBe("sudo");
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain("sudo: a password is required");
  });

  it("missing 802.1q for a VLAN lab → exit 3 naming 802.1q and the VLANs", async () => {
    const err = await failure(preflight(labs["two-host-vlan"]!, fake("docker01", { stdout: output({ vlan: "0" }) })));
    expect(err.code).toBe("kernel-feature");
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain("802.1q");
    expect(err.message).toContain("VLANs 10, 20");
    expect(err.message).toContain("nothing was changed");
    expect(err.message).not.toContain("macvlan (needed");
  });

  it("vlanStandin lets a VLAN lab through without 802.1q, but not without macvlan", async () => {
    await expect(
      preflight(labs["two-host-vlan"]!, fake("docker01", { stdout: output({ vlan: "0" }) }), { vlanStandin: true }),
    ).resolves.toMatchObject({ features: { vlan: false } });
    const err = await failure(
      preflight(labs["two-host-vlan"]!, fake("docker01", { stdout: output({ vlan: "0", macvlan: "0" }) }), {
        vlanStandin: true,
      }),
    );
    expect(err.message).toBe("this kernel lacks macvlan (needed by network mac_net10); nothing was changed");
  });

  it("a lab that needs no VLAN does not care about 802.1q", async () => {
    await expect(
      preflight(labs["macvlan-netns"]!, fake("docker02", { stdout: output({ vlan: "0", docker: "0" }) })),
    ).resolves.toMatchObject({ facts: { os: "rhel" } });
  });

  it("no Docker daemon where Docker is needed → no-docker; not needed → fine", async () => {
    const err = await failure(
      preflight(labs["single-network"]!, fake("docker01", { stdout: output({ docker: "0" }) })),
    );
    expect(err.code).toBe("no-docker");
    expect(err.exitCode).toBe(3);
  });

  it("no ip command → no-iproute2", async () => {
    const err = await failure(preflight(labs["macvlan-netns"]!, fake("docker01", { stdout: output({ ip: "0" }) })));
    expect(err.code).toBe("no-iproute2");
  });
});

describe("preflightScript", () => {
  it("is valid sh (sh -n), and sh -n does reject a broken script", () => {
    const r = spawnSync("sh", ["-n", "-c", preflightScript()], { encoding: "utf8" });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(spawnSync("sh", ["-n", "-c", `${preflightScript()}\nfi`], { stdio: "ignore" }).status).not.toBe(0);
  });

  it("prints each key once when run with sh here (values depend on this machine)", () => {
    const r = spawnSync("sh", ["-c", preflightScript()], { encoding: "utf8", timeout: 20_000 });
    const keys = r.stdout
      .split("\n")
      .filter((l) => l.includes("="))
      .map((l) => l.slice(0, l.indexOf("=")));
    for (const key of ["uid", "os_id", "os_like", "ip", "vlan", "macvlan", "ipvlan", "macvtap"])
      expect(keys).toContain(key);
    expect(r.stdout).toContain(`uid=${process.getuid?.()}\n`);
  });

  // `. /etc/os-release` is a POSIX special builtin: when the file is missing, a non-interactive
  // POSIX sh (dash, or bash as sh) EXITS, `2>/dev/null` notwithstanding. With sudo the script
  // runs under `sudo -n sh -c`, so on a host without /etc/os-release (CentOS 6, some minimal
  // images) the output stops after uid=0 and preflight reports "the ip command (iproute2) is
  // missing". Here the one path is pointed at a file that does not exist, to show it.
  it("keeps going when /etc/os-release is missing", () => {
    const script = preflightScript().replace("/etc/os-release", "/nonexistent/os-release");
    expect(script).not.toBe(preflightScript());
    const r = spawnSync("sh", ["-c", script], { encoding: "utf8", timeout: 20_000 });
    expect(r.stdout).toContain("os_id=unknown\n");
    expect(r.stdout).toMatch(/^ip=[01]$/m);
  });
});
