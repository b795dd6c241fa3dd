import { execFileSync, spawnSync } from "node:child_process";
import { createHmac, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Server } from "ssh2";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  fingerprint,
  hostKeyAlgorithmsFor,
  hostKeyName,
  KnownHosts,
  keyType,
} from "../../src/transport/known-hosts.js";
import { SshTransport } from "../../src/transport/ssh.js";

/**
 * KnownHosts against real files, with keys made by ssh-keygen and, where it matters, the
 * file cross-checked with OpenSSH's own `ssh-keygen -F` / `-H` / `-l`.
 */
let dir: string;
interface Key {
  type: string;
  blob: Buffer;
  line: string;
  pubFile: string;
}
let ed1: Key;
let ed2: Key;
let ecdsa: Key;

function makeKey(name: string, type: string, ...extra: string[]): Key {
  const file = join(dir, name);
  execFileSync("ssh-keygen", ["-q", "-t", type, ...extra, "-N", "", "-C", `test-${name}`, "-f", file]);
  const line = readFileSync(`${file}.pub`, "utf8").trim();
  const [t, b64] = line.split(" ");
  return { type: t!, blob: Buffer.from(b64!, "base64"), line, pubFile: `${file}.pub` };
}

let n = 0;
/** A fresh known_hosts path (written when content is given). */
function khFile(content?: string): string {
  const file = join(dir, `known_hosts.${++n}`);
  if (content !== undefined) writeFileSync(file, content);
  return file;
}
const entry = (patterns: string, key: Key) => `${patterns} ${key.type} ${key.blob.toString("base64")}`;

/**
 * A hashed host name exactly as OpenSSH writes it (hostfile.c host_hash):
 * |1|base64(salt)|base64(HMAC-SHA1(key=salt, name)).
 */
function hashName(name: string, salt = randomBytes(20)): string {
  return `|1|${salt.toString("base64")}|${createHmac("sha1", salt).update(name).digest("base64")}`;
}

/** Does OpenSSH itself find `name` in `file`? */
const opensshFinds = (name: string, file: string) =>
  spawnSync("ssh-keygen", ["-F", name, "-f", file], { encoding: "utf8" }).status === 0;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "lab-known-hosts-"));
  ed1 = makeKey("ed1", "ed25519");
  ed2 = makeKey("ed2", "ed25519");
  ecdsa = makeKey("ec1", "ecdsa");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("hostKeyName, keyType, fingerprint", () => {
  it("names port 22 plainly and other ports as [host]:port", () => {
    expect(hostKeyName("10.0.0.5", 22)).toBe("10.0.0.5");
    expect(hostKeyName("10.0.0.5", 2222)).toBe("[10.0.0.5]:2222");
    expect(hostKeyName("docker01", 22022)).toBe("[docker01]:22022");
  });

  it("reads the key type out of the blob", () => {
    expect(keyType(ed1.blob)).toBe("ssh-ed25519");
    expect(keyType(ecdsa.blob)).toBe("ecdsa-sha2-nistp256");
  });

  it("prints the same fingerprint as ssh-keygen -lf", () => {
    for (const key of [ed1, ed2, ecdsa]) {
      const out = execFileSync("ssh-keygen", ["-lf", key.pubFile], { encoding: "utf8" });
      const expected = out.split(" ")[1];
      expect(expected).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
      expect(fingerprint(key.blob)).toBe(expected);
    }
    expect(fingerprint(ed1.blob)).not.toBe(fingerprint(ed2.blob));
  });
});

