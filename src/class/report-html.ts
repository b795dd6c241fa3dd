import { onHost, type ClassReport, type PingRow, type StudentGrade, type StudentStatus } from "./grade-types.js";
import { classSummary } from "./report-table.js";
import { escapeHtml as html } from "./html-text.js";

/** Color AND a symbol and words: the status reads the same to a colour-blind student. */
const STATUS: Record<StudentStatus, { symbol: string; css: string }> = {
  "as expected": { symbol: "✓", css: "ok" },
  "not as expected": { symbol: "✗", css: "bad" },
  unreachable: { symbol: "⚠", css: "down" },
};

/**
 * No network at all: no script, no image, no font, no frame, no form target; only the inline
 * style. A hostile name that slipped past the escaping still could not run or fetch anything.
 */
const CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'";

const STYLE = `
:root { color-scheme: light; }
* { box-sizing: border-box; }
body { margin: 0; padding: 1.2em 2vw; font: 24px/1.4 system-ui, "DejaVu Sans", Arial, sans-serif;
  color: #000; background: #fff; }
h1 { font-size: 1.6em; margin: 0 0 .2em; }
h2 { font-size: 1.1em; margin: 1em 0 .3em; }
.meta, .hint { margin: 0 0 .6em; }
.summary { font-size: 1.15em; font-weight: 700; margin: .2em 0 .8em; }
.hint { color: #333; font-size: .85em; }
.row { display: grid; grid-template-columns: minmax(7em, 3fr) minmax(10.5em, 2fr) 4.5em 4.5em minmax(6em, 2.5fr);
  gap: .6em; align-items: center; padding: .35em .5em; }
.head { font-weight: 700; border-bottom: 3px solid #000; }
.student { border-bottom: 1px solid #777; }
summary { cursor: pointer; list-style: none; }
summary::-webkit-details-marker { display: none; }
summary:hover { background: #eef; }
summary:focus-visible { outline: 4px solid #0038a8; outline-offset: -4px; }
.name { font-weight: 700; overflow-wrap: anywhere; }
.name::before { content: "▶ "; font-size: .8em; }
details[open] .name::before { content: "▼ "; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
.hosts { overflow-wrap: anywhere; }
.status { display: inline-block; padding: .05em .45em; border-radius: .3em; font-weight: 700; color: #fff;
  white-space: nowrap; }
.status.ok { background: #0b6b2b; }
.status.bad { background: #b00020; }
.status.down { background: #7a3e00; }
.more { padding: .2em 1em 1em 2.2em; }
.more ul { margin: .2em 0; padding-left: 1.2em; }
.more li { margin: .15em 0; }
.file { color: #333; font-size: .85em; overflow-wrap: anywhere; }
table.grid { border-collapse: collapse; margin: .3em 0; font-size: .85em; }
.grid th, .grid td { border: 2px solid #000; padding: .2em .45em; text-align: center; vertical-align: top; }
.grid th { background: #eee; }
.grid td.ok { background: #e4f5e9; }
.grid td.bad { background: #fde0e3; }
.grid td.self { background: #ddd; }
.grid .mark { font-size: 1.3em; font-weight: 700; }
.grid td.ok .mark { color: #0b6b2b; }
.grid td.bad .mark { color: #b00020; }
.grid small { display: block; font-size: .75em; white-space: nowrap; }
.none { color: #333; font-style: italic; }
`;

const pingTitle = (p: PingRow) =>
  `${p.from} → ${p.to} (${p.address}): expected ${p.expect}, got ${p.got}${p.detail ? ` (${p.detail})` : ""}` +
  (p.asExpected ? "" : " — NOT as expected");

