import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import { z } from "zod";
import { LabError } from "../errors.js";
import { patterns } from "../labfile/patterns.js";

/**
 * --inventory FILE: where SSH really goes, without touching the lab file (VMs behind port
 * forwards, bastions, the sandbox). YAML or JSON: { known_hosts?, hosts: { name: {...} } },
 * or just the hosts map.
 */
const entry = z.strictObject({
  host: z.string().regex(patterns.sshHost.regex).optional(),
  port: z.number().int().min(1).max(65535).optional(),
  user: z.string().regex(patterns.user.regex).optional(),
  identity_file: z.string().regex(patterns.localPath.regex).optional(),
  proxy_command: z.array(z.string()).min(1).optional(),
});
const inventorySchema = z.strictObject({ known_hosts: z.string().optional(), hosts: z.record(z.string(), entry) });

export type Inventory = z.output<typeof inventorySchema>;
export type InventoryEntry = z.output<typeof entry>;

export async function loadInventory(file: string): Promise<Inventory> {
  let data: unknown;
  try {
    data = parse(await readFile(file, "utf8"));
  } catch (err) {
    throw new LabError(`--inventory ${file}: ${(err as Error).message}`, "inventory");
  }
  const shaped = data && typeof data === "object" && "hosts" in data ? data : { hosts: data };
  const result = inventorySchema.safeParse(shaped);
  if (!result.success) {
    const first = result.error.issues[0]!;
    const where = first.path.length > 0 ? `${first.path.join(".")}: ` : "";
    throw new LabError(`--inventory ${file}: ${where}${first.message}`, "inventory");
  }
  return result.data;
}
