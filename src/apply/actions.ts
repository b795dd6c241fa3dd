import { isDockerSaveArchive, isInside, labLocalFile } from "../labfile/local-policy.js";
import { constants } from "node:fs";
import { open, realpath } from "node:fs/promises";
import { quote } from "../plan/shell.js";
import type { Action } from "../plan/types.js";
import type { ExecResult, Transport } from "../transport/types.js";
import { backupDir, backupPath } from "./state.js";

/** A failed action: the command and what the host said, for the summary. */
export class ActionError extends Error {
  constructor(
    readonly command: string,
    readonly result: Pick<ExecResult, "code" | "signal" | "stderr" | "timedOut">,
  ) {
    const why = result.timedOut ? "timed out" : result.signal ? `killed by ${result.signal}` : `exit ${result.code}`;
    super(`${why}: ${result.stderr.trim().split("\n").slice(-3).join(" / ") || "(no output on stderr)"}`);
  }
}

export interface ActionContext {
  transport: Transport;
  lab: string;
  labFile: string;
  timeoutMs: number;
  /** Every remote command, for --verbose and the per-host log. */
  onCommand?: (command: string, result: ExecResult) => void;
  onOutput?: (chunk: string, stream: "stdout" | "stderr") => void;
}

async function run(ctx: ActionContext, command: string, stdin?: string | Buffer): Promise<ExecResult> {
  const result = await ctx.transport.exec(command, { stdin, timeoutMs: ctx.timeoutMs, onOutput: ctx.onOutput });
  ctx.onCommand?.(command, result);
  if (result.code !== 0) throw new ActionError(command, result);
  return result;
}

/**
 * Keep the original once: the first time the lab replaces a file, copy it aside (or note
 * that there was none), so `lab down` can put back exactly what was there.
 */
function backupOnce(lab: string, path: string): string {
  const saved = quote(backupPath(lab, path));
  return [
    `mkdir -p ${quote(backupDir(lab))}`,
    `if [ ! -e ${saved} ] && [ ! -L ${saved} ] && [ ! -e ${saved}.absent ]; then`,
    // -P: a symlink is kept as the link itself (the write replaces the link, not its target).
    `  if [ -e ${quote(path)} ] || [ -L ${quote(path)} ]; then cp -P -p ${quote(path)} ${saved}`,
    // No file: note that, and which of its directories are missing too (deepest first), so
    // `lab down` removes the directories the write is about to create, and nothing more.
    `  else : > ${saved}.absent; d=$(dirname ${quote(path)}); while [ ! -d "$d" ]; do echo "$d" >> ${saved}.absent; d=$(dirname "$d"); done; fi`,
    "fi",
  ].join("\n");
}

async function writeWithBackup(ctx: ActionContext, path: string, content: string, mode: string): Promise<void> {
  await run(ctx, backupOnce(ctx.lab, path));
  await ctx.transport.writeFile(path, content, { mode });
}

/**
 * The one remote command of an upload: the file arrives on stdin and goes into a new private
 * directory (mktemp -d: a fresh name, mode 0700), `command` runs with "$upload" naming it, and
 * the directory is removed on every way out. Never a fixed path: under a world-writable /tmp
 * another local user could have put a symlink there, for root to write through.
 */
export function uploadScript(command: string): string {
  return [
    "umask 077",
    "dir=$(mktemp -d) || exit 1",
    `trap 'rm -rf "$dir"' EXIT`,
    "trap 'exit 1' HUP INT TERM",
    'upload="$dir/upload"',
    'cat > "$upload" || exit 1',
    command,
  ].join("\n");
}

/**
 * The content of a file a lab uploads, read through one open file: the file checked (inside
 * the lab file's directory, a regular file, a `docker save` archive) is the file sent, even if
 * the path is swapped for a link meanwhile (O_NOFOLLOW, and where the open file really is).
 */
