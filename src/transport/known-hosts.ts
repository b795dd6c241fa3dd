import { createHash, createHmac } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { appendFile, mkdir } from "node:fs/promises";
import { dirname } from "node:path";

/** OpenSSH's host key name: "host" on port 22, "[host]:port" otherwise. */
export const hostKeyName = (host: string, port: number): string => (port === 22 ? host : `[${host}]:${port}`);

/** The key type written at the start of an SSH public key blob. */
export function keyType(blob: Buffer): string {
  const length = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + length).toString("ascii");
}

/** SHA256 fingerprint, as `ssh-keygen -l` prints it. */
export const fingerprint = (blob: Buffer): string => `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;

interface Entry {
  patterns: string[];
  /** "!pattern": a name matching one of these is not covered by the line, as in OpenSSH. */
  negations: string[];
  type: string;
  blob: Buffer;
  line: number;
}

export type HostKeyVerdict =
  | { ok: true; added: boolean }
  | { ok: false; reason: "changed"; message: string }
  | { ok: false; reason: "unknown"; message: string };

function matches(pattern: string, name: string): boolean {
  if (pattern.startsWith("|1|")) {
    // Hashed entry: |1|base64(salt)|base64(HMAC-SHA1(salt, name))
    const [, , salt, hash] = pattern.split("|");
    return createHmac("sha1", Buffer.from(salt!, "base64")).update(name).digest("base64") === hash;
  }
  // Every regex character is literal ("[host]:2222" included) except the globs * and ?.
  const glob = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
  return glob.test(name);
}

/**
 * A known_hosts file: lookups follow OpenSSH (plain, hashed, wildcard and negated
 * patterns). accept-new appends an unknown host's key; a changed key is always
 * refused, with both fingerprints.
 */
export class KnownHosts {
  private entries: Entry[] = [];

  constructor(readonly file: string) {
    if (!existsSync(file)) return;
    readFileSync(file, "utf8")
      .split("\n")
      .forEach((raw, i) => {
        const line = raw.trim();
        if (!line || line.startsWith("#") || line.startsWith("@")) return;
        const [hosts, type, key] = line.split(/\s+/);
        if (!hosts || !type || !key) return;
        const patterns = hosts.split(",");
        this.entries.push({
          patterns: patterns.filter((p) => !p.startsWith("!")),
          negations: patterns.filter((p) => p.startsWith("!")).map((p) => p.slice(1)),
          type,
          blob: Buffer.from(key, "base64"),
          line: i + 1,
        });
      });
  }

  async verify(name: string, blob: Buffer, policy: "accept-new" | "strict"): Promise<HostKeyVerdict> {
    const type = keyType(blob);
    const known = this.entries.filter((e) => e.patterns.some((p) => matches(p, name)) && !e.negations.some((p) => matches(p, name)));
    if (known.some((e) => e.type === type && e.blob.equals(blob))) return { ok: true, added: false };
    const sameType = known.find((e) => e.type === type);
    if (sameType) {
      return {
        ok: false,
        reason: "changed",
        message:
          `the host key of ${name} has CHANGED: ${this.file}:${sameType.line} has ${type} ${fingerprint(sameType.blob)}, the host now offers ${fingerprint(blob)}. ` +
          `Someone may be intercepting the connection, or the host was reinstalled; if you know it was, remove the old key with: ssh-keygen -R '${name}' -f ${this.file}`,
      };
    }
    if (policy === "strict") {
      return { ok: false, reason: "unknown", message: `${name} is not in ${this.file} (offered ${type} ${fingerprint(blob)}); add it, or drop --strict-host-keys to accept new hosts` };
    }
    await mkdir(dirname(this.file), { recursive: true });
    await appendFile(this.file, `${name} ${type} ${blob.toString("base64")}\n`, { mode: 0o600 });
    this.entries.push({ patterns: [name], negations: [], type, blob, line: -1 });
    return { ok: true, added: true };
  }
}
