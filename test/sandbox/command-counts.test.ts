import { describe, expect, it } from "vitest";
import { dockerHostsUnavailable, lab, sandboxLab } from "../helpers/real-hosts.js";

/**
 * Remote work per host, counted by the transport against real sshd (the sandbox): a re-run
 * with nothing to change and a check cost one SSH connection each and a fixed number of
 * remote commands per host, whatever the lab holds.
 */
const skip = dockerHostsUnavailable();
if (skip) console.log(`SKIPPED command count tests: ${skip}`);

const counts = (text: string) =>
  Object.fromEntries(
    [...text.matchAll(/^(\S+): (\d+) connection\(s\), (\d+) remote commands$/gm)].map((m) => [
      m[1],
      { connections: Number(m[2]), commands: Number(m[3]) },
    ]),
  );

describe.skipIf(!!skip)("remote commands per host (single-network)", () => {
  const { dir, file } = sandboxLab("labs/single-network.yaml", "t-counts");

  it("a no-change re-run: 1 connection and 2 remote commands per host (preflight, locked probe)", () => {
    const first = lab(dir, "up", file, "--sandbox", "--no-check");
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const again = lab(dir, "up", file, "--sandbox", "--no-check", "--stats");
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stdout).toContain("nothing to change");
    expect(counts(again.stdout)).toEqual({
      docker01: { connections: 1, commands: 2 },
      docker02: { connections: 1, commands: 2 },
    });
  });

  it("a check: 1 connection and 1 remote command per host (all its pings in one script)", () => {
    const r = lab(dir, "check", file, "--sandbox", "--stats");
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(counts(r.stdout)).toEqual({
      docker01: { connections: 1, commands: 1 },
      docker02: { connections: 1, commands: 1 },
    });
  });
});
