import { describe, expect, it } from "vitest";
import { validateText } from "../../src/labfile/validate.js";

describe("container commands", () => {
  const withCommand = (command: string) =>
    `name: demo\nhosts:\n  a: { address: 10.0.0.1 }\nnetworks:\n  n: { driver: macvlan, parent: ens33, subnets: [{ subnet: 10.9.0.0/24 }] }\ncontainers:\n  c: { host: a, network: n, image: busybox, command: ${JSON.stringify(command)} }\n`;
  it("take tabs and newlines (a multi-line sh -c script), never C1 or bidirectional controls that make a handout read otherwise than it runs", () => {
    expect(validateText("l.yaml", withCommand("while true;\n\tdo sleep 1; done")).ok).toBe(true);
    for (const hidden of ["\u0085", "\u009b31m", "a\u202eb", "x\u2066y\u2069", "\u200f", "\u061c"]) {
      const r = validateText("l.yaml", withCommand(`echo ${hidden}`));
      expect(r.ok, JSON.stringify(hidden)).toBe(false);
      expect(r.issues[0]!.line).toBe(7);
    }
  });
});
