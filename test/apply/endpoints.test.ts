import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveEndpoints } from "../../src/apply/endpoints.js";
import { loadInventory } from "../../src/apply/inventory.js";
import { EXIT, LabError } from "../../src/errors.js";
import type { Lab } from "../../src/labfile/model.js";
import { validateText } from "../../src/labfile/validate.js";

/** A lab from YAML, through the real validator (so every field is resolved as lab up sees it). */
function labFrom(yaml: string): Lab {
  const result = validateText("/labs/test/lab.yaml", yaml);
  if (!result.lab) throw new Error(`test lab is invalid: ${JSON.stringify(result.issues.map((i) => i.message))}`);
  return result.lab;
}

const twoHosts = labFrom(`
name: ep
defaults:
  ssh: { user: student, identity_file: ~/.ssh/lab_key, connect_timeout: 7 }
  sudo: true
hosts:
  docker01: { address: 192.168.1.11 }
  docker02: { address: 192.168.1.13, ssh: { host: vm2.example, port: 2222, user: admin, agent: true }, sudo: { password_env: SUDO_PW } }
`);

/** Catch a thrown error (sync), failing the test if nothing was thrown. */
function thrown(fn: () => unknown): LabError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(LabError);
    return err as LabError;
  }
  throw new Error("expected an error, got none");
}

describe("resolveEndpoints", () => {
  it("uses the lab file's settings: address as target, defaults merged, sudo shape", () => {
    const eps = resolveEndpoints(twoHosts);
    expect([...eps.keys()]).toEqual(["docker01", "docker02"]);
    expect(eps.get("docker01")).toEqual({
      name: "docker01",
      host: "192.168.1.11",
      port: 22,
      user: "student",
      identityFile: "~/.ssh/lab_key",
      passphraseEnv: undefined,
      agent: false,
      passwordEnv: undefined,
      proxyCommand: undefined,
      connectTimeoutS: 7,
      sudo: {},
    });
    expect(eps.get("docker02")).toMatchObject({
      host: "vm2.example",
      port: 2222,
      user: "admin",
      agent: true,
      identityFile: "~/.ssh/lab_key",
      sudo: { passwordEnv: "SUDO_PW" },
    });
    expect(eps.get("docker02")!.jump).toBeUndefined();
  });

  it("lets the inventory override host, port, user, identity file and add a proxy command, per host", () => {
    const eps = resolveEndpoints(twoHosts, {
      hosts: {
        docker02: {
          host: "127.0.0.1",
          port: 2202,
          user: "root",
          identity_file: "/tmp/key",
          proxy_command: ["nc", "x", "22"],
        },
      },
    });
    expect(eps.get("docker02")).toMatchObject({
      host: "127.0.0.1",
      port: 2202,
      user: "root",
      identityFile: "/tmp/key",
      proxyCommand: ["nc", "x", "22"],
      agent: true,
      connectTimeoutS: 7,
    });
    // untouched host keeps the lab file's settings
    expect(eps.get("docker01")).toMatchObject({
      host: "192.168.1.11",
      port: 22,
      user: "student",
      proxyCommand: undefined,
    });
  });

  it("an inventory entry for a host the lab does not have is a usage error naming it", () => {
    const err = thrown(() => resolveEndpoints(twoHosts, { hosts: { docker01: {}, docker9: { host: "x" }, web: {} } }));
    expect(err.exitCode).toBe(EXIT.usage);
    expect(err.code).toBe("inventory");
    expect(err.message).toBe("the inventory names hosts the lab does not have: docker9, web");
  });

  const jumpLab = labFrom(`
name: jumps
defaults:
  ssh: { user: student, identity_file: ~/.ssh/lab_key }
hosts:
  bastion: { address: 192.168.1.10, ssh: { host: bastion.example, port: 2200 } }
  inner: { address: 10.0.0.2, ssh: { jump: bastion } }
  deeper: { address: 10.0.0.3, ssh: { jump: inner } }
  outside: { address: 10.0.0.4, ssh: { jump: "ops@gw.example:2022" } }
  plain-jump: { address: 10.0.0.5, ssh: { jump: gw.example } }
  v6-jump: { address: 10.0.0.6, ssh: { jump: "[fd00::1]:2200" } }
`);

  it("a jump host named by its lab host name is that host's own endpoint, chains included", () => {
    const eps = resolveEndpoints(jumpLab);
    expect(eps.get("bastion")!.jump).toBeUndefined();
    expect(eps.get("inner")!.jump).toEqual(eps.get("bastion"));
    expect(eps.get("deeper")!.jump).toMatchObject({
      name: "inner",
      host: "10.0.0.2",
      jump: { name: "bastion", host: "bastion.example", port: 2200 },
    });
  });

  it("the inventory override of the jump host applies to the hop too", () => {
    const eps = resolveEndpoints(jumpLab, { hosts: { bastion: { host: "127.0.0.1", port: 2299 } } });
    expect(eps.get("inner")!.jump).toMatchObject({ name: "bastion", host: "127.0.0.1", port: 2299 });
  });

  it("an inventory proxy command replaces the host's jump", () => {
    const eps = resolveEndpoints(jumpLab, { hosts: { inner: { proxy_command: ["socat", "STDIO", "TCP:x:22"] } } });
    expect(eps.get("inner")!.jump).toBeUndefined();
    expect(eps.get("inner")!.proxyCommand).toEqual(["socat", "STDIO", "TCP:x:22"]);
  });

  it("a jump host given as user@host:port, host, or [v6]:port", () => {
    const eps = resolveEndpoints(jumpLab);
    expect(eps.get("outside")!.jump).toEqual({
      name: "outside's jump host ops@gw.example:2022",
      host: "gw.example",
      port: 2022,
      user: "ops",
      identityFile: "~/.ssh/lab_key",
      passphraseEnv: undefined,
      agent: false,
      passwordEnv: undefined,
      connectTimeoutS: 10,
      sudo: false,
    });
    expect(eps.get("plain-jump")!.jump).toMatchObject({ host: "gw.example", port: 22, user: "student" });
    expect(eps.get("v6-jump")!.jump).toMatchObject({ host: "fd00::1", port: 2200, user: "student" });
  });

  it("detects a jump loop, naming the hops", () => {
    const loop = labFrom(`
name: loop
hosts:
  a: { address: 10.0.0.1, ssh: { jump: b } }
  b: { address: 10.0.0.2, ssh: { jump: c } }
  c: { address: 10.0.0.3, ssh: { jump: a } }
`);
    const err = thrown(() => resolveEndpoints(loop));
    expect(err.code).toBe("jump-loop");
    expect(err.exitCode).toBe(EXIT.labProblem);
    expect(err.message).toBe("jump hosts loop: a → b → c → a");
  });
});

