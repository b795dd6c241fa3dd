import { describe, expect, it } from "vitest";
import { sandboxObjectNames, sandboxPrefix } from "../../src/sandbox/paths.js";

/**
 * A sandbox is torn down by the exact names of its objects, built from its lab's hosts: lab
 * x-al's prefix `lsb-x-al-` also starts every name of lab x-al-2, and names cannot be split
 * back into lab and host (both may hold '-').
 */
describe("sandboxObjectNames", () => {
  const xal = sandboxObjectNames("x-al", ["docker01", "docker02"]);
  const xal2 = sandboxObjectNames("x-al-2", ["docker01", "docker02"]);

  it("names every namespace and cgroup of the lab's sandbox", () => {
    expect(xal.netns).toEqual(["lsb-x-al-sw", "lsb-x-al-probe", "lsb-x-al-h-docker01", "lsb-x-al-h-docker02"]);
    expect(xal.cgroups).toEqual(["lsb-x-al-docker01", "lsb-x-al-docker02"]);
  });

  it("shares no name with a lab whose name it is a prefix of", () => {
    for (const kind of ["netns", "cgroups"] as const) {
      expect(xal[kind].filter((n) => xal2[kind].includes(n))).toEqual([]);
      expect(xal2[kind].filter((n) => xal[kind].includes(n))).toEqual([]);
    }
    // What a prefix would have taken, and exact names do not.
    expect(xal2.netns.every((n) => n.startsWith(sandboxPrefix("x-al")))).toBe(true);
    expect(xal2.cgroups.every((n) => n.startsWith(sandboxPrefix("x-al")))).toBe(true);
  });

  it("picks exactly the lab's own objects out of a listing of both labs'", () => {
    const listing = [...xal2.netns, ...xal.netns, "lsb-x-al-2-h-docker03", "lsb-x-sw", "lsb-x-al"];
    const wanted = new Set(xal.netns);
    expect(listing.filter((n) => wanted.has(n))).toEqual(xal.netns);
  });

  it("names each host once, also when the lab file and state.json both list it", () => {
    const names = sandboxObjectNames("x-al", ["h1", "h2", "h1", "old"]);
    expect(names.netns).toEqual(["lsb-x-al-sw", "lsb-x-al-probe", "lsb-x-al-h-h1", "lsb-x-al-h-h2", "lsb-x-al-h-old"]);
    expect(names.cgroups).toEqual(["lsb-x-al-h1", "lsb-x-al-h2", "lsb-x-al-old"]);
  });

  it("still names the switch and probe namespaces of a lab with no hosts left", () => {
    expect(sandboxObjectNames("x-al", [])).toEqual({ netns: ["lsb-x-al-sw", "lsb-x-al-probe"], cgroups: [] });
  });
});
