import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { realHostsUnavailable } from "../helpers/real-hosts.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * Installed like any npm command-line tool: `npm pack`, then `npm install -g` of the tarball into
 * a temporary prefix, and `lab` run from outside the repository (nothing may depend on the
 * working directory being the repo). Also a clone without node_modules, installed as a copy.
 */
const repo = resolve(import.meta.dirname, "..", "..");
const version = (JSON.parse(readFileSync(join(repo, "package.json"), "utf8")) as { version: string }).version;

/** The working tree as a clone would have it: tracked and new files, nothing ignored (no dist/, no node_modules/). */
function copyOfWorkingTree(): string {
  const dir = join(scratchDir("pkg-src"), "lab");
  const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: repo,
    encoding: "utf8",
  })
    .split("\0")
    .filter(Boolean);
  for (const file of files) {
    if (!existsSync(join(repo, file))) continue; // deleted, not yet committed
    mkdirSync(join(dir, file, ".."), { recursive: true });
    cpSync(join(repo, file), join(dir, file));
  }
  return dir;
}

const npm = (args: string[], cwd: string) => {
  const r = spawnSync("npm", [...args, "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd,
    encoding: "utf8",
    env: { ...process.env, npm_config_update_notifier: "false" },
  });
  expect(r.status, `npm ${args.join(" ")}\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
};

describe("npm pack, then npm install -g of the tarball", { timeout: 240_000 }, () => {
  let prefix: string;
  let installed: string;
  let outside: string;
  let files: string[];
  const lab = (...args: string[]) =>
    spawnSync(join(prefix, "bin", "lab"), args, {
      cwd: outside,
      encoding: "utf8",
      env: { ...process.env, CI: "true" },
    });

  beforeAll(() => {
    const src = copyOfWorkingTree();
    // A developer's clone: its node_modules are there, so prepare type-checks while it builds.
    symlinkSync(join(repo, "node_modules"), join(src, "node_modules"));
    const out = scratchDir("pkg-out");
    const packed = JSON.parse(npm(["pack", "--json", "--pack-destination", out], src)) as {
      filename: string;
      files: { path: string }[];
    }[];
    files = packed[0]!.files.map((f) => f.path).sort();
    prefix = scratchDir("pkg-prefix");
    npm(["install", "--global", "--prefix", prefix, join(out, packed[0]!.filename)], out);
    installed = join(prefix, "lib", "node_modules", "lab");
    outside = scratchDir("pkg-cwd");
  }, 180_000);

  it("holds exactly what the CLI needs at run time: the launcher, the bundle and the built JavaScript, templates, labs (and the sample class roster), schema", () => {
    const outsideAllowed = files.filter(
      (f) =>
        !/^(bin\/lab\.js|bundle\/[\w-]+\.js|dist\/.+\.js|templates\/.+|labs\/[\w-]+\.yaml|labs\/class\/roster\.csv|schema\/lab\.schema\.json|package\.json|README\.md)$/.test(
          f,
        ),
    );
    expect(outsideAllowed).toEqual([]);
    for (const needed of [
      "bin/lab.js",
      "bundle/main.js",
      "dist/cli/main.js",
      "templates/sandbox/hostinit.sh",
      "templates/completion/lab.bash",
      "labs/two-host-vlan.yaml",
      "schema/lab.schema.json",
    ])
      expect(files).toContain(needed);
  });

  it("lab --version, validate and plan work from outside the repository, on the packaged sample labs", () => {
    const v = lab("--version");
    expect(v.status).toBe(0);
    expect(v.stdout.trim()).toBe(version);
    const valid = lab("validate", join(installed, "labs", "two-host-vlan.yaml"));
    expect(valid.status, valid.stderr).toBe(0);
    expect(valid.stdout).toContain("two-host-vlan.yaml: valid (2 hosts");
    const plan = lab("plan", join(installed, "labs", "single-network.yaml"), "--format", "sh", "--host", "docker02");
    expect(plan.status, plan.stderr).toBe(0);
    expect(plan.stdout).toContain("docker network create");
    const completion = lab("completion", "bash");
    expect(completion.stdout).toBe(readFileSync(join(repo, "templates", "completion", "lab.bash"), "utf8"));
  });

  const skip = realHostsUnavailable();
  it.skipIf(!!skip)("the installed lab builds a sandbox lab from its own templates, and takes it down", () => {
    const file = join(outside, "lab.yaml");
    execFileSync("sh", [
      "-c",
      `sed 's/^name: .*/name: t-pkg/' ${join(installed, "labs", "macvlan-netns.yaml")} > ${file}`,
    ]);
    const up = lab("up", file, "--sandbox");
    expect(up.status, up.stdout + up.stderr).toBe(0);
    expect(up.stdout).toMatch(/checks: all \d+ as expected/);
    const down = lab("down", file, "--sandbox");
    expect(down.status, down.stderr).toBe(0);
  });
});

describe("npm install -g --install-links of a clone without node_modules or dist/", { timeout: 240_000 }, () => {
  it("builds while installing (prepare, emit only) and gives a working lab", () => {
    const src = copyOfWorkingTree();
    const prefix = scratchDir("pkg-clone-prefix");
    npm(["install", "--global", "--install-links", "--prefix", prefix, src], scratchDir("pkg-clone-cwd"));
    const v = spawnSync(
      join(prefix, "bin", "lab"),
      ["plan", join(prefix, "lib", "node_modules", "lab", "labs", "two-host-vlan.yaml")],
      { encoding: "utf8", cwd: scratchDir("pkg-clone-run") },
    );
    expect(v.status, v.stderr).toBe(0);
    expect(v.stdout).toContain("Plan for lab two-host-vlan");
  });
});
