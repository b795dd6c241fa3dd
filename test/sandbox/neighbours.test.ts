import { describe, expect, it } from "vitest";
import { neighboursNeeded } from "../../src/sandbox/neighbours.js";

/** The sandbox's room in the one neighbour table its hosts share (src/sandbox/neighbours.ts). */
describe("neighbour table room for a sandbox lab", () => {
  const lab = (hosts: number, containers: number, namespaces = 0) => ({
    hosts: Array.from({ length: hosts }, () => ({})),
    containers: Array.from({ length: containers }, () => ({})),
    namespaces: Array.from({ length: namespaces }, () => ({})),
  });

  it("a 2-host lab fits the kernel's default (1,024), a 40-host lab of 80 containers does not", () => {
    expect(neighboursNeeded(lab(2, 2) as never)).toBeLessThan(1024);
    // 40 hosts and their shims, 80 containers: every endpoint may know every other.
    expect(neighboursNeeded(lab(40, 80) as never)).toBe(160 * 160);
  });
});
