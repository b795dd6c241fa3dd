import { describe, expect, it } from "vitest";
import { checkGrid } from "../../src/report/check-view.js";
import { checkExitCode } from "../../src/verify/check.js";
import type { ProbeResult } from "../../src/verify/run-probes.js";

const result = (
  from: string,
  to: string,
  address: string,
  expect: "reachable" | "unreachable",
  outcome: ProbeResult["outcome"],
): ProbeResult => ({
  probe: { from, fromHost: "h", to, toHost: "h", address, expect, reason: "", command: "", explicit: false },
  fromHost: "h",
  outcome,
  reachable: outcome === "reachable",
  asExpected: outcome === expect,
  detail: "",
});

describe("checkGrid", () => {
  it("one grid for a single family: rows ping, columns are pinged", () => {
    const lines = checkGrid(
      [
        result("a", "b", "10.0.0.2", "reachable", "reachable"),
        result("b", "a", "10.0.0.1", "unreachable", "unreachable"),
      ],
      false,
    );
    expect(lines[0]).toMatch(/^from \\ to\s+a\s+b$/);
    expect(lines[1]).toMatch(/^a\s+-\s+✔$/);
    expect(lines[2]).toMatch(/^b\s+·\s+-$/);
    expect(lines).not.toContain("IPv4");
  });

  it("a dual-stack lab gets one grid per family, so an IPv6-only failure is not hidden by IPv4", () => {
    const lines = checkGrid(
      [
        result("a", "b", "10.0.0.2", "reachable", "reachable"),
        result("a", "b", "fd00::2", "reachable", "unreachable"),
        result("b", "a", "10.0.0.1", "reachable", "reachable"),
        result("b", "a", "fd00::1", "reachable", "reachable"),
      ],
      false,
    );
    const v4 = lines.indexOf("IPv4");
    const v6 = lines.indexOf("IPv6");
    expect(v4).toBe(0);
    expect(v6).toBeGreaterThan(v4);
    expect(lines.slice(v4, v6).join("\n")).not.toContain("✘");
    expect(lines[v6 + 2]).toMatch(/^a\s+-\s+✘$/);
    expect(lines[v6 + 3]).toMatch(/^b\s+✔\s+-$/);
  });
});

describe("checkExitCode", () => {
  it("0 all as expected; 4 when a check could not run; 1 for an unexpected result, which wins over 4", () => {
    const fine = result("a", "b", "10.0.0.2", "reachable", "reachable");
    const notRun = result("a", "c", "10.0.0.3", "reachable", "error");
    const unexpected = result("b", "a", "10.0.0.1", "reachable", "unreachable");
    expect(checkExitCode([fine])).toBe(0);
    expect(checkExitCode([fine, notRun])).toBe(4);
    expect(checkExitCode([fine, unexpected])).toBe(1);
    expect(checkExitCode([notRun, unexpected])).toBe(1);
  });
});
