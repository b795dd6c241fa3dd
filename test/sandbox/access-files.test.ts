import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { accessInventory, proxyCommand, sshConfigText, type AccessFiles } from "../../src/sandbox/access-files.js";
import { lab, realHostsUnavailable, sandboxLab } from "../helpers/real-hosts.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * The sandbox and the VM tier write inventory.json and ssh_config through one function
 * (src/sandbox/access-files.ts). ssh_config is read by OpenSSH itself here (`ssh -G` prints
 * the configuration it resolved), so a path with a space or a `%` must come back unchanged.
 */
const repo = resolve(import.meta.dirname, "..", "..");
const tsx = join(repo, "node_modules", ".bin", "tsx");

/**
 * What `ssh -G` read for `host` from config `file`: keyword → value (lower case keys). -G
 * prints values before ssh's %-token expansion, which is done here as ssh does it for values
 * where every % is doubled (the sandbox test below proves the real expansion by connecting).
 */
function resolved(file: string, host: string): Map<string, string> {
  const out = execFileSync("ssh", ["-G", "-F", file, host], { encoding: "utf8" });
  const expand = (value: string) => value.replace(/%%/g, "%");
  return new Map(out.split("\n").map((line) => [line.split(" ")[0]!, expand(line.slice(line.indexOf(" ") + 1))]));
}

const access = (dir: string): AccessFiles => ({
  identityFile: join(dir, "id_ed25519"),
  knownHostsFile: join(dir, "known_hosts"),
  hosts: [
    { name: "docker01", sshHost: "docker01", proxyCommand: proxyCommand("lsb-x-h-docker01") },
    { name: "docker02", sshHost: "192.168.1.13", proxyCommand: proxyCommand("lvm-lab", "192.168.1.13") },
  ],
});

