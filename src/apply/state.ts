import { LabError } from "../errors.js";
import { quote } from "../plan/shell.js";
import { z } from "zod";
import { undoSchema, type Undo } from "../plan/undo.js";
import { patterns } from "../labfile/patterns.js";
import type { Transport } from "../transport/types.js";

/**
 * What the lab changed on a host, kept on the host itself (so `lab down` works from any
 * machine): the steps it changed, in order, each with its undo. Backups of replaced files
 * live next to it.
 */
export interface HostState {
  lab: string;
  /** The lab file's id: another lab with the same name is refused on this host. */
  id: string;
  version: 3;
  updatedAt: string;
  changed: { id: string; title: string; undo: Undo[]; at: string }[];
}

/**
 * The state file as lab accepts it back from a host: data only, every name of the lab file's
 * own grammar, and text printed to the operator's terminal free of control characters.
 */
const printable = z
  .string()
  .max(400)
  .regex(/^[^\u0000-\u001f\u007f-\u009f]*$/, "printable text");
const stateSchema = z.strictObject({
  lab: z.string().regex(patterns.labName.regex),
  id: z.string().regex(patterns.labId.regex),
  version: z.literal(3),
  updatedAt: printable,
  changed: z
    .array(z.strictObject({ id: printable, title: printable, undo: z.array(undoSchema).max(20), at: printable }))
    .max(10_000),
});

export const stateDir = "/var/lib/lab";
export const stateFile = (lab: string) => `${stateDir}/${lab}.json`;
export const backupDir = (lab: string) => `${stateDir}/${lab}.backup`;
/** One flat file per backed-up path: /etc/docker/daemon.json → _etc_docker_daemon.json. */
export const backupPath = (lab: string, path: string) => `${backupDir(lab)}/${path.replace(/\//g, "_")}`;

/** Which lab a state belongs to: the lab file's name and id. */
export interface LabIdentity {
  name: string;
  /** Undefined for a lab file that has no id yet (then only a host without state matches). */
  id?: string;
}

export function emptyState(lab: LabIdentity): HostState {
  if (!lab.id) throw new Error("a lab without an id records no state (lab up writes the id first)");
  return { lab: lab.name, id: lab.id, version: 3, updatedAt: new Date().toISOString(), changed: [] };
}

/** A host's state file, or a refusal naming the host and the reason; nothing runs from a refused file. */
export function parseState(lab: LabIdentity, text: string, host: string): HostState | undefined {
  if (!text.trim()) return undefined;
  // The reason quotes the host's own text (a key, a snippet): printable only, and short.
  const refuse = (why: string) =>
    new LabError(
      `${stateFile(lab.name)} is refused (${why.replace(/[\u0000-\u001f\u007f-\u009f]/g, "?").slice(0, 300)}); nothing was run on this host. Look at it, then move it aside to start over`,
      "state",
      host,
    );
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (err) {
    throw refuse(`not JSON: ${(err as Error).message}`);
  }
  const version = (data as { version?: unknown } | null)?.version;
  if (version === 1)
    throw refuse("written by an earlier lab whose undo entries were commands, which lab no longer runs from a host");
  if (version === 2)
    throw refuse("written by an earlier lab that recorded no lab id; take it down with that version of lab");
  const parsed = stateSchema.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw refuse(`${issue.path.join(".") || "top level"}: ${issue.message}`);
  }
  const state = parsed.data;
  if (state.lab !== lab.name) throw refuse(`it belongs to lab ${state.lab}`);
  if (state.id !== lab.id) {
    throw new LabError(
      lab.id
        ? `another lab named ${lab.name} is on this host (id ${state.id}; this lab file has id ${lab.id}); nothing was run on this host. Take that lab down with its own lab file, or give this lab another name`
        : `the lab ${lab.name} on this host has id ${state.id} and this lab file has none; nothing was run on this host. If it is that lab, add \`id: ${state.id}\` under name: in the lab file`,
      "other-lab",
      host,
    );
  }
  return state;
}

export async function readState(transport: Transport, lab: LabIdentity): Promise<HostState | undefined> {
  const file = quote(stateFile(lab.name));
  // A failed read (sudo refused, timeout) must never look like "the lab changed nothing".
  const r = await transport.exec(`if [ -e ${file} ]; then cat ${file}; fi`, { timeoutMs: 60_000, retrySafe: true });
  if (r.code !== 0) {
    throw new LabError(
      `cannot read ${stateFile(lab.name)}: ${r.stderr.trim() || (r.timedOut ? "timed out" : `exit ${r.code}`)}`,
      "state-unreadable",
      transport.host,
    );
  }
  return parseState(lab, r.stdout, transport.host);
}

/** Write the state file; returns the text written. */
export async function writeState(transport: Transport, state: HostState): Promise<string> {
  state.updatedAt = new Date().toISOString();
  const text = JSON.stringify(state, null, 2) + "\n";
  await transport.writeFile(stateFile(state.lab), text, { mode: "0600" });
  return text;
}

export async function removeState(transport: Transport, lab: string): Promise<void> {
  // /var/lib/lab goes too when no other lab keeps its state there.
  await transport.exec(
    `rm -rf ${quote(stateFile(lab))} ${quote(backupDir(lab))}; rmdir ${stateDir} 2>/dev/null || true`,
  );
}