/** The ping matrix: rows ping, columns are pinged; a cell holds each ping of its pair (one per address). */
function pingGrid(pings: PingRow[]): string {
  if (pings.length === 0) return `<p class="none">No ping was made.</p>`;
  const names = [...new Set(pings.flatMap((p) => [p.from, p.to]))];
  const froms = names.filter((n) => pings.some((p) => p.from === n));
  const tos = names.filter((n) => pings.some((p) => p.to === n));
  const byPair = new Map<string, PingRow[]>();
  for (const p of pings) {
    const key = `${p.from}\u0000${p.to}`;
    byPair.set(key, [...(byPair.get(key) ?? []), p]);
  }
  const cell = (from: string, to: string) => {
    const list = byPair.get(`${from}\u0000${to}`);
    if (!list) return from === to ? `<td class="self">–</td>` : "<td></td>";
    const ok = list.every((p) => p.asExpected);
    const title = list.map(pingTitle).join("\n");
    const items = list.map(
      (p) =>
        `<span class="mark">${p.asExpected ? "✓" : "✗"}</span>` +
        (list.length > 1 ? `<small>${html(p.address)}</small>` : "") +
        `<small>expect ${html(p.expect)}</small><small>got ${html(p.got)}</small>`,
    );
    return (
      `<td class="${ok ? "ok" : "bad"}" data-ping="${html(`${from} → ${to}`)}" ` +
      `data-as-expected="${ok}" title="${html(title)}">${items.join("")}</td>`
    );
  };
  const head = `<tr><th scope="col">from \\ to</th>${tos.map((t) => `<th scope="col">${html(t)}</th>`).join("")}</tr>`;
  const rows = froms.map((f) => `<tr><th scope="row">${html(f)}</th>${tos.map((t) => cell(f, t)).join("")}</tr>`);
  return `<table class="grid">\n${head}\n${rows.join("\n")}\n</table>`;
}

function studentBlock(s: StudentGrade): string {
  const st = STATUS[s.status] ?? { symbol: "?", css: "down" };
  const hosts = s.unreachable.map((u) => u.host).join(" ");
  const missing = s.steps.missing.length
    ? `<ul>${s.steps.missing.map((m) => `<li data-missing>${html(onHost(m.host, m.what))}</li>`).join("")}</ul>`
    : `<p class="none">${s.unreachable.length ? "None found on the hosts that answered." : "None."}</p>`;
  const unreachable = s.unreachable.length
    ? `<h2>Unreachable hosts</h2><ul>${s.unreachable.map((u) => `<li data-unreachable>${html(onHost(u.host, u.reason))}</li>`).join("")}</ul>`
    : "";
  return [
    `<section class="student" data-student="${html(s.student)}" data-status="${html(s.status)}">`,
    `<details data-details>`,
    `<summary class="row">` +
      `<span class="name"><bdi>${html(s.student)}</bdi></span>` +
      `<span><span class="status ${st.css}">${st.symbol} ${html(s.status)}</span></span>` +
      `<span class="num" title="steps in place">${s.steps.inPlace}/${s.steps.total}</span>` +
      `<span class="num" title="checks as expected">${s.checks.asExpected}/${s.checks.total}</span>` +
      `<span class="hosts">${hosts ? html(hosts) : ""}</span>` +
      `</summary>`,
    `<div class="more">`,
    `<p class="file">lab file <bdi>${html(s.file)}</bdi>, lab <bdi>${html(s.lab)}</bdi></p>`,
    unreachable,
    `<h2>Missing steps</h2>${missing}`,
    `<h2>Pings</h2>${pingGrid(s.checks.pings)}`,
    `</div>`,
    `</details>`,
    `</section>`,
  ]
    .filter((line) => line !== "")
    .join("\n");
}

/**
 * `lab class check --html`: one self-contained page for a projector (no script, no request: a
 * Content-Security-Policy forbids every fetch). One row per student; opening a row (a
 * <details>) shows its unreachable hosts, its missing steps and its ping grid. Every
 * student-supplied string is escaped. Hooks for tests: data-student on each student,
 * data-details on its <details>, data-missing on each missing step, data-ping on each ping cell.
 */
export function classHtml(report: ClassReport): string {
  const title = `lab class check: ${report.title}`;
  return [
    "<!DOCTYPE html>",
    `<html lang="en">`,
    "<head>",
    `<meta charset="utf-8">`,
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">`,
    `<meta name="referrer" content="no-referrer">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<title>${html(title)}</title>`,
    `<style>${STYLE}</style>`,
    "</head>",
    "<body>",
    `<header>`,
    `<h1><bdi>${html(report.title)}</bdi></h1>`,
    `<p class="meta">Graded ${html(report.at)}</p>`,
    `<p class="summary" data-summary>${html(classSummary(report))}</p>`,
    `<p class="hint">Click a student to see the missing steps, the unreachable hosts and the pings (✓ as expected, ✗ not as expected).</p>`,
    `</header>`,
    "<main>",
    `<div class="row head"><span>Student</span><span>Status</span><span class="num">Steps</span><span class="num">Checks</span><span>Unreachable hosts</span></div>`,
    ...report.students.map(studentBlock),
    "</main>",
    "</body>",
    "</html>",
    "",
  ].join("\n");
}
