import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * What a lab file may take from the operator's machine: secrets only from LAB_* variables (or
 * --allow-env), uploads only `docker save` archives inside the lab file's directory. Through the
 * real CLI, as a student who received a hostile lab file would run it.
 */
const repo = resolve(import.meta.dirname, "..", "..");
function lab(cwd: string, ...args: string[]) {
  const r = spawnSync(join(repo, "node_modules/.bin/tsx"), [join(repo, "src/cli/main.ts"), ...args], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, CI: "true", HOME: cwd },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
const base = readFileSync(join(repo, "labs/single-network.yaml"), "utf8");

describe("secrets come only from LAB_* variables", () => {
  const dir = scratchDir("policy-env");
  const file = join(dir, "lab.yaml");
  writeFileSync(
    file,
    base.replace(
      "docker02: { address: 192.168.1.13 }",
      "docker02: { address: 192.168.1.13, ssh: { password_env: AWS_SECRET_ACCESS_KEY }, sudo: { password_env: LAB_SUDO } }",
    ),
  );
  const line = base.split("\n").findIndex((l) => l.includes("docker02: { address: 192.168.1.13 }")) + 1;

  it("lab validate names the variable at its line and column, and how to allow it", () => {
    const r = lab(dir, "validate", file);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(
        `^${file}:${line}:\\d+: secrets are read only from variables named LAB_\\* .*rename AWS_SECRET_ACCESS_KEY, or allow it with --allow-env AWS_SECRET_ACCESS_KEY$`,
        "m",
      ),
    );
    expect(r.stderr).not.toContain("LAB_SUDO");
    const allowed = lab(dir, "validate", file, "--allow-env", "AWS_SECRET_ACCESS_KEY");
    expect(allowed.code, allowed.stderr).toBe(0);
  });

  it("lab up refuses before connecting anywhere (the variable is set, and never read)", () => {
    const r = spawnSync(
      join(repo, "node_modules/.bin/tsx"),
      [join(repo, "src/cli/main.ts"), "up", file, "--inventory", join(dir, "none.yaml")],
      {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, CI: "true", AWS_SECRET_ACCESS_KEY: "s3cr3t" },
      },
    );
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("nothing was done");
    expect(r.stderr).not.toContain("none.yaml"); // the inventory was never even opened
  });
});

describe("uploads stay inside the lab file's directory and are docker save archives", () => {
  const withTarball = (dir: string, tarball: string) => {
    const file = join(dir, "lab.yaml");
    writeFileSync(
      file,
      base.replace("images: [busybox:latest] }", `images: [{ ref: "lab/tools:1.0", tarball: "${tarball}" }] }`),
    );
    return file;
  };

  it("refuses ~/.ssh keys, paths climbing out, and symlinks pointing out, at the tarball's line", () => {
    const home = scratchDir("policy-home");
    mkdirSync(join(home, ".ssh"));
    writeFileSync(join(home, ".ssh", "id_ed25519"), "PRIVATE KEY\n");
    const dir = join(home, "labs", "student");
    mkdirSync(dir, { recursive: true });
    symlinkSync(join(home, ".ssh", "id_ed25519"), join(dir, "innocent.tar"));
    for (const tarball of [
      "~/.ssh/id_ed25519",
      "../../.ssh/id_ed25519",
      join(home, ".ssh", "id_ed25519"),
      "innocent.tar",
    ]) {
      const file = withTarball(dir, tarball);
      const r = lab(dir, "validate", file);
      expect(r.code, tarball).toBe(1);
      expect(r.stderr, tarball).toMatch(
        new RegExp(`^${file}:\\d+:\\d+: .*(outside the lab file's directory|no such file)`, "m"),
      );
    }
  });

  it("refuses a file that is not a docker save archive; accepts one that is", () => {
    const dir = scratchDir("policy-tar");
    writeFileSync(join(dir, "notes.txt"), "hello\n");
    execFileSync("tar", ["-cf", join(dir, "plain.tar"), "-C", dir, "notes.txt"]);
    const plain = lab(dir, "validate", withTarball(dir, "plain.tar"));
    expect(plain.code).toBe(1);
    expect(plain.stderr).toContain("plain.tar is not a `docker save` archive");
    const text = lab(dir, "validate", withTarball(dir, "notes.txt"));
    expect(text.code).toBe(1);
    writeFileSync(join(dir, "manifest.json"), "[]\n");
    execFileSync("tar", ["-cf", join(dir, "image.tar"), "-C", dir, "notes.txt", "manifest.json"]);
    const image = lab(dir, "validate", withTarball(dir, "image.tar"));
    expect(image.code, image.stderr).toBe(0);
  });
});
