import { isIpv6 } from "../net/cidr.js";
import { quote } from "../plan/shell.js";
import { PHASES, type Action, type HostPlan, type Plan } from "../plan/types.js";

/**
 * One runnable, commented POSIX shell script per host: the exercise by hand, for students.
 * Every step is guarded by its check, like `lab up`.
 *
 * Safe by construction, whatever the values hold (the lab grammar is a first line of defence,
 * not the only one): a value reaches the script only as a quoted word (`quote`), printed with
 * `printf '%s\n'` (never `echo`, which may read backslashes and options), inside a comment
 * whose every line starts with "#" (a newline in a value cannot end it), or as heredoc content
 * under a quoted delimiter the content does not contain. Only `run` commands, checks and probe
 * commands are shell code, and the plan builder quotes every value in them.
 */

/** A comment: every line of the text gets its own "#", so a newline cannot end it early. */
export function comment(text: string): string {
  return text
    .split(/\r\n|\r|\n/)
    .map((line) => `# ${line.replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, "\ufffd")}`.trimEnd())
    .join("\n");
}

/** A line of output that prints `text` exactly. */
export const say = (text: string): string => `printf '%s\\n' ${quote(text)}`;

function actionScript(action: Action, hostPlan: HostPlan, lab: string): string[] {
  switch (action.kind) {
    case "run":
      return [action.command];
    case "write": {
      const path = quote(action.path);
      const mkdir = `mkdir -p ${quote(dirname(action.path))}`;
      const chmod = `chmod ${quote(action.mode)} ${path}`;
      // A heredoc only for text ending in a newline (its last line gets one); other content exactly, with printf.
      if (action.content === "" || !action.content.endsWith("\n"))
        return [mkdir, `printf '%s' ${quote(action.content)} > ${path}`, chmod];
      // A heredoc delimiter the content cannot contain, quoted: nothing in the body is expanded.
      let eof = "LAB_EOF";
      while (action.content.includes(eof)) eof += "_";
      return [mkdir, `cat > ${path} <<'${eof}'`, action.content.slice(0, -1), eof, chmod];
    }
    case "merge-json": {
      const json = JSON.stringify(action.merge);
      const path = quote(action.path);
      return [
        comment(`Merge ${json} into ${action.path}, keeping its other keys (lists are joined).`),
        `if [ ! -s ${path} ]; then mkdir -p ${quote(dirname(action.path))} && printf '%s\\n' ${quote(json)} > ${path}`,
        `elif command -v python3 >/dev/null 2>&1; then python3 -c ${quote(MERGE_PY)} ${path} ${quote(json)}`,
        `elif command -v jq >/dev/null 2>&1; then jq --argjson m ${quote(json)} ${quote(MERGE_JQ)} ${path} > ${path}.lab-tmp && mv ${path}.lab-tmp ${path}`,
        `else ${say(`${action.path} exists and neither python3 nor jq is here to merge into it: add ${json} to it by hand, then run this script again`)} >&2; exit 1`,
        "fi",
      ];
    }
    case "upload":
      // lab up copies the file into a new private directory (mktemp -d) and names it "$upload";
      // by hand, the student copies it.
      return [
        comment(
          `${action.from} is on your machine: copy it to this host first, into the directory you run this script from, e.g.: scp ${action.from} root@${isIpv6(hostPlan.address) ? `[${hostPlan.address}]` : hostPlan.address}:`,
        ),
        `upload=${quote(`./${basename(action.from)}`)}`,
        action.to,
      ];
    case "restore":
      return [comment(`restore ${action.path} from your backup (lab ${lab} keeps one)`)];
    case "unmerge-json":
      return [
        comment(`take ${JSON.stringify(action.remove)} out of ${action.path} by hand, keeping its other entries`),
      ];
  }
}

