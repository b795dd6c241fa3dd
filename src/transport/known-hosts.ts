import { createHash, createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import type { ServerHostKeyAlgorithm } from "ssh2";

/** OpenSSH's host key name: "host" on port 22, "[host]:port" otherwise; lowercased, as OpenSSH does. */
export const hostKeyName = (host: string, port: number): string =>
  (port === 22 ? host : `[${host}]:${port}`).toLowerCase();

/** The key type written at the start of an SSH public key blob. */
export function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString("ascii");
}

/** SHA256 fingerprint, as `ssh-keygen -l` prints it. */
export const fingerprint = (blob: Buffer): string =>
  `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;

/**
 * The only characters a name lab writes into known_hosts may hold: a host name, an IPv4 or IPv6
 * address, or OpenSSH's "[host]:port". Anything else (* ? , ! % | whitespace …) could plant a
 * pattern or a second field in the file.
 */
const RECORDABLE_NAME = /^[a-z0-9.:_[\]-]+$/;

/** ssh2's default host key algorithms, in its order (ssh-ed25519 first: Node ≥ 20 always has it). */
const DEFAULT_HOST_KEY_ALGORITHMS: ServerHostKeyAlgorithm[] = [
  "ssh-ed25519",
  "ecdsa-sha2-nistp256",
  "ecdsa-sha2-nistp384",
  "ecdsa-sha2-nistp521",
  "rsa-sha2-512",
  "rsa-sha2-256",
  "ssh-rsa",
];

/** The ssh2 algorithms that produce a host key of this type (an ssh-rsa key: the SHA-2 signatures first). */
const ALGORITHMS_FOR_KEY_TYPE: Record<string, ServerHostKeyAlgorithm[]> = {
  "ssh-ed25519": ["ssh-ed25519"],
  "ecdsa-sha2-nistp256": ["ecdsa-sha2-nistp256"],
  "ecdsa-sha2-nistp384": ["ecdsa-sha2-nistp384"],
  "ecdsa-sha2-nistp521": ["ecdsa-sha2-nistp521"],
  "ssh-rsa": ["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"],
};

/**
 * ssh2's `algorithms.serverHostKey` for a host whose recorded key types are `types` (file order):
 * the algorithms for those types first, then ssh2's other defaults, as OpenSSH orders its
 * HostKeyAlgorithms. undefined (ssh2's defaults) when no recorded type is one ssh2 can use.
 */
export function hostKeyAlgorithmsFor(types: readonly string[]): ServerHostKeyAlgorithm[] | undefined {
  const first = [...new Set(types.flatMap((t) => ALGORITHMS_FOR_KEY_TYPE[t] ?? []))];
  if (!first.length) return undefined;
  return [...first, ...DEFAULT_HOST_KEY_ALGORITHMS.filter((a) => !first.includes(a))];
}

interface Entry {
  /** "@revoked" / "@cert-authority" lines; undefined for a plain host key line. */
  marker?: "revoked" | "cert-authority";
  patterns: string[];
  /** "!pattern": a name matching one of these is not covered by the line, as in OpenSSH. */
  negations: string[];
  type: string;
  blob: Buffer;
  line: number;
}

export type HostKeyVerdict =
  | { ok: true; added: boolean }
  | {
      ok: false;
      reason: "changed" | "unknown" | "revoked" | "cert-authority" | "invalid-name" | "unreadable";
      message: string;
    };

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, name))
    const [, , salt, hash] = pattern.split("|");
    return createHmac("sha1", Buffer.from(salt!, "base64")).update(name).digest("base64") === hash;
  }
  // Every regex character is literal ("[host]:2222" included) except the globs * and ?.
  const glob = new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  );
  return glob.test(name);
}

/**
 * OpenSSH compares plain patterns case-insensitively (match_hostname lowercases them); a hash
 * is matched as written.
 */
const normalizePattern = (p: string) => (p.startsWith("|") ? p : p.toLowerCase());

function parse(text: string): Entry[] {
  const entries: Entry[] = [];
  text.split("\n").forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith("#")) return;
    const fields = line.split(/\s+/);
    let marker: Entry["marker"];
    if (fields[0]!.startsWith("@")) {
      const m = fields.shift();
      if (m === "@revoked") marker = "revoked";
      else if (m === "@cert-authority") marker = "cert-authority";
      else return; // an unknown marker: OpenSSH ignores the line
    }
    const [hosts, type, key] = fields;
    if (!hosts || !type || !key) return;
    const patterns = hosts.split(",").map(normalizePattern);
    entries.push({
      marker,
      patterns: patterns.filter((p) => !p.startsWith("!")),
      negations: patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1)),
      type,
      blob: Buffer.from(key, "base64"),
      line: i + 1,
    });
  });
  return entries;
}

const covers = (e: Entry, name: string) =>
  e.patterns.some((p) => matches(p, name)) && !e.negations.some((p) => matches(p, name));

/** A shell-quoted word, for the commands suggested in messages. */
const sq = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** Checks of one file run one at a time, in this process: the tail of each file's queue. */
const queues = new Map<string, Promise<unknown>>();
function serialized<T>(file: string, fn: () => Promise<T>): Promise<T> {
  const key = resolve(file);
  const run = (queues.get(key) ?? Promise.resolve()).then(fn);
  const tail = run.then(
    () => undefined,
    () => undefined,
  );
  queues.set(key, tail);
  void tail.then(() => {
    if (queues.get(key) === tail) queues.delete(key);
  });
  return run;
}

/**
 * A known_hosts file with OpenSSH's semantics: plain, hashed, wildcard and negated patterns,
 * names compared lowercased; a key on a matching @revoked line is always refused; a name with
 * recorded keys accepts only one of them (a key of another type is a changed key too); a name
 * matched only by @cert-authority lines is refused (lab does not do certificates). accept-new
 * appends an unknown host's key. Each check re-reads the file, one check per file at a time.
 */
export class KnownHosts {
  constructor(readonly file: string) {}

  /** The file's text ("" when it does not exist yet). */
  private async read(): Promise<string> {
    try {
      return await readFile(this.file, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
      throw err;
    }
  }

  /** ssh2's `algorithms.serverHostKey` for `name`: the types recorded for it first (see hostKeyAlgorithmsFor). */
  preferredHostKeyAlgorithms(name: string): ServerHostKeyAlgorithm[] | undefined {
    let entries: Entry[];
    try {
      entries = parse(readFileSync(this.file, "utf8"));
    } catch {
      return undefined;
    }
    name = name.toLowerCase();
    const forName = entries.filter((e) => covers(e, name));
    const revoked = forName.filter((e) => e.marker === "revoked");
    const usable = forName.filter((e) => !e.marker && !revoked.some((r) => r.blob.equals(e.blob)));
    return hostKeyAlgorithmsFor(usable.map((e) => e.type));
  }

  verify(name: string, blob: Buffer, policy: "accept-new" | "strict"): Promise<HostKeyVerdict> {
    return serialized(this.file, async () => {
      try {
        return await this.check(name.toLowerCase(), blob, policy);
      } catch (err) {
        return {
          ok: false,
          reason: "unreadable",
          message: `cannot use the known hosts file ${this.file}: ${(err as Error).message}`,
        };
      }
    });
  }

  private async check(name: string, blob: Buffer, policy: "accept-new" | "strict"): Promise<HostKeyVerdict> {
    const type = keyType(blob);
    const offered = fingerprint(blob);
    const text = await this.read();
    const forName = parse(text).filter((e) => covers(e, name));

    const revoked = forName.find((e) => e.marker === "revoked" && e.blob.equals(blob));
    if (revoked) {
      return {
        ok: false,
        reason: "revoked",
        message: `the host key ${name} offers, ${type} ${offered}, is REVOKED: ${this.file}:${revoked.line} marks it @revoked. Refusing to connect; the host must be given a new key`,
      };
    }

    const known = forName.filter((e) => !e.marker);
    if (known.some((e) => e.blob.equals(blob))) return { ok: true, added: false };
    if (known.length) {
      const old = known.find((e) => e.type === type) ?? known[0]!;
      const others =
        known.length > 1 ? ` (and ${known.length - 1} other recorded key${known.length > 2 ? "s" : ""})` : "";
      const otherType = old.type === type ? "" : ` (of type ${type}, where ${old.type} is recorded)`;
      return {
        ok: false,
        reason: "changed",
        message:
          `the host key of ${name} has CHANGED: ${this.file}:${old.line} has ${old.type} ${fingerprint(old.blob)}${others}, the host now offers ${offered}${otherType}. ` +
          `Someone may be intercepting the connection, or the host was reinstalled; if you know it was, remove the old key with: ssh-keygen -R ${sq(name)} -f ${this.file}`,
      };
    }

    const ca = forName.find((e) => e.marker === "cert-authority");
    if (ca) {
      return {
        ok: false,
        reason: "cert-authority",
        message:
          `${name} is known in ${this.file} only through an @cert-authority line (line ${ca.line}): the host uses SSH host certificates, which lab does not support. ` +
          `Add its plain host key to ${this.file} (after checking its fingerprint, ${type} ${offered} is offered), e.g. from ssh-keyscan`,
      };
    }

    if (policy === "strict") {
      return {
        ok: false,
        reason: "unknown",
        message: `${name} is not in ${this.file} (offered ${type} ${offered}); add it, or drop --strict-host-keys to accept new hosts`,
      };
    }
    if (!RECORDABLE_NAME.test(name)) {
      return {
        ok: false,
        reason: "invalid-name",
        message: `will not record the host name ${JSON.stringify(name)} in ${this.file}: only letters, digits and . : _ - [ ] may be written there (a name must not become a pattern); add its key yourself`,
      };
    }
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    // A last line without its newline would otherwise swallow ours.
    const sep = text && !text.endsWith("\n") ? "\n" : "";
    await appendFile(this.file, `${sep}${name} ${type} ${blob.toString("base64")}\n`, { mode: 0o600 });
    return { ok: true, added: true };
  }
}
