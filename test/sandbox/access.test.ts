import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { KnownHosts } from "../../src/transport/known-hosts.js";
import { SshTransport } from "../../src/transport/ssh.js";
import { lab, realHostsUnavailable, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/**
 * Non-root users through sudo (sudo -n, and a sudo password fed on stdin), an SSH password
 * from the environment, and a jump host, against real sshd and real sudo in sandbox hosts.
 */
const skip =
  realHostsUnavailable() ??
  (existsSync("/usr/bin/sudo") ? undefined : "needs /usr/bin/sudo (bash scripts/install-deps.sh installs it)");
if (skip) console.log(`SKIPPED access tests: ${skip}`);

describe.skipIf(!!skip)("access: sudo, passwords, jump host", () => {
  const name = "t-access";
  // docker01: user student with passwordless sudo, logging in with a password;
  // docker02: user student whose sudo asks for a password, reached through docker01.
  const { dir, file } = sandboxLab("labs/macvlan-netns.yaml", name, (text) =>
    text
      .replace("ssh: { user: root, identity_file: ~/.ssh/id_ed25519 }", "ssh: { user: root }")
      .replace(
        "docker01: { address: 192.168.1.11 }",
        "docker01: { address: 192.168.1.11, ssh: { user: student, password_env: LAB_TEST_SSH_PW }, sudo: true }",
      )
      .replace(
        "docker02: { address: 192.168.1.13 }",
        "docker02: { address: 192.168.1.13, ssh: { user: student, jump: docker01 }, sudo: { password_env: LAB_TEST_SUDO_PW } }",
      ),
  );
  let inventoryFile: string;

  beforeAll(() => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    const setup = (sudoers: string) =>
      [
        "useradd -m -s /bin/sh student",
        "echo 'student:pw-for-ssh' | chpasswd",
        "mkdir -p ~student/.ssh && cp /etc/ssh/lab_authorized_keys ~student/.ssh/authorized_keys && chown -R student ~student/.ssh",
        `echo '${sudoers}' > /etc/sudoers.d/student && chmod 440 /etc/sudoers.d/student`,
        "sed -i 's/^PasswordAuthentication no/PasswordAuthentication yes/' /etc/ssh/sshd_config && kill -HUP $(cat /run/sshd.pid)",
      ].join(" && ");
    sshRun(dir, name, "docker01", setup("student ALL=(ALL) NOPASSWD: ALL"));
    sshRun(dir, name, "docker02", setup("student ALL=(ALL) ALL") + " && echo 'student:pw-for-sudo' | chpasswd");
    const sandboxInventory = JSON.parse(readFileSync(join(dir, ".lab", "sandbox", name, "inventory.json"), "utf8"));
    const d1 = sandboxInventory.hosts.docker01;
    inventoryFile = join(dir, "inventory.json");
    writeFileSync(
      inventoryFile,
      JSON.stringify({
        known_hosts: sandboxInventory.known_hosts,
        // docker01 through its proxy, with no key: the password must do; docker02 by its LAN address via the jump.
        hosts: {
          docker01: { host: d1.host, proxy_command: d1.proxy_command },
          docker02: { host: "192.168.1.13", identity_file: d1.identity_file },
        },
      }),
    );
  });

  const env = (extra: Record<string, string>) => {
    const saved = { ...process.env };
    Object.assign(process.env, extra);
    return () => {
      process.env = saved;
    };
  };

  it("says which variable is missing instead of prompting", () => {
    const restore = env({ LAB_TEST_SSH_PW: "pw-for-ssh" });
    try {
      const r = lab(dir, "up", file, "--inventory", inventoryFile, "--no-check");
      expect(r.code).toBe(3);
      expect(r.stderr).toContain("docker02: sudo password_env: LAB_TEST_SUDO_PW is not set");
    } finally {
      restore();
    }
  });

  it("goes up as a non-root user: password login, sudo -n, sudo with a password, through a jump host", () => {
    const restore = env({ LAB_TEST_SSH_PW: "pw-for-ssh", LAB_TEST_SUDO_PW: "pw-for-sudo" });
    try {
      const r = lab(dir, "up", file, "--inventory", inventoryFile);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("checks: all 12 as expected");
      // docker02 was new under its LAN address: accept-new recorded its key (in the first test's run).
      const knownHosts = readFileSync(JSON.parse(readFileSync(inventoryFile, "utf8")).known_hosts, "utf8");
      expect(knownHosts).toMatch(/^192\.168\.1\.13 ssh-ed25519 /m);
      // The state file was written as root through sudo.
      expect(sshRun(dir, name, "docker02", `stat -c %U /var/lib/lab/${name}.json`).trim()).toBe("root");
      // The password never reaches a command line or a log.
      const logs = sshRun(dir, name, "docker02", "cat /var/lib/lab/*.json");
      expect(logs).not.toContain("pw-for-sudo");
      expect(lab(dir, "down", file, "--inventory", inventoryFile).code).toBe(0);
    } finally {
      restore();
    }
  });

  it("sends a password only to a host whose key is already known: a new key is not accepted with it", () => {
    // docker01 (password login) through an empty known_hosts: accept-new would take any key.
    const empty = join(dir, "empty_known_hosts");
    writeFileSync(empty, "");
    const inventory = JSON.parse(readFileSync(inventoryFile, "utf8"));
    const unknown = join(dir, "unknown-inventory.json");
    writeFileSync(unknown, JSON.stringify({ ...inventory, known_hosts: empty }));
    const restore = env({ LAB_TEST_SSH_PW: "pw-for-ssh", LAB_TEST_SUDO_PW: "pw-for-sudo" });
    try {
      const r = lab(dir, "up", file, "--inventory", unknown, "--no-check");
      expect(r.code, r.stderr).toBe(3);
      expect(r.stderr).toContain("lab sends a password ($LAB_TEST_SSH_PW) only to a host whose key it already knows");
      // Nothing was learnt on the way; the line the message gives is the one to add.
      expect(readFileSync(empty, "utf8")).not.toContain("docker01");
      const line = /then add this line to \S+: (docker01 \S+ \S+)/.exec(r.stderr)![1]!;
      writeFileSync(
        empty,
        readFileSync(inventory.known_hosts, "utf8")
          .split("\n")
          .filter((l: string) => !l.startsWith("docker01 "))
          .join("\n") +
          "\n" +
          line +
          "\n",
      );
      const again = lab(dir, "up", file, "--inventory", unknown, "--no-check");
      expect(again.code, again.stderr).toBe(0);
    } finally {
      restore();
    }
  });

  it("asks for the SSH password on a terminal when its variable is not set", () => {
    const repo = resolve(import.meta.dirname, "..", "..");
    const env: NodeJS.ProcessEnv = { ...process.env, LAB_TEST_SUDO_PW: "pw-for-sudo" };
    delete env.CI;
    delete env.LAB_TEST_SSH_PW;
    // `script` gives lab a terminal; the answer comes in on it like typing.
    const command = `${join(repo, "node_modules/.bin/tsx")} ${join(repo, "src/cli/main.ts")} up ${file} --inventory ${inventoryFile} --no-check`;
    // Typed after the prompt appears, as a person would (typed earlier, the terminal echoes it).
    const typing = `sleep 3; printf 'pw-for-ssh\\n'; sleep 2`;
    const r = spawnSync("sh", ["-c", `(${typing}) | script -qec ${JSON.stringify(command)} /dev/null`], {
      cwd: dir,
      env,
      encoding: "utf8",
      timeout: 60_000,
    });
    expect(r.stdout).toContain("password for student@docker01 (docker01; $LAB_TEST_SSH_PW is not set)");
    expect(r.stdout).toMatch(/lab t-access is up|nothing to change/);
    expect(r.status).toBe(0);
  }, 60_000);

  /** A transport as student, with a sudo password, to a sandbox host (by its proxy command and the sandbox key). */
  async function asStudentWithSudoPassword(host: string, password: string): Promise<SshTransport> {
    const inventory = JSON.parse(readFileSync(join(dir, ".lab", "sandbox", name, "inventory.json"), "utf8"));
    const h = inventory.hosts[host];
    return SshTransport.connect(
      {
        name: host,
        host: h.host,
        port: 22,
        user: "student",
        identityFile: h.identity_file,
        agent: false,
        proxyCommand: h.proxy_command,
        connectTimeoutS: 10,
        sudo: { passwordEnv: "LAB_TEST_SUDO_PW" },
      },
      {
        knownHosts: new KnownHosts(inventory.known_hosts),
        hostKeyPolicy: "strict",
        env: { LAB_TEST_SUDO_PW: password },
      },
    );
  }

  it("the sudo password goes only to sudo's own prompt: where sudo does not ask (NOPASSWD), the command's input is exactly its input", async () => {
    const t = await asStudentWithSudoPassword("docker01", "pw-for-sudo");
    try {
      await t.writeFile("/etc/lab-sudo-test", "exactly this\n");
      expect(sshRun(dir, name, "docker01", "cat /etc/lab-sudo-test")).toBe("exactly this\n");
      const r = await t.exec("id -u; cat", { stdin: "input\n" });
      expect(r).toMatchObject({ code: 0, stdout: "0\ninput\n", stderr: "" });
    } finally {
      await t.close();
    }
  });

  it("where sudo asks, the password answers it and the input still reaches the command whole; a wrong password fails cleanly", async () => {
    const t = await asStudentWithSudoPassword("docker02", "pw-for-sudo");
    try {
      const r = await t.exec("id -u; cat", { stdin: "first line\nsecond\n" });
      expect(r).toMatchObject({ code: 0, stdout: "0\nfirst line\nsecond\n", stderr: "" });
      sshRun(
        dir,
        name,
        "docker02",
        "sudo -K -u student 2>/dev/null; rm -rf /run/sudo/ts/student /var/run/sudo/ts/student 2>/dev/null; true",
      );
    } finally {
      await t.close();
    }
    const wrong = await asStudentWithSudoPassword("docker02", "not-the-password");
    try {
      sshRun(dir, name, "docker02", "rm -rf /run/sudo/ts/student /var/run/sudo/ts/student 2>/dev/null; true");
      const r = await wrong.exec("cat", { stdin: "secret input\n", timeoutMs: 20_000 });
      expect(r.timedOut).toBe(false);
      expect(r.code).not.toBe(0);
      expect(r.stdout).toBe("");
      expect(r.stderr).not.toContain("lab-sudo-");
    } finally {
      await wrong.close();
    }
  }, 60_000);

  it("a sudo that wants a password, with sudo: true, stops at preflight (exit 3)", () => {
    const restore = env({ LAB_TEST_SSH_PW: "pw-for-ssh" });
    const strictSudo = file.replace(/lab\.yaml$/, "lab-sudo-n.yaml");
    writeFileSync(
      strictSudo,
      readFileSync(file, "utf8").replace("sudo: { password_env: LAB_TEST_SUDO_PW }", "sudo: true"),
    );
    try {
      const r = lab(dir, "up", strictSudo, "--inventory", inventoryFile, "--no-check");
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/docker02: preflight: sudo does not work without a prompt: .*password/);
    } finally {
      restore();
    }
  });

  it("lab down --sandbox removes the sandbox even when it cannot log in to undo the lab", () => {
    const r = lab(dir, "down", file, "--sandbox"); // LAB_TEST_SSH_PW is not set: no login
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toContain("LAB_TEST_SSH_PW is not set in the environment); removing the sandbox anyway");
    expect(r.stdout).toContain("sandbox: removed docker01: processes, docker02: processes");
    expect(execFileSync("ip", ["netns", "list"], { encoding: "utf8" })).not.toContain(`lsb-${name}-`);
  });
});