/** Merge JSON argv[2] into the file argv[1]: keys set, lists joined without repeats; written whole (temp, rename). */
const MERGE_PY = [
  "import json, os, sys",
  "path, merge = sys.argv[1], json.loads(sys.argv[2])",
  "data = json.load(open(path))",
  "for key, value in merge.items():",
  "    old = data.get(key)",
  "    data[key] = old + [v for v in value if v not in old] if isinstance(old, list) and isinstance(value, list) else value",
  'json.dump(data, open(path + ".lab-tmp", "w"), indent=2)',
  'os.replace(path + ".lab-tmp", path)',
].join("\n");
const MERGE_JQ =
  'reduce ($m | to_entries[]) as $e (.; .[$e.key] = (if (.[$e.key] | type) == "array" and ($e.value | type) == "array" then (.[$e.key] + ($e.value - .[$e.key])) else $e.value end))';

function dirname(path: string): string {
  return path.slice(0, path.lastIndexOf("/")) || "/";
}

function basename(path: string): string {
  const trimmed = path.replace(/\/+$/, "");
  return trimmed.slice(trimmed.lastIndexOf("/") + 1) || "upload";
}

/** A command retried every 5 s for up to 10 minutes: another host has not got that far yet. */
const waitingFor = (command: string): string =>
  command.startsWith("#")
    ? command
    : `i=0; until ${command}; do i=$((i+1)); if [ $i -ge 120 ]; then ${say("gave up waiting after 10 minutes")} >&2; exit 1; fi; ${say("waiting for the registry host...")}; sleep 5; done`;

export function hostScript(plan: Plan, hostPlan: HostPlan): string {
  const out = [
    "#!/bin/sh",
    comment(`lab ${plan.lab}: what \`lab up\` does on ${hostPlan.host} (${hostPlan.address}), as a script.`),
    comment(
      `Generated by \`lab plan --format sh\` from ${plan.file}. OS family: ${hostPlan.facts.os}${hostPlan.facts.detected ? "" : " (assumed)"}.`,
    ),
    comment("Run it as root on that host. Each step checks first and does nothing if already done."),
    "set -eu",
  ];
  for (const phase of PHASES) {
    const steps = hostPlan.steps.filter((s) => s.phase === phase.id);
    if (steps.length === 0) continue;
    out.push("", comment(`===== ${phase.title} =====`));
    if (phase.id === "distribute")
      out.push(comment("(each pull waits, up to 10 minutes, until the registry host has pushed the image)"));
    else if ("waits" in phase) out.push(comment("(run this part once every host's script has come this far)"));
    for (const step of steps) {
      out.push("", comment(step.title));
      if (step.note) out.push(comment(step.note));
      const body = step.actions.flatMap((a) => actionScript(a, hostPlan, plan.lab));
      // lab up waits for the registry host between phases; a script run by hand polls instead.
      if (step.phase === "distribute") body.splice(0, body.length, ...body.map(waitingFor));
      if (step.check) {
        // A branch needs a command: a body of comments only gets ":".
        if (!body.some((l) => !l.startsWith("#"))) body.push(":");
        out.push(`if ${step.check}; then`, `  ${say(`ok: ${step.title}`)}`, "else");
        // A heredoc body and its delimiter must not be indented; such a body is written as is.
        const heredoc = step.actions.some((a) => a.kind === "write");
        out.push(...body.map((l) => (heredoc ? l : `  ${l}`)), "fi");
      } else out.push(...body);
      for (const probe of step.probes ?? []) {
        const ok = probe.expect === "reachable" ? "ok" : "UNEXPECTED";
        const bad = probe.expect === "reachable" ? "UNEXPECTED" : "ok";
        out.push(
          comment(`expect ${probe.expect}: ${probe.to} (${probe.address}) on ${probe.toHost}; ${probe.reason}`),
          `if ${probe.command} >/dev/null 2>&1; then ${say(`${ok}: ${probe.from} -> ${probe.to} reachable`)}; else ${say(`${bad}: ${probe.from} -> ${probe.to} unreachable`)}; fi`,
        );
      }
    }
  }
  out.push("");
  return out.join("\n");
}

export function planScripts(plan: Plan): { host: string; script: string }[] {
  return plan.hosts.map((h) => ({ host: h.host, script: hostScript(plan, h) }));
}
