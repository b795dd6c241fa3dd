import { readFileSync } from "node:fs";
import type { Command, Option } from "commander";
import { createRequire } from "node:module";
import type * as Yaml from "yaml";
import { patterns } from "../labfile/patterns.js";

/**
 * Shell completion, computed from the program's own definition (commands, options, their
 * choices and arguments), so a new flag completes without touching the shell scripts in
 * templates/completion/. Each script sends the words typed so far to `lab __complete` and
 * shows the candidates it prints, one per line; or, when the first line is a directive,
 * lets the shell complete paths itself (it knows quoting, ~ and directories).
 */
export const COMPLETE_COMMAND = "__complete";
/** Directive: complete file names; the extensions (comma-separated, none = any file) follow. */
export const FILES_DIRECTIVE = ":files:";
/** Directive: complete directory names. */
export const DIRS_DIRECTIVE = ":dirs";

const LAB_FILES = `${FILES_DIRECTIVE}yaml,yml`;

/** `words`: everything after `lab`, the last being the word under the cursor (maybe empty). */
export function completeWords(program: Command, words: string[]): string[] {
  const current = words.at(-1) ?? "";
  const before = words.slice(0, -1);
  let command = program;
  const positionals: string[] = [];
  let pendingValue: Option | undefined;
  for (const word of before) {
    if (pendingValue) {
      pendingValue = undefined;
      continue;
    }
    if (word.startsWith("-")) {
      const option = findOption(command, word);
      if (option && (option.required || option.optional) && !word.includes("=")) pendingValue = option;
      continue;
    }
    const sub =
      positionals.length === 0
        ? command.commands.find((c) => c.name() === word || c.aliases().includes(word))
        : undefined;
    if (sub) command = sub;
    else positionals.push(word);
  }
  const startingWith = (candidates: string[]) => candidates.filter((c) => c.startsWith(current));

  if (pendingValue) return optionValues(pendingValue, positionals, startingWith);
  if (current.startsWith("-")) {
    const flags = command.options.flatMap((o) => (o.long ? [o.long] : o.short ? [o.short] : []));
    return startingWith([...flags, "--help"]);
  }
  const subcommands = command.commands
    .filter((c) => !(c as unknown as { _hidden?: boolean })._hidden)
    .map((c) => c.name());
  if (subcommands.length > 0 && positionals.length === 0) return startingWith(subcommands);
  const args = command.registeredArguments;
  const argument = args[positionals.length] ?? (args.at(-1)?.variadic ? args.at(-1) : undefined);
  if (!argument) return [];
  if (argument.argChoices) return startingWith(argument.argChoices);
  return /^files?$/.test(argument.name()) ? [LAB_FILES] : [];
}

function findOption(command: Command, word: string): Option | undefined {
  const flag = word.split("=")[0];
  return command.options.find((o) => o.long === flag || o.short === flag);
}

function optionValues(option: Option, positionals: string[], startingWith: (c: string[]) => string[]): string[] {
  if (option.argChoices) return startingWith(option.argChoices);
  if (option.long === "--host") return startingWith(hostsOf(positionals.find((p) => /\.ya?ml$/.test(p))));
  if (option.long === "--inventory") return [`${FILES_DIRECTIVE}yaml,yml,json`];
  if (/<dir>|\[dir\]/.test(option.flags)) return [DIRS_DIRECTIVE];
  if (/<file>|\[file\]/.test(option.flags)) return [FILES_DIRECTIVE];
  return [];
}

/** The host names a lab file declares; none when it cannot be read (completion never fails). */
function hostsOf(file: string | undefined): string[] {
  if (!file) return [];
  try {
    // Loaded here, on a Tab press for --host, not at every start of lab.
    const { parse } = createRequire(import.meta.url)("yaml") as typeof Yaml;
    const doc = parse(readFileSync(file, "utf8")) as { hosts?: unknown } | null;
    const names = doc && typeof doc.hosts === "object" && doc.hosts !== null ? Object.keys(doc.hosts) : [];
    // Only names of the host-name grammar: a candidate is typed into the user's command line.
    return names.filter((n) => patterns.hostName.regex.test(n));
  } catch {
    return [];
  }
}
