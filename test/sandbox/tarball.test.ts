import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab, sshRun } from "../helpers/real-hosts.js";

/** An image seeded from a `docker save` tarball named in the lab file: uploaded, loaded, pushed, pulled. */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED tarball image test: ${skip}`);

describe.skipIf(!!skip)("registry image from a tarball", () => {
  const name = "t-tarball";
  const { dir, file } = sandboxLab("labs/single-network.yaml", name, (text) =>
    text
      .replace("images: [busybox:latest] }", 'images: [{ ref: "lab/tools:1.0", tarball: tools.tar }] }')
      .replace(/image: busybox:latest/g, 'image: "lab/tools:1.0"'),
  );

  it("loads the tarball on the registry host and runs the image on both hosts", () => {
    expect(lab(dir, "sandbox", "create", file).code).toBe(0);
    // Make the tarball with a sandbox host's dockerd, then forget the image there.
    const tarball = join(dir, "tools.tar");
    const saved = sshRun(
      dir,
      name,
      "docker01",
      "docker tag busybox:latest lab/tools:1.0 && docker save lab/tools:1.0 | base64 -w0 && docker rmi lab/tools:1.0 >/dev/null",
    );
    writeFileSync(tarball, Buffer.from(saved, "base64"));
    expect(
      sshRun(
        dir,
        name,
        "docker01",
        "docker image inspect lab/tools:1.0 >/dev/null 2>&1 && echo present || echo absent",
      ).trim(),
    ).toBe("absent");

    const r = lab(dir, "up", file, "--sandbox");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "docker01: seed: push lab/tools:1.0 to the lab registry as 192.168.1.11:5000/lab/tools:1.0: changed",
    );
    expect(r.stdout).toContain("checks: all 2 as expected");
    expect(sshRun(dir, name, "docker02", "docker inspect -f '{{.Config.Image}}' bbox2").trim()).toBe(
      "192.168.1.11:5000/lab/tools:1.0",
    );
    expect(sshRun(dir, name, "docker01", "ls /tmp/lab-t-tarball-lab_tools_1.0.tar 2>/dev/null | wc -l").trim()).toBe(
      "0",
    ); // the upload is cleaned up
  });
});
