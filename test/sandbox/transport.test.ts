import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KnownHosts } from "../../src/transport/known-hosts.js";
import { MAX_OUTPUT } from "../../src/transport/remote-text.js";
import { SshTransport } from "../../src/transport/ssh.js";
import { lab, realHostsUnavailable, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/** The ssh2 transport against a real sshd (MaxSessions 10) in a sandbox host. */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED transport tests: ${skip}`);

describe.skipIf(!!skip)("SshTransport with real sshd", () => {
  const name = "t-transport";
  const { dir, file } = sandboxLab("labs/macvlan-netns.yaml", name);
  let t: SshTransport;

  beforeAll(async () => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    const inventory = JSON.parse(readFileSync(join(dir, ".lab", "sandbox", name, "inventory.json"), "utf8"));
    const h = inventory.hosts.docker01;
    t = await SshTransport.connect(
      {
        name: "docker01",
        host: h.host,
        port: 22,
        user: "root",
        identityFile: h.identity_file,
        agent: false,
        proxyCommand: h.proxy_command,
        connectTimeoutS: 10,
        sudo: false,
      },
      { knownHosts: new KnownHosts(inventory.known_hosts), hostKeyPolicy: "strict" },
    );
  });
  afterAll(async () => {
    await t?.close();
  });

  it("runs 40 commands at once on one connection, past sshd's MaxSessions of 10", async () => {
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => t.exec(`sleep 0.1; echo ${i}`)));
    expect(results.map((r) => r.stdout.trim())).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
    expect(results.every((r) => r.code === 0)).toBe(true);
    expect(t.stats.connections).toBe(1);
  });

  it("keeps exit code, stderr and signal of every command", async () => {
    const failed = await t.exec("echo out; echo err >&2; exit 7");
    expect(failed).toMatchObject({ code: 7, stdout: "out\n", stderr: "err\n", timedOut: false });
    const killed = await t.exec("kill -TERM $$");
    expect(killed.signal).toBe("SIGTERM");
    expect(killed.code).toBeNull();
  });

  it("stops a command at its timeout, on the host too (nothing left running there, its children included)", async () => {
    const started = Date.now();
    const r = await t.exec("sleep 31.7 & sleep 31.9", { timeoutMs: 500 });
    expect(r.timedOut).toBe(true);
    expect(Date.now() - started).toBeLessThan(5000);
    let left = "";
    for (let i = 0; i < 20; i++) {
      left = sshRun(dir, name, "docker01", "ps -eo args | grep -c '^sleep 31\\.[79]' || true").trim();
      if (left === "0") break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(left).toBe("0");
  });

  it("what a host prints reaches the operator without escape sequences (no clipboard write, no repainted lines)", async () => {
    const r = await t.exec("printf 'ok\\033]52;c;Y3VybCB4fHNo\\007\\n'; printf 'err\\033[2K\\302\\233 done\\n' >&2");
    expect(r.stdout).toBe("ok?]52;c;Y3VybCB4fHNo?\n");
    expect(r.stderr).toBe("err?[2K? done\n");
    // A lone carriage return would let a line overwrite what came before it; \r\n is kept.
    const cr = await t.exec("printf 'real\\rfake\\r\\n'");
    expect(cr.stdout).toBe("real?fake\r\n");
  });

  it("writes files atomically, byte for byte, with mode and owner", async () => {
    const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    await t.writeFile("/etc/lab-transport/blob.bin", bytes, { mode: "0640", owner: "nobody" });
    const remote = sshRun(
      dir,
      name,
      "docker01",
      "sha256sum /etc/lab-transport/blob.bin | cut -c1-64; stat -c '%a %U' /etc/lab-transport/blob.bin; ls /etc/lab-transport | wc -l",
    );
    const [sum, modeOwner, count] = remote.trim().split("\n");
    expect(sum).toBe(createHash("sha256").update(bytes).digest("hex"));
    expect(modeOwner).toBe("640 nobody");
    expect(count).toBe("1"); // no temp file left behind
  });

  /** Start `command` (which prints its sshd's pid first), then kill that sshd on the host: the connection drops. */
  async function dropWhileRunning(command: string, options: { retrySafe?: boolean } = {}) {
    let sshdPid = "";
    const running = t.exec(command, { ...options, onOutput: (chunk) => (sshdPid ||= chunk.trim().split("\n")[0]!) });
    for (let i = 0; i < 100 && !sshdPid; i++) await new Promise((r) => setTimeout(r, 50));
    expect(sshdPid).toMatch(/^\d+$/);
    sshRun(dir, name, "docker01", `kill -9 ${sshdPid}`);
    return running;
  }

  it("a connection the host drops mid-command: that command fails naming the host (its outcome is unknown); the next one reconnects", async () => {
    const before = t.stats.connections;
    const started = Date.now();
    const error = await dropWhileRunning("echo $PPID; exec sleep 30").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({ code: "connection-lost", host: "docker01" });
    expect((error as Error).message).toMatch(
      /^connection lost while the command ran \(.+\); whether it took effect is unknown$/,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    const again = await t.exec("echo again");
    expect(again).toMatchObject({ code: 0, stdout: "again\n" });
    expect(t.stats.connections).toBe(before + 1);
  });

  it("a read-only command cut off by a dropped connection runs again on a new one", async () => {
    const before = t.stats.connections;
    sshRun(dir, name, "docker01", "rm -f /tmp/lab-ran-once");
    const r = await dropWhileRunning(
      "if [ -e /tmp/lab-ran-once ]; then echo second run; else touch /tmp/lab-ran-once; echo $PPID; exec sleep 30; fi",
      { retrySafe: true },
    );
    expect(r).toMatchObject({ code: 0, stdout: "second run\n" });
    expect(t.stats.connections).toBe(before + 1);
  });

  /** A lock held the way lab holds a host's lock: printing its sshd's pid, then the marker. */
  const LOCK_FILE = "/run/lab-test-lock";
  const holdLock = () =>
    t.hold(
      `exec 9>>${LOCK_FILE}; flock -n 9 || { echo busy; exit 75; }; echo $PPID; echo --held; cat >/dev/null`,
      "--held\n",
    );
  const lockState = () => t.exec(`flock -n ${LOCK_FILE} true && echo free || echo taken`).then((r) => r.stdout.trim());

  it("a held lock whose connection drops is taken again on the new connection before anything else runs there", async () => {
    const held = await holdLock();
    const sshdPid = held.stdout.trim().split("\n")[0]!;
    expect(sshdPid).toMatch(/^\d+$/);
    const before = t.stats.connections;
    sshRun(dir, name, "docker01", `kill -9 ${sshdPid}`);
    await new Promise((r) => setTimeout(r, 300));
    // The next command reconnects; the lock is held again by then.
    expect(await lockState()).toBe("taken");
    expect(t.stats.connections).toBe(before + 1);
    await held.release();
    expect(await lockState()).toBe("free");
  });

  it("a held lock that another run took in between: nothing more runs on that host until it is released", async () => {
    const held = await holdLock();
    const sshdPid = held.stdout.trim().split("\n")[0]!;
    sshRun(
      dir,
      name,
      "docker01",
      `kill -9 ${sshdPid}; sleep 0.5; (flock ${LOCK_FILE} sleep 8 >/dev/null 2>&1 &) ; sleep 0.3`,
    );
    const error = await t.exec("touch /run/lab-should-not-run").then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as Error).message).toMatch(
      /^the connection was lost \(.+\), and with it what lab held on this host \(its lock\), which could not be taken again: busy; nothing more runs here in this run$/,
    );
    await expect(t.exec("true")).rejects.toThrow(/could not be taken again/);
    expect(sshRun(dir, name, "docker01", "ls /run/lab-should-not-run 2>/dev/null || echo absent").trim()).toBe(
      "absent",
    );
    await held.release();
    sshRun(dir, name, "docker01", `pkill -f '^flock ${LOCK_FILE}'; pkill -f '^sleep 8$'; true`);
    expect(await t.exec("echo works again")).toMatchObject({ code: 0, stdout: "works again\n" });
  });

  it("a lock taken again finds the host changed meanwhile (another run worked there): nothing more runs on that host", async () => {
    sshRun(dir, name, "docker01", "echo v1 > /run/lab-test-state");
    const held = await t.hold(
      `exec 9>>${LOCK_FILE}; flock -n 9 || exit 75; echo $PPID; cat /run/lab-test-state; echo --held; cat >/dev/null`,
      "--held\n",
      {
        retakeCheck: (stdout) => (stdout.includes("v1") ? undefined : "its state changed meanwhile"),
      },
    );
    const sshdPid = held.stdout.trim().split("\n")[0]!;
    sshRun(dir, name, "docker01", `kill -9 ${sshdPid}; echo v2 > /run/lab-test-state`);
    await new Promise((r) => setTimeout(r, 300));
    await expect(t.exec("touch /run/lab-should-not-run-2")).rejects.toThrow(
      /^the connection was lost \(.+\); lab took this host's lock again, but its state changed meanwhile; nothing more runs here in this run$/,
    );
    expect(sshRun(dir, name, "docker01", "ls /run/lab-should-not-run-2 2>/dev/null || echo absent").trim()).toBe(
      "absent",
    );
    // The lock taken again was let go at once; once lab lets go of the old one, the host works again.
    expect(sshRun(dir, name, "docker01", `flock -n ${LOCK_FILE} true && echo free || echo taken`).trim()).toBe("free");
    await held.release();
    expect(await t.exec("echo works again")).toMatchObject({ code: 0, stdout: "works again\n" });
  });

  it("a host that prints without end cannot exhaust lab's memory: each stream keeps at most MAX_OUTPUT characters, and says what it dropped", async () => {
    const r = await t.exec(`head -c ${MAX_OUTPUT + 1000} /dev/zero | tr '\\0' a`);
    expect(r.code).toBe(0);
    expect(r.stdout.length).toBeLessThan(MAX_OUTPUT + 100);
    expect(r.stdout.endsWith("\n[lab: 1000 more characters of output dropped]\n")).toBe(true);
  });

  it("an identity file that is a device or far too big is refused without reading it (no hang on /dev/zero)", async () => {
    const inventory = JSON.parse(readFileSync(join(dir, ".lab", "sandbox", name, "inventory.json"), "utf8"));
    const h = inventory.hosts.docker01;
    const huge = join(dir, "huge-key");
    writeFileSync(huge, Buffer.alloc(100_000, 65));
    for (const [identityFile, why] of [
      ["/dev/zero", "not a regular file"],
      [huge, "100000 bytes, more than a key file holds (65536)"],
    ] as const) {
      const started = Date.now();
      await expect(
        SshTransport.connect(
          {
            name: "docker01",
            host: h.host,
            port: 22,
            user: "root",
            identityFile,
            agent: false,
            proxyCommand: h.proxy_command,
            connectTimeoutS: 10,
            sudo: false,
          },
          { knownHosts: new KnownHosts(inventory.known_hosts), hostKeyPolicy: "strict" },
        ),
      ).rejects.toThrow(`cannot read identity file ${identityFile}: ${why}`);
      expect(Date.now() - started).toBeLessThan(5000);
    }
  });
});
