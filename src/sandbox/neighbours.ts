import { readFile, writeFile } from "node:fs/promises";
import type { Lab } from "../labfile/model.js";

/**
 * One kernel runs every sandbox host, and its neighbour (ARP/NDP) table is one table for all
 * of its network namespaces, 1,024 entries by default. Real hosts each keep their own: a lab of
 * 40 hosts with 80 containers, every container pinging every other, needs 80 × 79 entries here
 * and about 160 on each real host. Past the limit the kernel drops packets ("neighbor table
 * overflow") and the check reports pairs as unreachable that are not. So the sandbox makes
 * room: it only ever raises the limits, and only as far as the lab needs.
 */
const TABLES = ["ipv4", "ipv6"].map((family) => `/proc/sys/net/${family}/neigh/default`);

/** Entries the lab may need at once: every endpoint knowing every other (hosts, containers, namespaces). */
export function neighboursNeeded(lab: Pick<Lab, "hosts" | "containers" | "namespaces">): number {
  const endpoints = lab.hosts.length * 2 + lab.containers.length + lab.namespaces.length;
  return endpoints * endpoints;
}

/** Raise gc_thresh2/3 (soft and hard limits) where the lab needs more; says what it changed. */
export async function makeNeighbourRoom(lab: Lab, log: (line: string) => void): Promise<void> {
  const needed = neighboursNeeded(lab);
  for (const table of TABLES) {
    const wanted = { gc_thresh2: needed, gc_thresh3: needed * 2 };
    for (const [name, value] of Object.entries(wanted)) {
      const file = `${table}/${name}`;
      const now = Number((await readFile(file, "utf8").catch(() => "")).trim());
      if (!Number.isFinite(now) || now === 0 || now >= value) continue;
      await writeFile(file, `${value}\n`);
      log(
        `sandbox: ${file.slice(10).replaceAll("/", ".")} ${now} → ${value} (all sandbox hosts share this kernel's neighbour table)`,
      );
    }
  }
}
