import { dirname, join } from "node:path";
import { quote as shellQuote } from "../plan/shell.js";
import { buildSandboxImages } from "./images.js";
import { mustRun, runLocal } from "./local.js";
import { inHost } from "./processes.js";
import type { SandboxState } from "./state.js";

/** Start each host's own dockerd and give it busybox:latest and registry:2 (built locally). */
export async function ensureDocker(state: SandboxState, log: (line: string) => void): Promise<void> {
  const started = Date.now();
  const images = await buildSandboxImages(join(dirname(state.dir), ".images"));
  await Promise.all(
    state.hosts.map(async (host) => {
      const [nsenter, ...startDockerd] = inHost(host, "/usr/local/sbin/lab-sandbox-dockerd", "start");
      await mustRun(nsenter, startDockerd, { timeoutMs: 60_000 });
      for (const image of images) {
        const [, ...inspect] = inHost(host, "docker", "image", "inspect", image.ref);
        if ((await runLocal(nsenter, inspect)).code === 0) continue;
        const importCommand = inHost(
          host,
          "docker",
          "import",
          ...image.changes.flatMap((c) => ["-c", c]),
          "-",
          image.ref,
        )
          .map(shellQuote)
          .join(" ");
        await mustRun("sh", ["-c", `${importCommand} < ${shellQuote(image.tarball)} >/dev/null`], {
          timeoutMs: 120_000,
        });
      }
    }),
  );
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  log(`sandbox: dockerd and images ready on ${state.hosts.length} hosts in ${seconds} s`);
}
