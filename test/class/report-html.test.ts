import { describe, expect, it } from "vitest";
import { classHtml } from "../../src/class/report-html.js";
import { escapeHtml as html } from "../../src/class/html-text.js";
import { ALICE, BOB, BOB_MISSING, HOSTILE_NAME, MALLORY, named, report } from "./fixture.js";

const decode = (s: string) =>
  s.replace(/&(amp|lt|gt|quot|#39);/g, (_, e: string) => ({ amp: "&", lt: "<", gt: ">", quot: '"', "#39": "'" })[e]!);

/** The part of the page between a student's <section> and its end. */
const section = (page: string, name: string) => {
  const start = page.indexOf(`<section class="student" data-student="${html(name)}"`);
  expect(start).toBeGreaterThanOrEqual(0);
  return page.slice(start, page.indexOf("</section>", start));
};

describe("classHtml", () => {
  it("one self-contained page: a CSP that forbids every fetch, no script, no external resource", () => {
    // (Without the hostile student, whose name holds "src=" as text.)
    const page = classHtml(report([ALICE, BOB]));
    expect(page.startsWith("<!DOCTYPE html>\n")).toBe(true);
    expect(page).toContain(
      `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'">`,
    );
    expect(page).not.toMatch(/<script|<link|<img|<iframe|<object|<embed|@import|url\(|https?:|\bsrc=|\bhref=/i);
    expect(page.match(/<style>/g)).toHaveLength(1);
  });

  it("one row per student, with status as text and symbol, steps and checks", () => {
    const page = classHtml(report());
    expect(page.match(/<section class="student" data-student=/g)).toHaveLength(3);
    expect(page.match(/<details data-details>/g)).toHaveLength(3);
    const bob = section(page, "bob");
    expect(bob).toContain(`<span class="status bad">✗ not as expected</span>`);
    expect(bob).toContain(`>7/9</span>`);
    expect(bob).toContain(`>2/4</span>`);
    expect(section(page, "alice")).toContain(`<span class="status ok">✓ as expected</span>`);
    expect(section(page, HOSTILE_NAME)).toContain(`<span class="status down">⚠ unreachable</span>`);
    expect(page).toContain(`data-summary>3 students: 1 as expected, 1 not as expected, 1 unreachable</p>`);
  });

  it("a student's details: missing steps, unreachable hosts, the ping grid", () => {
    const page = classHtml(report());
    const bob = section(page, "bob");
    expect([...bob.matchAll(/<li data-missing>([^<]*)<\/li>/g)].map((m) => decode(m[1]!))).toEqual(BOB_MISSING);
    // 4 pings, each its own pair: 4 cells; the one that could not run says so.
    expect(bob.match(/data-ping=/g)).toHaveLength(4);
    expect(bob).toContain(
      `data-ping="bbox11 → bbox12" data-as-expected="false" title="bbox11 → bbox12 (10.0.10.12): expected reachable, got could not run (container bbox11 not running) — NOT as expected">`,
    );
    expect(bob).toMatch(
      /<td class="ok" data-ping="bbox13 → bbox11" data-as-expected="true"[^>]*><span class="mark">✓<\/span>/,
    );
    const mallory = section(page, HOSTILE_NAME);
    expect(mallory).toContain(`<li data-unreachable>docker02: connection refused</li>`);
    expect(mallory).toContain("No ping was made.");
    expect(section(page, "alice")).not.toContain("data-missing");
  });

  it("two pings of one pair (IPv4 and IPv6) share a cell, each with its address", () => {
    const pings = [
      { ...ALICE.checks.pings[0]! },
      { ...ALICE.checks.pings[0]!, address: "fd00::12", got: "unreachable" as const, asExpected: false },
    ];
    const page = classHtml(report([{ ...ALICE, checks: { asExpected: 1, total: 2, pings } }]));
    expect(page.match(/data-ping=/g)).toHaveLength(1);
    expect(page).toMatch(/<td class="bad" data-ping="bbox11 → bbox12"[^>]*>.*10\.0\.10\.12.*fd00::12/);
  });

  it("every student-supplied string is escaped: names, files, steps, host text", () => {
    const evil = `"><script>alert(1)</script><img src=x onerror=alert(2)>'&`;
    const student = {
      ...BOB,
      student: evil,
      file: evil,
      lab: evil,
      unreachable: [{ host: evil, reason: evil }],
      steps: { inPlace: 0, total: 1, missing: [{ host: evil, what: evil }] },
      checks: {
        asExpected: 0,
        total: 1,
        pings: [{ ...BOB.checks.pings[0]!, from: evil, to: `${evil}2`, address: evil, detail: evil }],
      },
    };
    const page = classHtml({ title: evil, at: evil, students: [student, named(HOSTILE_NAME, ALICE)] });
    expect(page).not.toMatch(/<script|<img|onerror=alert\(2\)>/);
    expect(page).toContain(
      `data-student="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;&#39;&amp;"`,
    );
    expect(page).toContain(`<bdi>&lt;img src=x onerror=alert(1)&gt;</bdi>`);
    // Outside the escaped text no markup is left from the hostile strings.
    const markup = page.replace(/&[a-z0-9#]+;/g, "");
    expect(markup.match(/<section /g)).toHaveLength(2);
    expect(page).toContain(`<title>lab class check: &quot;&gt;&lt;script&gt;`);
  });

  it("html() escapes the five and replaces control characters", () => {
    expect(html(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(html("nul\u0000esc\u001b\ud800")).toBe("nul\ufffdesc\ufffd\ufffd");
    expect(html("tab\tnew\nline 🎓")).toBe("tab\tnew\nline 🎓");
  });

  it("the fixture's students: as expected, not as expected, unreachable", () => {
    expect([ALICE, BOB, MALLORY].map((s) => s.status)).toEqual(["as expected", "not as expected", "unreachable"]);
  });
});
