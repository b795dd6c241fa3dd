import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { buildSandboxImages } from "../../src/sandbox/images.js";
import { dockerHostsUnavailable } from "../helpers/real-hosts.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * busybox:latest and registry:2 come from one builder, templates/images/build-images.sh, for
 * the sandbox (this machine's packages) and the VM image (the guest's tree) alike.
 */
const repo = resolve(import.meta.dirname, "..", "..");
const builder = join(repo, "templates", "images", "build-images.sh");
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED image builder tests: ${skip}`);

describe.skipIf(!!skip)("sandbox images", () => {
  it("builds both tarballs from a system root: busybox with its applets, the registry with its config", () => {
    const out = scratchDir("images");
    execFileSync("bash", [builder, "/", out], { timeout: 120_000 });
    const list = (tar: string) => execFileSync("tar", ["-tvf", join(out, tar)], { encoding: "utf8" });
    const busybox = list("busybox.tar");
    expect(busybox).toMatch(/ \.\/bin\/busybox\n/);
    expect(busybox).toMatch(/ \.\/bin\/ping -> \/bin\/busybox\n/);
    expect(busybox).toMatch(/ \.\/etc\/passwd\n/);
    const registry = list("registry.tar");
    expect(registry).toMatch(/ \.\/bin\/registry\n/);
    expect(registry).toMatch(/ \.\/etc\/docker\/registry\/config\.yml\n/);
    expect(registry).toMatch(/ \.\/bin\/sh -> \/bin\/busybox\n/);
    // Nothing of the build is left beside the tarballs.
    expect(execFileSync("ls", ["-A", out], { encoding: "utf8" }).split("\n").filter(Boolean).sort()).toEqual([
      "busybox.tar",
      "registry.tar",
    ]);
  });

  it("a wrong call prints the usage and builds nothing", () => {
    const r = spawnSync("bash", [builder, "/"], { encoding: "utf8" });
    expect(r.status).toBe(2);
    expect(r.stdout).toContain("build-images.sh SYSROOT OUTDIR");
  });

  it("the sandbox reads each image's reference and import changes from the builder's folder, and builds once per version", async () => {
    const cache = scratchDir("images-cache");
    const images = await buildSandboxImages(cache);
    expect(images.map((i) => [i.ref, i.changes])).toEqual([
      ["busybox:latest", ['CMD ["sh"]']],
      [
        "registry:2",
        [
          'ENTRYPOINT ["/bin/registry","serve","/etc/docker/registry/config.yml"]',
          "EXPOSE 5000",
          'VOLUME ["/var/lib/registry"]',
        ],
      ],
    ]);
    // A folder named by the hash of the builder's files: a changed builder never reuses it.
    expect(dirname(images[0]!.tarball)).toMatch(new RegExp(`^${cache}/[0-9a-f]{16}$`));
    const built = statSync(images[0]!.tarball).mtimeMs;
    const again = await buildSandboxImages(cache);
    expect(again[0]!.tarball).toBe(images[0]!.tarball);
    expect(statSync(again[0]!.tarball).mtimeMs).toBe(built);
    expect(existsSync(images[1]!.tarball)).toBe(true);
  });
});
