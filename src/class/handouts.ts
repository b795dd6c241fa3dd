import { mkdir, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { EXIT, type ExitCode } from "../errors.js";
import { loadValidLab } from "../cli/read-lab.js";
import { toDot } from "../graph/render.js";
import { toSvg } from "../graph/svg.js";
import { labTopology } from "../graph/topology.js";
import type { Lab } from "../labfile/model.js";
import { assumedFacts, buildPlan } from "../plan/build-plan.js";
import { planScripts } from "../report/plan-sh.js";
import { planText } from "../report/plan-text.js";
import { escapeHtml } from "./html-text.js";
import { readClass } from "./manifest.js";

/**
 * One directory per student: the plan as a shell script per host, the topology as SVG, and
 * one page (index.md and index.html) putting them together. Nothing is contacted: the OS
 * family is the lab's, or assumed (rhel), as in `lab plan`.
 */
export async function writeHandouts(dir: string, out: string, say: (line: string) => void): Promise<ExitCode> {
  const { members } = await readClass(dir);
  let failed = 0;
  for (const member of members) {
    const lab = await loadValidLab(member.file);
    if (!lab) {
      failed++;
      continue;
    }
    const slug = basename(member.file).replace(/\.ya?ml$/, "");
    const target = join(out, slug);
    await mkdir(target, { recursive: true });
    const plan = buildPlan(lab, assumedFacts(lab));
    const scripts = planScripts(plan);
    for (const { host, script } of scripts) await writeFile(join(target, `${host}.sh`), script, { mode: 0o755 });
    const svg = await toSvg(toDot(labTopology(lab)));
    await writeFile(join(target, "topology.svg"), svg);
    const page = { student: member.student, lab, plan: planText(plan), scripts, svg };
    await writeFile(join(target, "index.md"), markdownPage(page));
    await writeFile(join(target, "index.html"), htmlPage(page));
    say(
      `${target}/: ${member.student} (${scripts.map((s) => `${s.host}.sh`).join(", ")}, topology.svg, index.md, index.html)`,
    );
  }
  say(`${members.length - failed} handout${members.length - failed === 1 ? "" : "s"} in ${out}`);
  return failed > 0 ? EXIT.labProblem : EXIT.ok;
}

interface Page {
  student: string;
  lab: Lab;
  plan: string;
  scripts: { host: string; script: string }[];
  svg: string;
}

/** A fence longer than any run of backticks in the text, so nothing in it closes the block. */
function fenced(text: string, info = ""): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return `${fence}${info}\n${text.endsWith("\n") ? text : text + "\n"}${fence}`;
}

/** Markdown text with its markup characters escaped (a student's name is plain text). */
const markdownText = (text: string) => text.replace(/[\\`*_[\]<>&|~]/g, (c) => `\\${c}`).replace(/^([#+-])/, "\\$1");

/** The student's own values, as their lab has them (with --shared, not the exercise's). */
function valueLines(lab: Lab): string[] {
  return [
    ...lab.vlans.map(
      (v) =>
        `VLAN ${v.id}: ${Object.entries(v.addresses)
          .map(([h, a]) => `${h} ${a.join(", ")}`)
          .join("; ")}`,
    ),
    ...lab.networks.map(
      (n) => `network ${n.name} (${n.driver} on ${n.parent}): ${n.subnets.map((s) => s.subnet).join(", ")}`,
    ),
    ...lab.containers.map((c) => `container ${c.name} on ${c.host}: ${[c.ip, c.ipv6].filter(Boolean).join(", ")}`),
    ...lab.namespaces.map(
      (ns) => `namespace ${ns.name} on ${ns.host}: ${ns.interfaces.flatMap((i) => i.addresses).join(", ")}`,
    ),
    ...(lab.registry ? [`registry on ${lab.registry.host}: ${lab.registry.endpoint}`] : []),
  ];
}

function hostLines(lab: Lab): string[] {
  return lab.hosts.map(
    (h) =>
      `${h.name}: ${h.address}${h.ssh.host !== h.address ? ` (SSH ${h.ssh.user}@${h.ssh.host}:${h.ssh.port})` : ""}`,
  );
}

function markdownPage(p: Page): string {
  return [
    `# ${markdownText(p.lab.name)}: ${markdownText(p.student)}`,
    "",
    ...(p.lab.description ? [markdownText(p.lab.description.trim()), ""] : []),
    "## Your hosts",
    "",
    ...hostLines(p.lab).map((l) => `- ${markdownText(l)}`),
    "",
    "## Your VLANs, networks and addresses",
    "",
    ...valueLines(p.lab).map((l) => `- ${markdownText(l)}`),
    "",
    "## Topology",
    "",
    "![topology](topology.svg)",
    "",
    "## The plan, step by step",
    "",
    fenced(p.plan, "text"),
    "",
    ...p.scripts.flatMap((s) => [
      `## ${markdownText(s.host)}: [${markdownText(`${s.host}.sh`)}](${s.host}.sh)`,
      "",
      fenced(s.script, "sh"),
      "",
    ]),
  ].join("\n");
}

function htmlPage(p: Page): string {
  const svg = p.svg.slice(Math.max(0, p.svg.indexOf("<svg")));
  const title = `${p.lab.name}: ${p.student}`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>
body { font: 18px/1.5 system-ui, sans-serif; max-width: 70rem; margin: 2rem auto; padding: 0 1rem; color: #111; }
pre { background: #f4f4f4; padding: 1rem; overflow-x: auto; font-size: 15px; }
figure svg { max-width: 100%; height: auto; }
</style></head><body>
<h1>${escapeHtml(p.lab.name)}: ${escapeHtml(p.student)}</h1>
${p.lab.description ? `<p>${escapeHtml(p.lab.description.trim())}</p>` : ""}
<h2>Your hosts</h2>
<ul>${hostLines(p.lab)
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join("")}</ul>
<h2>Your VLANs, networks and addresses</h2>
<ul>${valueLines(p.lab)
    .map((l) => `<li>${escapeHtml(l)}</li>`)
    .join("")}</ul>
<h2>Topology</h2>
<figure>${svg}</figure>
<h2>The plan, step by step</h2>
<pre>${escapeHtml(p.plan)}</pre>
${p.scripts.map((s) => `<h2>${escapeHtml(s.host)}: <a href="${escapeHtml(`${s.host}.sh`)}">${escapeHtml(`${s.host}.sh`)}</a></h2>\n<pre>${escapeHtml(s.script)}</pre>`).join("\n")}
</body></html>
`;
}
