import { PHASES, type Action, type HostPlan, type Plan, type Step } from "../plan/types.js";
import { undoActions } from "../plan/undo.js";

const indent = (text: string, prefix: string) =>
  text
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => prefix + l)
    .join("\n");

function actionLines(action: Action): string[] {
  switch (action.kind) {
    case "run":
      return [`run:   ${action.command}`];
    case "write":
      return [`write: ${action.path} (mode ${action.mode})`, indent(action.content, "       | ")];
    case "merge-json":
      return [`merge: ${JSON.stringify(action.merge)} into ${action.path}, keeping every other key`];
    case "unmerge-json":
      return [`unmerge: take ${JSON.stringify(action.remove)} out of ${action.path}, keeping every other entry`];
    case "upload":
      return [`copy:  ${action.from} (this machine) → ${action.to}`];
    case "restore":
      return [`restore ${action.path} as it was before the lab (or remove it if the lab created it)`];
  }
}

/** One step as `lab plan` prints it: title, note, check, actions, probes, undo. */
export function stepLines(step: Step, n: number): string[] {
  const lines = [`${String(n).padStart(3)}. ${step.title}`];
  const detail = (s: string) => lines.push(indent(s, "       "));
  if (step.note) detail(`# ${step.note}`);
  if (step.check) detail(`check: ${step.check}`);
  step.actions.flatMap(actionLines).forEach(detail);
  for (const probe of step.probes ?? []) {
    detail(`${probe.command}`);
    detail(`   → expect ${probe.expect}: ${probe.to} on ${probe.toHost}; ${probe.reason}`);
  }
  if (step.undo.length > 0)
    detail(
      `undo:  ${step.undo
        .flatMap(undoActions)
        .flatMap(actionLines)
        .map((l) => l.replace(/^run:\s+/, ""))
        .join(" ; ")}`,
    );
  return lines;
}

export function hostPlanText(hostPlan: HostPlan): string {
  const os = `${hostPlan.facts.os}${hostPlan.facts.detected ? "" : ", assumed"}`;
  const lines = [`${hostPlan.host} (${hostPlan.address}, ${os}): ${hostPlan.steps.length} steps`];
  let n = 0;
  for (const phase of PHASES) {
    const steps = hostPlan.steps.filter((s) => s.phase === phase.id);
    if (steps.length === 0) continue;
    const waits =
      "waits" in phase
        ? phase.waits === "registry"
          ? " (once the registry host has pushed)"
          : " (once every host is up)"
        : "";
    lines.push("", `  == ${phase.title}${waits} ==`);
    for (const step of steps)
      lines.push(
        ...stepLines(step, ++n)
          .flatMap((l) => l.split("\n"))
          .map((l) => "  " + l),
      );
  }
  return lines.join("\n");
}

export function planText(plan: Plan): string {
  const total = plan.hosts.reduce((sum, h) => sum + h.steps.length, 0);
  const assumed = plan.hosts.some((h) => !h.facts.detected);
  const head = [
    `Plan for lab ${plan.lab} (${plan.file}): ${plan.hosts.length} host${plan.hosts.length === 1 ? "" : "s"}, ${total} steps.`,
    "Each step runs only when its check fails, so a second `lab up` changes nothing. `lab down` runs the undo lines, newest first, for what the lab changed.",
  ];
  if (assumed) head.push("OS family assumed where not declared (lab up detects it; try --os debian).");
  return [...head, "", plan.hosts.map(hostPlanText).join("\n\n"), ""].join("\n");
}
