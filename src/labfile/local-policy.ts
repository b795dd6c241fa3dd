import { constants } from "node:fs";
import { open, realpath, type FileHandle } from "node:fs/promises";
import { dirname, isAbsolute, relative, resolve } from "node:path";
import { error, type LabIssue, type LocatedIssue, type PathSegment } from "./issues.js";
import { locate, type LabSource } from "./source.js";

/**
 * What a lab file may take from the machine that runs lab: students pass lab files around,
 * and lab runs as root. Checked when a lab is about to be used, after the schema and rules:
 * - secrets come only from variables named LAB_* (or allowed one by one with --allow-env), so
 *   a lab file cannot name AWS_SECRET_ACCESS_KEY as an SSH password and send it to a host;
 * - files it uploads (registry.images[].tarball) lie inside the lab file's own directory
 *   (after symlinks) and are `docker save` archives, so it cannot carry ~/.ssh/id_ed25519 or
 *   /etc/shadow away. (SSH key files are read here and never uploaded: they may be anywhere.)
 */
export interface LocalPolicy {
  /** Variables allowed as secrets although not named LAB_* (--allow-env NAME). */
  allowEnv: string[];
}

const SECRET_PREFIX = "LAB_";

type Raw = Record<string, unknown> | undefined;
const obj = (v: unknown): Raw =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;

/** Every place a lab file names a secret's variable, with its path. */
function secretVariables(data: unknown): { path: PathSegment[]; name: string }[] {
  const found: { path: PathSegment[]; name: string }[] = [];
  const fromSsh = (ssh: unknown, at: PathSegment[]) => {
    for (const key of ["password_env", "passphrase_env"]) {
      const name = obj(ssh)?.[key];
      if (typeof name === "string") found.push({ path: [...at, key], name });
    }
  };
  const fromSudo = (sudo: unknown, at: PathSegment[]) => {
    const name = obj(sudo)?.password_env;
    if (typeof name === "string") found.push({ path: [...at, "password_env"], name });
  };
  const root = obj(data);
  fromSsh(obj(root?.defaults)?.ssh, ["defaults", "ssh"]);
  fromSudo(obj(root?.defaults)?.sudo, ["defaults", "sudo"]);
  for (const [host, spec] of Object.entries(obj(root?.hosts) ?? {})) {
    fromSsh(obj(spec)?.ssh, ["hosts", host, "ssh"]);
    fromSudo(obj(spec)?.sudo, ["hosts", host, "sudo"]);
  }
  return found;
}

function tarballs(data: unknown): { path: PathSegment[]; file: string }[] {
  const images = obj(obj(data)?.registry)?.images;
  if (!Array.isArray(images)) return [];
  return images.flatMap((image, i) => {
    const file = obj(image)?.tarball;
    return typeof file === "string" ? [{ path: ["registry", "images", i, "tarball"] as PathSegment[], file }] : [];
  });
}

/**
 * A file a lab uploads, resolved (relative to the lab file, symlinks followed) and checked to
 * lie inside the lab file's directory; the reason when it does not. Used by validation and
 * again by the upload itself.
 */
export async function labLocalFile(
  labFile: string,
  written: string,
): Promise<{ path: string; labDir: string } | { problem: string }> {
  const labDir = await realpath(dirname(resolve(labFile)));
  let path: string;
  try {
    path = await realpath(resolve(labDir, written));
  } catch {
    return { problem: `${written}: no such file (relative paths are relative to the lab file)` };
  }
  return isInside(labDir, path)
    ? { path, labDir }
    : {
        problem: `${written} is outside the lab file's directory ${labDir}: a lab uploads only files that travel with it`,
      };
}

/** True when `path` (already resolved) lies below `dir`. */
export function isInside(dir: string, path: string): boolean {
  const inside = relative(dir, path);
  return !(inside === "" || inside.startsWith("..") || isAbsolute(inside));
}

/** True for a tar archive holding a `docker save` image (manifest.json, or an OCI index.json). */
export async function isDockerSaveArchive(file: string | FileHandle): Promise<boolean> {
  const handle = typeof file === "string" ? await open(file, constants.O_RDONLY | constants.O_NONBLOCK) : file;
  try {
    // A FIFO or a device would block or never end: only a regular file is an archive.
    if (!(await handle.stat()).isFile()) return false;
    const header = Buffer.alloc(512);
    let offset = 0;
    // Walk the tar headers (at most a few thousand entries); the names are what we need.
    for (let entries = 0; entries < 10_000; entries++) {
      const { bytesRead } = await handle.read(header, 0, 512, offset);
      if (bytesRead < 512 || header.every((b) => b === 0)) return false;
      if (header.subarray(257, 262).toString("latin1") !== "ustar") return false;
      const name = header.subarray(0, 100).toString("latin1").replace(/\0.*$/s, "").replace(/^\.\//, "");
      if (name === "manifest.json" || name === "index.json") return true;
      const size = parseInt(header.subarray(124, 136).toString("latin1").replace(/\0.*$/s, "").trim() || "0", 8);
      if (!Number.isFinite(size) || size < 0) return false;
      offset += 512 + Math.ceil(size / 512) * 512;
    }
    return false;
  } finally {
    if (typeof file === "string") await handle.close();
  }
}

export async function checkLocalPolicy(source: LabSource, policy: LocalPolicy): Promise<LocatedIssue[]> {
  const issues: LabIssue[] = [];
  const allowed = new Set(policy.allowEnv);
  for (const { path, name } of secretVariables(source.data)) {
    if (name.startsWith(SECRET_PREFIX) || allowed.has(name)) continue;
    issues.push(
      error(
        path,
        `secrets are read only from variables named ${SECRET_PREFIX}* (so a lab file cannot send another secret to a host): rename ${name}, or allow it with --allow-env ${name}`,
      ),
    );
  }
  for (const { path, file } of tarballs(source.data)) {
    const local = await labLocalFile(source.file, file);
    if ("problem" in local) {
      issues.push(error(path, local.problem));
      continue;
    }
    if (!(await isDockerSaveArchive(local.path).catch(() => false)))
      issues.push(error(path, `${file} is not a \`docker save\` archive (no manifest.json in it)`));
  }
  return issues.map((i) => locate(source, i));
}