async function readUpload(labFile: string, written: string): Promise<Buffer> {
  const local = await labLocalFile(labFile, written);
  if ("problem" in local) throw new Error(`upload refused: ${local.problem}`);
  const handle = await open(local.path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK).catch(
    (err: Error) => {
      throw new Error(`upload refused: cannot open ${written}: ${err.message}`);
    },
  );
  try {
    // Where the open file really is (a directory on the way may have been swapped for a link
    // since the check): still inside the lab file's directory.
    const opened = await realpath(`/proc/self/fd/${handle.fd}`);
    if (!isInside(local.labDir, opened))
      throw new Error(
        `upload refused: ${written} changed while lab read it (it is now ${opened}, outside the lab file's directory)`,
      );
    if (!(await isDockerSaveArchive(handle)))
      throw new Error(`upload refused: ${written} is not a \`docker save\` archive`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Union of arrays, override of everything else; other keys kept. */
export function mergeJson(current: Record<string, unknown>, merge: Record<string, unknown>): Record<string, unknown> {
  const out = { ...current };
  for (const [key, value] of Object.entries(merge)) {
    const before: unknown = out[key];
    out[key] =
      Array.isArray(value) && Array.isArray(before)
        ? [...(before as unknown[]), ...(value as unknown[]).filter((v) => !(before as unknown[]).includes(v))]
        : value;
  }
  return out;
}

/** Every listed item out of its list; a list left empty goes; other keys as they are. */
export function unmergeJson(
  current: Record<string, unknown>,
  remove: Record<string, string[]>,
): Record<string, unknown> {
  const out = { ...current };
  for (const [key, items] of Object.entries(remove)) {
    const before = out[key];
    if (!Array.isArray(before)) continue;
    const kept = before.filter((v) => !items.includes(v as string));
    if (kept.length > 0) out[key] = kept;
    else delete out[key];
  }
  return out;
}

/** The object a JSON text holds ({} for no text), or undefined when it holds something else. */
function parseJsonObject(text: string): Record<string, unknown> | undefined {
  if (!text.trim()) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    return parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)
      ? (parsed as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Deep equality of parsed JSON, objects by key whatever the order. */
export function sameJsonValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) || Array.isArray(b))
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((x, i) => sameJsonValue(x, b[i]));
  if (a !== null && b !== null && typeof a === "object" && typeof b === "object") {
    const ka = Object.keys(a).sort();
    const kb = Object.keys(b).sort();
    return (
      ka.length === kb.length &&
      ka.every(
        (k, i) => k === kb[i] && sameJsonValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]),
      )
    );
  }
  return a === b;
}

/** A JSON object file on the host ({} when it is missing or empty); anything else is an error to fix by hand. */
async function readJsonObject(ctx: ActionContext, path: string): Promise<Record<string, unknown>> {
  const r = await run(ctx, `cat ${quote(path)} 2>/dev/null || true`);
  if (!r.stdout.trim()) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(r.stdout);
  } catch (err) {
    throw new ActionError(`read ${path}`, {
      code: 1,
      stderr: `${path} is not valid JSON (${(err as Error).message}); fix it by hand first`,
      timedOut: false,
    });
  }
  if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw new ActionError(`read ${path}`, {
      code: 1,
      stderr: `${path} holds JSON that is not an object; fix it by hand first`,
      timedOut: false,
    });
  }
  return parsed as Record<string, unknown>;
}

export async function performAction(ctx: ActionContext, action: Action): Promise<void> {
  switch (action.kind) {
    case "run":
      await run(ctx, action.command);
      return;
    case "write":
      await writeWithBackup(ctx, action.path, action.content, action.mode);
      return;
    case "merge-json": {
      const current = await readJsonObject(ctx, action.path);
      await writeWithBackup(ctx, action.path, JSON.stringify(mergeJson(current, action.merge), null, 2) + "\n", "0644");
      return;
    }
    case "unmerge-json": {
      const left = unmergeJson(await readJsonObject(ctx, action.path), action.remove);
      const saved = backupPath(ctx.lab, action.path);
      // What the lab found, when nothing else changed since: put back those very bytes (the
      // backup), or remove a file the lab created. Otherwise only the lab's own entries go.
      const r = await run(
        ctx,
        `if [ -e ${quote(`${saved}.absent`)} ]; then echo absent; else cat ${quote(saved)} 2>/dev/null || true; fi`,
      );
      const found = r.stdout.trim() === "absent" ? {} : parseJsonObject(r.stdout);
      if (found !== undefined && sameJsonValue(found, left))
        return performAction(ctx, { kind: "restore", path: action.path });
      await ctx.transport.writeFile(action.path, JSON.stringify(left, null, 2) + "\n", { mode: "0644" });
      // This lab's backup is stale once its entries are out: others have merged since.
      await run(ctx, `rm -f ${quote(saved)} ${quote(`${saved}.absent`)}`);
      return;
    }
    case "upload": {
      // Checked again here, whatever validation said: only a docker save archive inside the
      // lab file's directory ever leaves this machine (src/labfile/local-policy.ts).
      await run(ctx, uploadScript(action.to), await readUpload(ctx.labFile, action.from));
      return;
    }
    case "restore": {
      const saved = quote(backupPath(ctx.lab, action.path));
      await run(
        ctx,
        [
          `if [ -e ${saved} ] || [ -L ${saved} ]; then mv -f ${saved} ${quote(action.path)}`,
          `elif [ -e ${saved}.absent ]; then rm -f ${quote(action.path)}; while read -r d; do rmdir "$d" 2>/dev/null || break; done < ${saved}.absent; rm -f ${saved}.absent`,
          "fi",
        ].join("\n"),
      );
      return;
    }
  }
}
