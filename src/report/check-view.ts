import { isIpv6 } from "../net/cidr.js";
import type { ProbeResult } from "../verify/run-probes.js";

/** XML text: escaped, and without the characters XML 1.0 forbids (a host's ping output may hold them). */
export const esc = (text: string) =>
  text
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, "?")
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;");

/**
 * The ping matrix as a grid: rows ping, columns are pinged. ✔ reply as expected, · no reply
 * as expected, ✘ an unexpected result, ? the ping could not run. A dual-stack lab gets one
 * grid per address family.
 */
export function checkGrid(results: ProbeResult[], color: boolean): string[] {
  const legend = "✔ reachable, as expected   · unreachable, as expected   ✘ NOT as expected   ? could not run";
  const v6 = results.filter((r) => isIpv6(r.probe.address));
  const v4 = results.filter((r) => !isIpv6(r.probe.address));
  if (v4.length === 0 || v6.length === 0) return [...familyGrid(results, color), legend];
  return ["IPv4", ...familyGrid(v4, color), "IPv6", ...familyGrid(v6, color), legend];
}

function familyGrid(results: ProbeResult[], color: boolean): string[] {
  const names = [...new Set(results.flatMap((r) => [r.probe.from, r.probe.to]))];
  // Within one family there is one probe per pair (an explicit check replaces the matrix's).
  const cell = new Map(results.map((r) => [`${r.probe.from}>${r.probe.to}`, r]));
  const red = (s: string) => (color ? `\u001b[1;31m${s}\u001b[0m` : s);
  const width = Math.max(4, ...names.map((n) => n.length));
  const labelWidth = Math.max(width, "from \\ to".length);
  const pad = (s: string, visible = s.length, w = width) => s + " ".repeat(Math.max(0, w - visible));
  const lines = [`${pad("from \\ to", 9, labelWidth)}  ${names.map((n) => pad(n)).join("  ")}`];
  for (const from of names) {
    const row = names.map((to) => {
      const r = cell.get(`${from}>${to}`);
      if (!r) return pad(from === to ? "-" : "");
      if (r.outcome === "error") return pad(red("?"), 1);
      if (!r.asExpected) return pad(red("✘"), 1);
      return pad(r.reachable ? "✔" : "·", 1);
    });
    if (row.some((c) => c.trim() !== "" && c.trim() !== "-"))
      lines.push(`${pad(from, from.length, labelWidth)}  ${row.join("  ")}`);
  }
  return lines.map((line) => line.trimEnd());
}

export function checkJson(lab: string, results: ProbeResult[], exitCode: number): string {
  return JSON.stringify(
    {
      lab,
      ok: exitCode === 0,
      exitCode,
      summary: {
        total: results.length,
        asExpected: results.filter((r) => r.asExpected).length,
        unexpected: results.filter((r) => !r.asExpected && r.outcome !== "error").length,
        errors: results.filter((r) => r.outcome === "error").length,
      },
      results: results.map((r) => ({
        from: r.probe.from,
        fromHost: r.fromHost,
        to: r.probe.to,
        toHost: r.probe.toHost,
        address: r.probe.address,
        expect: r.probe.expect,
        result: r.outcome,
        asExpected: r.asExpected,
        explicit: r.probe.explicit,
        reason: r.probe.reason,
        detail: r.detail,
        command: r.probe.command,
      })),
    },
    null,
    2,
  );
}

/** JUnit XML for CI systems: one test case per ping, a failure when unexpected, an error when it could not run. */
export function checkJunit(lab: string, results: ProbeResult[], seconds: number): string {
  const failures = results.filter((r) => !r.asExpected && r.outcome !== "error").length;
  const errors = results.filter((r) => r.outcome === "error").length;
  const cases = results.map((r) => {
    const name = esc(`${r.probe.from} → ${r.probe.to} (${r.probe.address}) expect ${r.probe.expect}`);
    const head = `    <testcase classname="${esc(`lab.${lab}.${r.fromHost}`)}" name="${name}">`;
    if (r.outcome === "error")
      return `${head}\n      <error message="${esc(r.detail)}">${esc(r.probe.command)}</error>\n    </testcase>`;
    if (!r.asExpected) {
      const message = `${r.probe.to} was ${r.outcome}, expected ${r.probe.expect}`;
      return `${head}\n      <failure message="${esc(message)}">${esc(`${r.probe.command}\n${r.probe.reason}`)}</failure>\n    </testcase>`;
    }
    return `${head}</testcase>`;
  });
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<testsuites name="lab check" tests="${results.length}" failures="${failures}" errors="${errors}" time="${seconds.toFixed(3)}">`,
    `  <testsuite name="${esc(lab)}" tests="${results.length}" failures="${failures}" errors="${errors}" time="${seconds.toFixed(3)}">`,
    ...cases,
    "  </testsuite>",
    "</testsuites>",
    "",
  ].join("\n");
}

/** The grid, then each result that was not as expected with its command, then a summary line. */
export function printCheckResults(results: ProbeResult[], write: (line: string) => void, color = false): void {
  checkGrid(results, color).forEach(write);
  for (const r of results.filter((r) => !r.asExpected)) {
    const what =
      r.outcome === "error"
        ? `could not run: ${r.detail}`
        : `${r.outcome}, expected ${r.probe.expect} (${r.probe.reason})`;
    write(`${r.fromHost}: check: ${r.probe.from} → ${r.probe.to} (${r.probe.address} on ${r.probe.toHost}): ${what}`);
    write(`${r.fromHost}:   ${r.probe.command}`);
  }
  const bad = results.filter((r) => !r.asExpected).length;
  write(
    bad === 0 ? `checks: all ${results.length} as expected` : `checks: ${bad} of ${results.length} NOT as expected`,
  );
}