describe("loadInventory", () => {
  let dir: string;
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), "lab-inventory-"));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const expected = {
    docker01: { host: "127.0.0.1", port: 2201, user: "root", identity_file: "/keys/id" },
    docker02: { proxy_command: ["nc", "h", "22"] },
  };

  it("accepts YAML with known_hosts and hosts", async () => {
    const inv = await loadInventory(
      file(
        "a.yaml",
        "known_hosts: /tmp/kh\nhosts:\n  docker01: { host: 127.0.0.1, port: 2201, user: root, identity_file: /keys/id }\n  docker02:\n    proxy_command: [nc, h, '22']\n",
      ),
    );
    expect(inv).toEqual({ known_hosts: "/tmp/kh", hosts: expected });
  });

  it("accepts a bare YAML map of hosts", async () => {
    const inv = await loadInventory(
      file(
        "b.yml",
        "docker01: { host: 127.0.0.1, port: 2201, user: root, identity_file: /keys/id }\ndocker02: { proxy_command: [nc, h, '22'] }\n",
      ),
    );
    expect(inv).toEqual({ hosts: expected });
  });

  it("accepts JSON, wrapped and bare", async () => {
    expect(await loadInventory(file("c.json", JSON.stringify({ hosts: expected })))).toEqual({ hosts: expected });
    expect(await loadInventory(file("d.json", JSON.stringify(expected)))).toEqual({ hosts: expected });
  });

  const rejects = async (path: string) => {
    const err = await loadInventory(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LabError);
    const e = err as LabError;
    expect(e.exitCode).toBe(EXIT.usage);
    expect(e.code).toBe("inventory");
    expect(e.message.startsWith(`--inventory ${path}: `)).toBe(true);
    return e.message;
  };

  it("rejects an unknown key in a host entry, naming the file, the entry and the key", async () => {
    const path = file("bad.yaml", "hosts:\n  docker01: { hostname: x }\n");
    const message = await rejects(path);
    expect(message).toContain("hosts.docker01");
    expect(message).toContain("hostname");
  });

  it("rejects an unknown key in a bare map entry too", async () => {
    const message = await rejects(file("bad-bare.json", JSON.stringify({ docker01: { prot: 22 } })));
    expect(message).toContain("prot");
  });

  it("rejects an unknown top-level key", async () => {
    const message = await rejects(file("bad-top.yaml", "hosts: {}\nknownhosts: /tmp/kh\n"));
    expect(message).toContain("knownhosts");
  });

  it("rejects bad values, unsafe strings, broken YAML and a missing file", async () => {
    expect(await rejects(file("port.yaml", "docker01: { port: 70000 }\n"))).toContain("hosts.docker01.port");
    expect(await rejects(file("unsafe.yaml", "docker01: { host: 'x; rm -rf /' }\n"))).toContain("hosts.docker01.host");
    await rejects(file("broken.yaml", "hosts: [unclosed\n"));
    await rejects(join(dir, "missing.yaml"));
  });
});