describe("access files", () => {
  it("ssh_config round-trips paths with spaces and % through OpenSSH's own parser", () => {
    const dir = join(scratchDir("access-files"), "my labs %d 100%");
    mkdirSync(dir);
    const file = join(dir, "ssh_config");
    execFileSync("sh", ["-c", 'cat > "$1"', "sh", file], { input: sshConfigText(access(dir)) });
    const d1 = resolved(file, "docker01");
    expect(d1.get("identityfile")).toBe(join(dir, "id_ed25519"));
    expect(d1.get("userknownhostsfile")).toBe(join(dir, "known_hosts"));
    expect(d1.get("user")).toBe("root");
    expect(d1.get("stricthostkeychecking")).toBe("true");
    expect(d1.get("proxycommand")).toBe(
      "/usr/bin/nsenter --net=/run/netns/lsb-x-h-docker01 /usr/bin/socat STDIO TCP:127.0.0.1:22",
    );
    const d2 = resolved(file, "docker02");
    expect(d2.get("hostname")).toBe("192.168.1.13");
    expect(d2.get("proxycommand")).toContain("TCP:192.168.1.13:22");
  });

  it("a proxy command word with spaces or quotes reaches sh as one word", () => {
    const dir = scratchDir("access-files");
    const hostile = "a b'c\"d$(touch x)%h";
    const text = sshConfigText({
      ...access(dir),
      hosts: [{ name: "h1", sshHost: "h1", proxyCommand: ["printf", "%s\\n", hostile] }],
    });
    const file = join(dir, "ssh_config");
    execFileSync("sh", ["-c", 'cat > "$1"', "sh", file], { input: text });
    // What ssh hands to `sh -c` (after its own %-expansion), run by a real sh: one word, no command run.
    const command = resolved(file, "h1").get("proxycommand")!;
    const words = execFileSync("sh", ["-c", command], { cwd: dir, encoding: "utf8" });
    expect(words).toBe(`${hostile}\n`);
    expect(existsSync(join(dir, "x"))).toBe(false);
  });

  it("refuses a value ssh_config cannot hold instead of writing a broken file", () => {
    expect(() => sshConfigText(access('/tmp/a"b'))).toThrow(/cannot be written/);
    expect(() => sshConfigText(access("/tmp/a\nHost *"))).toThrow(/cannot be written/);
    expect(() =>
      sshConfigText({ ...access("/tmp"), hosts: [{ name: "x *", sshHost: "x", proxyCommand: ["true"] }] }),
    ).toThrow(/cannot be written/);
  });

  it("the inventory lists each host with its proxy command, the key and known_hosts", () => {
    expect(accessInventory(access("/d"))).toEqual({
      known_hosts: "/d/known_hosts",
      hosts: {
        docker01: {
          host: "docker01",
          port: 22,
          user: "root",
          identity_file: "/d/id_ed25519",
          proxy_command: [
            "/usr/bin/nsenter",
            "--net=/run/netns/lsb-x-h-docker01",
            "/usr/bin/socat",
            "STDIO",
            "TCP:127.0.0.1:22",
          ],
        },
        docker02: {
          host: "192.168.1.13",
          port: 22,
          user: "root",
          identity_file: "/d/id_ed25519",
          proxy_command: [
            "/usr/bin/nsenter",
            "--net=/run/netns/lvm-lab",
            "/usr/bin/socat",
            "STDIO",
            "TCP:192.168.1.13:22",
          ],
        },
      },
    });
  });

  it("the VM tier's writer (scripts/vm/up.sh runs it) writes both files, and nothing on bad input", () => {
    const dir = scratchDir("vm-access");
    const args = (...pairs: string[]) => [
      join(repo, "src/sandbox/vm-access-main.ts"),
      ...["--netns", "lvm-lab", "--identity", join(dir, "lvm-id_ed25519")],
      ...["--known-hosts", join(dir, "lvm-known_hosts"), "--inventory", join(dir, "inventory.json")],
      ...["--ssh-config", join(dir, "lvm-ssh_config"), ...pairs],
    ];
    for (const bad of ["docker01=192.168.1.300", "Docker01=192.168.1.11", "docker01=1.2.3.4;x"]) {
      const r = spawnSync(tsx, args(bad), { encoding: "utf8" });
      expect(r.status, bad).toBe(2);
      expect(r.stderr).toContain("want NAME=IP");
    }
    expect(existsSync(join(dir, "inventory.json"))).toBe(false);

    const r = spawnSync(tsx, args("docker01=192.168.1.11", "docker02=192.168.1.13"), { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const inventory = JSON.parse(readFileSync(join(dir, "inventory.json"), "utf8"));
    expect(inventory.hosts.docker02).toEqual({
      host: "192.168.1.13",
      port: 22,
      user: "root",
      identity_file: join(dir, "lvm-id_ed25519"),
      proxy_command: ["/usr/bin/nsenter", "--net=/run/netns/lvm-lab", "/usr/bin/socat", "STDIO", "TCP:192.168.1.13:22"],
    });
    expect(resolved(join(dir, "lvm-ssh_config"), "docker01").get("hostname")).toBe("192.168.1.11");
  });
});

const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED sandbox ssh_config test: ${skip}`);

describe.skipIf(!!skip)("sandbox ssh_config, used by a person", () => {
  // A working directory with a space and a %: the sandbox's ssh_config must still open a shell.
  const { dir, file } = sandboxLab("labs/macvlan-netns.yaml", "t-sshcfg", (text) => text, "with space %d");

  it("`ssh -F .lab/sandbox/<lab>/ssh_config docker01` opens a shell on that host", () => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    const config = join(dir, ".lab", "sandbox", "t-sshcfg", "ssh_config");
    for (const host of ["docker01", "docker02"]) {
      const out = execFileSync("ssh", ["-F", config, "-o", "BatchMode=yes", host, "hostname"], {
        encoding: "utf8",
        timeout: 30_000,
      });
      expect(out.trim()).toBe(host);
    }
  });
});