describe("KnownHosts lookups", () => {
  it("matches a plain entry, and only for its own name", async () => {
    const file = khFile(`# a comment\n\n${entry("10.0.0.5", ed1)}\n`);
    const kh = new KnownHosts(file);
    expect(await kh.verify("10.0.0.5", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect((await kh.verify("10.0.0.50", ed1.blob, "strict")).ok).toBe(false);
    expect((await kh.verify("10.0.0", ed1.blob, "strict")).ok).toBe(false);
  });

  it("matches every name of a comma-separated entry", async () => {
    const kh = new KnownHosts(khFile(`${entry("docker01,192.168.1.11", ed1)}\n`));
    expect((await kh.verify("docker01", ed1.blob, "strict")).ok).toBe(true);
    expect((await kh.verify("192.168.1.11", ed1.blob, "strict")).ok).toBe(true);
    expect((await kh.verify("docker02", ed1.blob, "strict")).ok).toBe(false);
  });

  it("a negated pattern never matches the name it negates", async () => {
    const file = khFile(`${entry("!docker01", ed1)}\n`);
    expect(opensshFinds("docker01", file)).toBe(false);
    expect(await new KnownHosts(file).verify("docker01", ed1.blob, "strict")).toMatchObject({
      ok: false,
      reason: "unknown",
    });
  });

  // Divergence from OpenSSH (the class comment says "negations ignored"): OpenSSH does not
  // match a name a negation excludes from a wildcard line; KnownHosts drops the negation, so the
  // excluded host matches the wildcard's key (a different key then reads as "CHANGED", not unknown).
  it("a negation excludes a host from a wildcard line, as in OpenSSH [divergence: negations ignored]", async () => {
    const file = khFile(`${entry("*.lab.example,!bad.lab.example", ed1)}\n`);
    expect(opensshFinds("bad.lab.example", file)).toBe(false);
    expect(opensshFinds("ok.lab.example", file)).toBe(true);
    expect(await new KnownHosts(file).verify("bad.lab.example", ed2.blob, "strict")).toMatchObject({
      ok: false,
      reason: "unknown",
    });
  });

  it("skips malformed lines and lines with an unknown @marker", async () => {
    const kh = new KnownHosts(
      khFile(`@not-a-marker * ${ed1.type} ${ed1.blob.toString("base64")}\nhalf-a-line\n@revoked\n`),
    );
    const verdict = await kh.verify("docker01", ed1.blob, "strict");
    expect(verdict).toMatchObject({ ok: false, reason: "unknown" });
  });

  // Regression: "[127.0.0.1]:2222" was once turned into a regex character class, so an entry
  // for a host on a port other than 22 never matched its own name.
  it("matches a plain [host]:port entry (non-22 port)", async () => {
    const name = hostKeyName("127.0.0.1", 2222);
    const file = khFile(`${entry(name, ed1)}\n`);
    expect(opensshFinds(name, file)).toBe(true); // OpenSSH finds it
    expect(await new KnownHosts(file).verify(name, ed1.blob, "strict")).toEqual({ ok: true, added: false });
  });

  // Same bug, other side: "[127.0.0.1]:2222" as a pattern matches "1:2222", "7:2222", …
  it("does not let a [host]:port entry match some other name", async () => {
    const file = khFile(`${entry("[127.0.0.1]:2222", ed1)}\n`);
    expect(opensshFinds("1:2222", file)).toBe(false);
    expect(await new KnownHosts(file).verify("1:2222", ed1.blob, "strict")).toMatchObject({
      ok: false,
      reason: "unknown",
    });
  });

  it("matches a hashed entry made with HMAC-SHA1 as OpenSSH does", async () => {
    const file = khFile(
      `${entry(hashName("docker01.lab.example"), ed1)}\n${entry(hashName("[10.0.0.7]:2200"), ed2)}\n`,
    );
    // Our hashing is right: OpenSSH finds both names in the file.
    expect(opensshFinds("docker01.lab.example", file)).toBe(true);
    expect(opensshFinds("[10.0.0.7]:2200", file)).toBe(true);
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker01.lab.example", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("[10.0.0.7]:2200", ed2.blob, "strict")).toEqual({ ok: true, added: false });
    expect((await kh.verify("docker02.lab.example", ed1.blob, "strict")).ok).toBe(false);
    expect((await kh.verify("[10.0.0.7]:2201", ed2.blob, "strict")).ok).toBe(false);
  });

  it("matches entries hashed by ssh-keygen -H itself", async () => {
    const file = khFile(`${entry("docker01", ed1)}\n${entry("[docker02]:2022", ed2)}\n`);
    execFileSync("ssh-keygen", ["-q", "-H", "-f", file], { stdio: "ignore" });
    const text = readFileSync(file, "utf8");
    expect(text).not.toContain("docker0");
    expect(text.match(/^\|1\|/gm)).toHaveLength(2);
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker01", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("[docker02]:2022", ed2.blob, "strict")).toEqual({ ok: true, added: false });
    expect((await kh.verify("docker02", ed2.blob, "strict")).ok).toBe(false);
  });

  it("matches wildcard patterns: * any run, ? one character, everything else literal", async () => {
    const kh = new KnownHosts(khFile(`${entry("*.lab.example", ed1)}\n${entry("10.0.0.?", ed2)}\n`));
    expect((await kh.verify("docker01.lab.example", ed1.blob, "strict")).ok).toBe(true);
    expect((await kh.verify("a.b.lab.example", ed1.blob, "strict")).ok).toBe(true);
    expect((await kh.verify("lab.example", ed1.blob, "strict")).ok).toBe(false);
    expect((await kh.verify("docker01.lab.exampleXcom", ed1.blob, "strict")).ok).toBe(false);
    expect((await kh.verify("10.0.0.5", ed2.blob, "strict")).ok).toBe(true);
    expect((await kh.verify("10.0.0.15", ed2.blob, "strict")).ok).toBe(false);
    // "." is literal, not "any character"
    expect((await kh.verify("10a0b0c5", ed2.blob, "strict")).ok).toBe(false);
  });
});

describe("KnownHosts policies", () => {
  it("accept-new appends a line (creating the file 0600) that a fresh KnownHosts and OpenSSH both match", async () => {
    const file = join(dir, `new-dir-${++n}`, "known_hosts");
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker01", ed1.blob, "accept-new")).toEqual({ ok: true, added: true });
    // Same instance: now known, nothing appended twice.
    expect(await kh.verify("docker01", ed1.blob, "accept-new")).toEqual({ ok: true, added: false });
    const text = readFileSync(file, "utf8");
    expect(text).toBe(`docker01 ${ed1.type} ${ed1.blob.toString("base64")}\n`);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(opensshFinds("docker01", file)).toBe(true);
    expect(await new KnownHosts(file).verify("docker01", ed1.blob, "strict")).toEqual({ ok: true, added: false });
  });

  // Consequence of the [ ] bug: under accept-new, a host on port ≠ 22 is "new" on every run
  // (the line is appended again each time), and a CHANGED key on such a port is never
  // detected, because the old entry never matches: the changed key is silently appended.
  it("accept-new for [host]:port: a fresh KnownHosts matches the appended line", async () => {
    const file = khFile();
    const name = hostKeyName("127.0.0.1", 2222);
    expect(await new KnownHosts(file).verify(name, ed1.blob, "accept-new")).toEqual({ ok: true, added: true });
    expect(opensshFinds(name, file)).toBe(true);
    expect(await new KnownHosts(file).verify(name, ed1.blob, "accept-new")).toEqual({ ok: true, added: false });
  });

  it("a changed key on a non-22 port is refused", async () => {
    const name = hostKeyName("127.0.0.1", 2222);
    const file = khFile(`${entry(name, ed1)}\n`);
    expect(await new KnownHosts(file).verify(name, ed2.blob, "accept-new")).toMatchObject({
      ok: false,
      reason: "changed",
    });
  });

  it("strict refuses an unknown host, naming the file and the offered fingerprint, and writes nothing", async () => {
    const file = khFile(`${entry("docker02", ed2)}\n`);
    const before = readFileSync(file, "utf8");
    const verdict = await new KnownHosts(file).verify("docker01", ed1.blob, "strict");
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.reason).toBe("unknown");
    expect(verdict.message).toContain(file);
    expect(verdict.message).toContain(fingerprint(ed1.blob));
    expect(verdict.message).toContain("docker01");
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("strict on a missing file refuses without creating it", async () => {
    const file = join(dir, "does-not-exist", "known_hosts");
    expect(await new KnownHosts(file).verify("docker01", ed1.blob, "strict")).toMatchObject({
      ok: false,
      reason: "unknown",
    });
    expect(existsSync(file)).toBe(false);
  });

  for (const policy of ["accept-new", "strict"] as const) {
    it(`a changed key is refused under ${policy}, with both fingerprints and the ssh-keygen -R hint`, async () => {
      const file = khFile(`# header\n${entry("docker01", ed1)}\n`);
      const before = readFileSync(file, "utf8");
      const verdict = await new KnownHosts(file).verify("docker01", ed2.blob, policy);
      expect(verdict.ok).toBe(false);
      if (verdict.ok) return;
      expect(verdict.reason).toBe("changed");
      expect(verdict.message).toContain(fingerprint(ed1.blob));
      expect(verdict.message).toContain(fingerprint(ed2.blob));
      expect(verdict.message).toContain(`${file}:2`);
      expect(verdict.message).toContain(`ssh-keygen -R 'docker01' -f ${file}`);
      // Nothing appended, even under accept-new.
      expect(readFileSync(file, "utf8")).toBe(before);
    });
  }

  it("a hashed entry with a changed key is refused too", async () => {
    const file = khFile(`${entry(hashName("docker01"), ed1)}\n`);
    expect(await new KnownHosts(file).verify("docker01", ed2.blob, "accept-new")).toMatchObject({
      ok: false,
      reason: "changed",
    });
  });

  // Was: "a key of another TYPE for a known host is unknown, not changed", and accept-new
  // appended it: a host that could show another key type was a downgrade path.
  for (const policy of ["accept-new", "strict"] as const) {
    it(`a key of another TYPE for a known host is a CHANGED key under ${policy}: refused with both fingerprints, nothing appended`, async () => {
      const file = khFile(`${entry("docker01", ed1)}\n`);
      const before = readFileSync(file, "utf8");
      const verdict = await new KnownHosts(file).verify("docker01", ecdsa.blob, policy);
      expect(verdict).toMatchObject({ ok: false, reason: "changed" });
      if (verdict.ok) return;
      expect(verdict.message).toContain(`${file}:1 has ssh-ed25519 ${fingerprint(ed1.blob)}`);
      expect(verdict.message).toContain(fingerprint(ecdsa.blob));
      expect(verdict.message).toContain(ecdsa.type);
      expect(readFileSync(file, "utf8")).toBe(before);
      // The recorded key still passes.
      expect(await new KnownHosts(file).verify("docker01", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    });
  }

  it("a host with keys of two types recorded accepts either, and refuses any third key", async () => {
    const file = khFile(`${entry("docker01", ed1)}\n${entry("docker01", ecdsa)}\n`);
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker01", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("docker01", ecdsa.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("docker01", ed2.blob, "accept-new")).toMatchObject({ ok: false, reason: "changed" });
  });
});

describe("KnownHosts markers", () => {
  const revokedLine = (patterns: string, key: Key) => `@revoked ${entry(patterns, key)}`;

  for (const policy of ["accept-new", "strict"] as const) {
    it(`@revoked: a revoked key is refused under ${policy}, even when another line lists it, naming its fingerprint`, async () => {
      const file = khFile(`${entry("docker01", ed1)}\n${revokedLine("docker0?", ed1)}\n`);
      const before = readFileSync(file, "utf8");
      const verdict = await new KnownHosts(file).verify("docker01", ed1.blob, policy);
      expect(verdict).toMatchObject({ ok: false, reason: "revoked" });
      if (verdict.ok) return;
      expect(verdict.message).toContain(fingerprint(ed1.blob));
      expect(verdict.message).toMatch(/revoked/i);
      expect(verdict.message).toContain(`${file}:2`);
      expect(readFileSync(file, "utf8")).toBe(before);
    });
  }

  it("@revoked: a revoked key offered by a new name is not accepted as new, and nothing is written", async () => {
    const file = khFile(`${revokedLine("*", ed1)}\n`);
    const before = readFileSync(file, "utf8");
    expect(await new KnownHosts(file).verify("docker09", ed1.blob, "accept-new")).toMatchObject({
      ok: false,
      reason: "revoked",
    });
    expect(readFileSync(file, "utf8")).toBe(before);
  });

  it("@revoked only applies to the names its patterns match, and only to its own key", async () => {
    const file = khFile(
      `${entry("docker01,docker02", ed1)}\n${revokedLine("docker02", ed1)}\n${revokedLine("docker01", ed2)}\n`,
    );
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker01", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("docker02", ed1.blob, "strict")).toMatchObject({ ok: false, reason: "revoked" });
  });

  for (const policy of ["accept-new", "strict"] as const) {
    it(`@cert-authority: a name matched only by a CA line is refused under ${policy} (certificates unsupported), nothing written`, async () => {
      const file = khFile(`@cert-authority *.lab.example ${ed1.type} ${ed1.blob.toString("base64")}\n`);
      const before = readFileSync(file, "utf8");
      // Neither the CA key itself nor any other key is taken as the host's key.
      for (const key of [ed1, ed2]) {
        const verdict = await new KnownHosts(file).verify("docker01.lab.example", key.blob, policy);
        expect(verdict).toMatchObject({ ok: false, reason: "cert-authority" });
        if (verdict.ok) return;
        expect(verdict.message).toMatch(/certificate/);
        expect(verdict.message).toMatch(/not support/);
        expect(verdict.message).toMatch(/plain host key/);
        expect(verdict.message).toContain(file);
      }
      expect(readFileSync(file, "utf8")).toBe(before);
      // A name the CA line does not match is simply unknown.
      expect(await new KnownHosts(file).verify("docker01", ed2.blob, "strict")).toMatchObject({
        ok: false,
        reason: "unknown",
      });
    });
  }

  it("@cert-authority does not hide a plain key recorded for the same name", async () => {
    const file = khFile(`@cert-authority * ${ed1.type} ${ed1.blob.toString("base64")}\n${entry("docker01", ed2)}\n`);
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker01", ed2.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("docker01", ed1.blob, "accept-new")).toMatchObject({ ok: false, reason: "changed" });
  });
});

describe("host key algorithm preference", () => {
  let rsa: Key;
  let ec384: Key;
  beforeAll(() => {
    rsa = makeKey("rsa1", "rsa");
    ec384 = makeKey("ec384", "ecdsa", "-b", "384");
  });

  /** ssh2's own lists: every algorithm it is given must be one it supports, or connect() throws. */
  const ssh2Constants = createRequire(import.meta.url)("ssh2/lib/protocol/constants.js") as {
    DEFAULT_SERVER_HOST_KEY: string[];
    SUPPORTED_SERVER_HOST_KEY: string[];
  };

  it("puts the key types recorded for the name first, then ssh2's defaults in ssh2's order", () => {
    const defaults = ssh2Constants.DEFAULT_SERVER_HOST_KEY;
    const file = khFile(
      `${entry("docker01", ecdsa)}\n${entry("docker02", rsa)}\n${entry("[docker03]:2222", ec384)}\n${entry("docker03", ed1)}\n${entry("docker04", ed1)}\n${entry("docker04", rsa)}\n`,
    );
    const kh = new KnownHosts(file);
    const rest = (first: string[]) => defaults.filter((a) => !first.includes(a));
    expect(kh.preferredHostKeyAlgorithms("docker01")).toEqual([
      "ecdsa-sha2-nistp256",
      ...rest(["ecdsa-sha2-nistp256"]),
    ]);
    expect(kh.preferredHostKeyAlgorithms("docker02")).toEqual([
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
      ...rest(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]),
    ]);
    expect(kh.preferredHostKeyAlgorithms(hostKeyName("docker03", 2222))).toEqual([
      "ecdsa-sha2-nistp384",
      ...rest(["ecdsa-sha2-nistp384"]),
    ]);
    expect(kh.preferredHostKeyAlgorithms("docker04")).toEqual([
      "ssh-ed25519",
      "rsa-sha2-512",
      "rsa-sha2-256",
      "ssh-rsa",
      ...rest(["ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]),
    ]);
    for (const name of ["docker01", "docker02", "[docker03]:2222", "docker04"]) {
      const list = kh.preferredHostKeyAlgorithms(name)!;
      expect([...list].sort()).toEqual([...defaults].sort());
      expect(list.every((a) => ssh2Constants.SUPPORTED_SERVER_HOST_KEY.includes(a))).toBe(true);
    }
  });

  it("follows hashed, wildcard and upper-case names; revoked and @cert-authority keys are not preferred", () => {
    const file = khFile(
      `${entry(hashName("docker01"), ecdsa)}\n${entry("*.lab.example", rsa)}\n${entry("docker05", ecdsa)}\n@revoked ${entry("docker05", ecdsa)}\n@cert-authority ${entry("docker06", ecdsa)}\n`,
    );
    const kh = new KnownHosts(file);
    expect(kh.preferredHostKeyAlgorithms("DOCKER01")?.[0]).toBe("ecdsa-sha2-nistp256");
    expect(kh.preferredHostKeyAlgorithms("x.LAB.example")?.[0]).toBe("rsa-sha2-512");
    expect(kh.preferredHostKeyAlgorithms("docker05")).toBeUndefined();
    expect(kh.preferredHostKeyAlgorithms("docker06")).toBeUndefined();
  });

  it("is undefined (ssh2's defaults) for an unknown name or a missing file", () => {
    expect(
      new KnownHosts(khFile(`${entry("docker01", ed1)}\n`)).preferredHostKeyAlgorithms("docker02"),
    ).toBeUndefined();
    expect(new KnownHosts(join(dir, "missing", "known_hosts")).preferredHostKeyAlgorithms("docker01")).toBeUndefined();
    expect(hostKeyAlgorithmsFor([])).toBeUndefined();
    expect(hostKeyAlgorithmsFor(["ssh-dss"])).toBeUndefined();
  });

  // End to end through SshTransport.open: a server with an ed25519 and an ecdsa host key, known_hosts
  // recording only its ecdsa key. ssh2 on its own asks for ed25519 first, which is then (rightly) a
  // changed key; asked for the recorded type first, the host shows the recorded key.
  it("SshTransport asks the host for the recorded key type first", async () => {
    const server = new Server(
      { hostKeys: [readFileSync(join(dir, "ed1")), readFileSync(join(dir, "ec1"))] },
      (client) => {
        client.on("authentication", (ctx) => ctx.accept());
        client.on("error", () => undefined);
      },
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as AddressInfo).port;
    try {
      const file = khFile(`${entry(hostKeyName("127.0.0.1", port), ecdsa)}\n`);
      const endpoint = {
        name: "local",
        host: "127.0.0.1",
        port,
        user: "u",
        agent: false,
        connectTimeoutS: 5,
        sudo: false as const,
      };
      const t = await SshTransport.connect(endpoint, {
        knownHosts: new KnownHosts(file),
        hostKeyPolicy: "strict",
        retries: 0,
      });
      await t.close();
      // The other way round: only the ed25519 key recorded, and a host without it would be refused.
      const file2 = khFile(`${entry(hostKeyName("127.0.0.1", port), ed2)}\n`);
      await expect(
        SshTransport.connect(endpoint, { knownHosts: new KnownHosts(file2), hostKeyPolicy: "accept-new", retries: 0 }),
      ).rejects.toThrow(/CHANGED/);
    } finally {
      await new Promise((r) => server.close(r));
    }
  });
});

describe("KnownHosts names are compared lowercased", () => {
  it("matches a recorded name whatever the case of either side", async () => {
    const file = khFile(
      `${entry("docker01", ed1)}\n${entry("Docker02.LAB.example", ed2)}\n${entry("[Docker03]:2222", ed1)}\n${entry("*.Lab.Example", ecdsa)}\n`,
    );
    const kh = new KnownHosts(file);
    expect(await kh.verify("DOCKER01", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("docker02.lab.example", ed2.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify(hostKeyName("DOCKER03", 2222), ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("[docker03]:2222", ed1.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("X.lab.EXAMPLE", ecdsa.blob, "strict")).toEqual({ ok: true, added: false });
    // A different key for an upper-cased known name is changed, not new.
    expect(await kh.verify("DOCKER01", ed2.blob, "accept-new")).toMatchObject({ ok: false, reason: "changed" });
  });

  it("matches a hashed entry (OpenSSH hashes the lowercased name) from an upper-case name", async () => {
    const file = khFile(`${entry(hashName("docker01.lab.example"), ed1)}\n`);
    expect(await new KnownHosts(file).verify("Docker01.Lab.Example", ed1.blob, "strict")).toEqual({
      ok: true,
      added: false,
    });
  });

  it("accept-new writes the name lowercased, and OpenSSH finds it", async () => {
    const file = khFile();
    expect(await new KnownHosts(file).verify("[Docker01.LAB]:2222", ed1.blob, "accept-new")).toEqual({
      ok: true,
      added: true,
    });
    expect(readFileSync(file, "utf8")).toBe(`[docker01.lab]:2222 ${ed1.type} ${ed1.blob.toString("base64")}\n`);
    expect(opensshFinds("[docker01.lab]:2222", file)).toBe(true);
    expect(await new KnownHosts(file).verify("[DOCKER01.lab]:2222", ed1.blob, "accept-new")).toEqual({
      ok: true,
      added: false,
    });
  });
});

describe("KnownHosts checks one at a time", () => {
  it("two parallel checks of one new name with different keys: the first is recorded, the second is a changed key", async () => {
    const file = khFile();
    const kh = new KnownHosts(file);
    const [a, b] = await Promise.all([
      kh.verify("docker01", ed1.blob, "accept-new"),
      kh.verify("docker01", ed2.blob, "accept-new"),
    ]);
    expect(a).toEqual({ ok: true, added: true });
    expect(b).toMatchObject({ ok: false, reason: "changed" });
    expect(readFileSync(file, "utf8")).toBe(`${entry("docker01", ed1)}\n`);
  });

  it("the same through two KnownHosts of one file, and the same key twice is recorded once", async () => {
    const file = join(dir, `parallel-${++n}`, "known_hosts");
    const results = await Promise.all([
      new KnownHosts(file).verify("docker01", ed1.blob, "accept-new"),
      new KnownHosts(file).verify("docker01", ecdsa.blob, "accept-new"),
      new KnownHosts(file).verify("docker01", ed1.blob, "accept-new"),
      new KnownHosts(file).verify("docker02", ed2.blob, "accept-new"),
    ]);
    expect(results).toEqual([
      { ok: true, added: true },
      expect.objectContaining({ ok: false, reason: "changed" }),
      { ok: true, added: false },
      { ok: true, added: true },
    ]);
    expect(readFileSync(file, "utf8")).toBe(`${entry("docker01", ed1)}\n${entry("docker02", ed2)}\n`);
  });

  it("each check re-reads the file: a line written meanwhile by someone else counts", async () => {
    const file = khFile(`${entry("docker02", ed2)}\n`);
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker02", ed2.blob, "strict")).toEqual({ ok: true, added: false });
    writeFileSync(file, `${entry("docker01", ed1)}\n`, { flag: "a" });
    expect(await kh.verify("docker01", ed2.blob, "accept-new")).toMatchObject({ ok: false, reason: "changed" });
  });
});

describe("KnownHosts file and directory modes", () => {
  it("accept-new creates a missing directory 0700 and the file 0600", async () => {
    const sshDir = join(dir, `home-${++n}`, ".ssh");
    const file = join(sshDir, "known_hosts");
    expect(await new KnownHosts(file).verify("docker01", ed1.blob, "accept-new")).toEqual({ ok: true, added: true });
    expect(statSync(sshDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(sshDir, "..")).mode & 0o777).toBe(0o700);
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it("appending keeps the file's mode, and an existing directory's", async () => {
    const sshDir = join(dir, `home-${++n}`);
    mkdirSync(sshDir, { mode: 0o755 });
    chmodSync(sshDir, 0o755);
    const file = join(sshDir, "known_hosts");
    writeFileSync(file, `${entry("docker02", ed2)}\n`);
    chmodSync(file, 0o644);
    expect(await new KnownHosts(file).verify("docker01", ed1.blob, "accept-new")).toEqual({ ok: true, added: true });
    expect(statSync(file).mode & 0o777).toBe(0o644);
    expect(statSync(sshDir).mode & 0o777).toBe(0o755);
  });

  it("appends on a line of its own when the file does not end with a newline", async () => {
    const file = khFile(entry("docker02", ed2));
    expect(await new KnownHosts(file).verify("docker01", ed1.blob, "accept-new")).toEqual({ ok: true, added: true });
    expect(readFileSync(file, "utf8")).toBe(`${entry("docker02", ed2)}\n${entry("docker01", ed1)}\n`);
    const kh = new KnownHosts(file);
    expect(await kh.verify("docker02", ed2.blob, "strict")).toEqual({ ok: true, added: false });
    expect(await kh.verify("docker01", ed1.blob, "strict")).toEqual({ ok: true, added: false });
  });
});

describe("KnownHosts never writes a pattern", () => {
  const planters = [
    "fd00::2%x,*",
    "a b",
    "*",
    "?",
    "docker0?",
    "!docker01",
    "a,b",
    "|1|abc|def",
    "a\tb",
    "a\nb",
    "x|y",
    "@revoked",
    "#x",
    "",
  ];

  it("refuses to record a name with characters outside [A-Za-z0-9.:_[]-], writing nothing", async () => {
    const file = join(dir, `planted-${++n}`, "known_hosts");
    for (const name of planters) {
      const verdict = await new KnownHosts(file).verify(name, ed1.blob, "accept-new");
      expect(verdict, JSON.stringify(name)).toMatchObject({ ok: false });
    }
    expect(existsSync(file) ? readFileSync(file, "utf8") : "").toBe("");
    // Nothing in the file lets another host pass with that key.
    expect(await new KnownHosts(file).verify("docker01", ed1.blob, "strict")).toMatchObject({
      ok: false,
      reason: "unknown",
    });
  });

  it("the refusal says why, and strict still just reports the name unknown", async () => {
    const file = khFile(`${entry("docker02", ed2)}\n`);
    const verdict = await new KnownHosts(file).verify("fd00::2%x,*", ed1.blob, "accept-new");
    expect(verdict).toMatchObject({ ok: false, reason: "invalid-name" });
    if (!verdict.ok) expect(verdict.message).toContain("fd00::2%x,*");
    expect(await new KnownHosts(file).verify("fd00::2%x,*", ed1.blob, "strict")).toMatchObject({
      ok: false,
      reason: "unknown",
    });
    expect(readFileSync(file, "utf8")).toBe(`${entry("docker02", ed2)}\n`);
  });

  it("records host names, IPv4 and IPv6 addresses and [host]:port", async () => {
    const file = khFile();
    const names = ["docker_01.lab-a.example", "10.0.0.5", "fd00::2", "[fd00::2]:2222", hostKeyName("10.0.0.5", 2222)];
    for (const name of names)
      expect(await new KnownHosts(file).verify(name, ed1.blob, "accept-new"), name).toEqual({ ok: true, added: true });
    for (const name of names) expect(opensshFinds(name, file), name).toBe(true);
  });
});
