import { existsSync } from "node:fs";
import { mkdir, rm, symlink, copyFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { mustRun } from "./local.js";
import { BUSYBOX, REGISTRY } from "./requirements.js";

/**
 * The sandbox has no Docker Hub: busybox:latest and registry:2 are built here from Debian's
 * busybox-static and docker-registry packages and imported into each host, "as if pulled".
 * The tarballs are cached next to the sandboxes and rebuilt when missing.
 */
export interface SandboxImage {
  ref: string;
  tarball: string;
  /** `docker import -c` changes. */
  changes: string[];
}

async function addBusybox(root: string): Promise<void> {
  for (const d of ["bin", "etc", "proc", "sys", "dev", "tmp", "root", "var"])
    await mkdir(join(root, d), { recursive: true });
  await copyFile(BUSYBOX, join(root, "bin", "busybox"));
  const applets = (await mustRun(BUSYBOX, ["--list"])).split("\n").filter((a) => a && a !== "busybox");
  for (const applet of applets)
    if (!existsSync(join(root, "bin", applet))) await symlink("busybox", join(root, "bin", applet));
  await writeFile(join(root, "etc", "passwd"), "root:x:0:0:root:/root:/bin/sh\n");
  await writeFile(join(root, "etc", "group"), "root:x:0:\n");
}

export async function buildSandboxImages(cacheDir: string): Promise<SandboxImage[]> {
  await mkdir(cacheDir, { recursive: true });
  const busyboxTar = join(cacheDir, "busybox.tar");
  const registryTar = join(cacheDir, "registry.tar");
  if (!existsSync(busyboxTar)) {
    const root = join(cacheDir, "busybox-root");
    await rm(root, { recursive: true, force: true });
    await addBusybox(root);
    await mustRun("tar", ["-C", root, "-cf", busyboxTar, "."]);
    await rm(root, { recursive: true, force: true });
  }
  if (!existsSync(registryTar)) {
    const root = join(cacheDir, "registry-root");
    await rm(root, { recursive: true, force: true });
    // busybox too, so `docker exec <registry> test -e …` can look at its storage.
    await addBusybox(root);
    await copyFile(REGISTRY, join(root, "bin", "registry"));
    const libraries = (await mustRun("ldd", [REGISTRY]).catch(() => "")).match(/\/\S+/g) ?? [];
    for (const lib of libraries) {
      await mkdir(join(root, dirname(lib)), { recursive: true });
      await copyFile(lib, join(root, lib));
    }
    await mkdir(join(root, "etc", "docker", "registry"), { recursive: true });
    await mkdir(join(root, "var", "lib", "registry"), { recursive: true });
    await writeFile(
      join(root, "etc", "docker", "registry", "config.yml"),
      "version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/registry\n  delete:\n    enabled: true\nhttp:\n  addr: :5000\n",
    );
    await mustRun("tar", ["-C", root, "-cf", registryTar, "."]);
    await rm(root, { recursive: true, force: true });
  }
  return [
    { ref: "busybox:latest", tarball: busyboxTar, changes: ['CMD ["sh"]'] },
    {
      ref: "registry:2",
      tarball: registryTar,
      changes: [
        'ENTRYPOINT ["/bin/registry","serve","/etc/docker/registry/config.yml"]',
        "EXPOSE 5000",
        'VOLUME ["/var/lib/registry"]',
      ],
    },
  ];
}
