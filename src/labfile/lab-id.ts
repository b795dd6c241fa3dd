import { randomBytes } from "node:crypto";
import { chmod, chown, readFile, realpath, rename, rm, stat, writeFile } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { isMap, isScalar, parseDocument } from "yaml";
import { LabError } from "../errors.js";
import { patterns } from "./patterns.js";

/**
 * A lab's id tells two labs with the same `name:` apart on one host. It is part of the lab
 * file, so `lab down` works from any machine holding the file and an edited file is still the
 * same lab; a file without one gets a fresh id from its first `lab up`, written under `name:`.
 */
export function newLabId(): string {
  // A letter first: YAML would read an all-digit or "1e5…" id as a number.
  const letters = "abcdefghijkmnpqrstuvwxyz";
  const alphabet = letters + "23456789";
  const bytes = randomBytes(12);
  return [...bytes].map((b, i) => (i === 0 ? letters[b % letters.length] : alphabet[b % alphabet.length])).join("");
}

/**
 * The text with `id: <id>` added on the line after the top-level `name:` pair, comments and
 * layout untouched; undefined when the file is not a block mapping with a one-line name
 * (then the user adds the line).
 */
export function withLabId(text: string, id: string): string | undefined {
  if (!patterns.labId.regex.test(id)) throw new Error(`not a lab id: ${id}`);
  const doc = parseDocument(text);
  if (doc.errors.length > 0 || !isMap(doc.contents) || doc.contents.flow) return undefined;
  if (doc.contents.has("id")) return undefined;
  const pair = doc.contents.items.find((p) => isScalar(p.key) && p.key.value === "name");
  if (!pair || !isScalar(pair.key) || !isScalar(pair.value) || !pair.key.range || !pair.value.range) return undefined;
  const keyStart = pair.key.range[0];
  const lineStart = text.lastIndexOf("\n", keyStart - 1) + 1;
  const indent = text.slice(lineStart, keyStart);
  if (!/^ *$/.test(indent)) return undefined;
  const valueEnd = pair.value.range[1];
  // A name on one line only: a folded or quoted multi-line value is left to the user.
  if (text.slice(keyStart, valueEnd).includes("\n")) return undefined;
  const lineEnd = text.indexOf("\n", valueEnd);
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const insertAt = lineEnd === -1 ? text.length : text[lineEnd - 1] === "\r" ? lineEnd - 1 : lineEnd;
  return `${text.slice(0, insertAt)}${eol}${indent}id: ${id}${text.slice(insertAt)}`;
}

/**
 * Give a lab file without an id its id. The file is read again first: if it changed since it
 * was validated, nothing is written (the user runs the command again).
 */
export async function writeLabId(file: string, validatedText: string): Promise<string> {
  const id = newLabId();
  const addIt = `add the line \`id: ${id}\` under \`name:\` (it keeps this lab apart from other labs with the same name on the same hosts)`;
  const target = await realpath(file);
  let current: string;
  try {
    // Fatal: a file that is not UTF-8 would be written back with its other bytes replaced.
    current = new TextDecoder("utf-8", { fatal: true }).decode(await readFile(target));
  } catch {
    throw new LabError(`${file} has no id and is not UTF-8 text, so lab does not rewrite it: ${addIt}`, "usage");
  }
  if (current !== validatedText)
    throw new LabError(`${file} changed while lab read it; run the command again`, "usage");
  const updated = withLabId(current, id);
  if (updated === undefined) throw new LabError(`${file} has no id: ${addIt}`, "usage");
  // A new file renamed over the old one: the lab file is never left half-written.
  const temp = join(dirname(target), `.${basename(target)}.lab-${process.pid}`);
  try {
    const { mode, uid, gid } = await stat(target);
    await writeFile(temp, updated, { flag: "wx", mode: 0o600 });
    // Same mode and owner as before (lab often runs as root on a user's file).
    await chown(temp, uid, gid).catch(() => undefined);
    await chmod(temp, mode & 0o7777);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true });
    const why = (err as { code?: string }).code ?? (err as Error).message;
    throw new LabError(
      `${file} has no id and cannot be written (${why}): ${addIt}, or copy the file somewhere writable`,
      "usage",
    );
  }
  return id;
}
