import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { ICMP_PROBER } from "../../src/verify/icmp-prober.js";

/**
 * The one-process prober for real: Perl, raw sockets, the kernel's own replies, in a network
 * namespace made for the test (`unshare -n`: only its loopback and a veth pair, never this
 * machine's network).
 */
const canRun =
  process.getuid?.() === 0 &&
  spawnSync("unshare", ["-n", "true"]).status === 0 &&
  spawnSync("perl", ["-v"]).status === 0;
if (!canRun) console.log("SKIPPED the ICMP prober test: needs root, unshare -n and perl");

/** The prober in a fresh namespace: lo up, 10.1.0.1/24 on a veth whose peer is down (nothing answers there). */
function probe(...targets: string[]): { lines: string[]; ms: number } {
  return probeWith(ICMP_PROBER, targets);
}

function probeWith(script: string, targets: string[]): { lines: string[]; ms: number } {
  const setup =
    "ip link set lo up && ip link add d0 type veth peer name d1 && ip addr add 10.1.0.1/24 dev d0 && ip link set d0 up && " +
    'ip -6 addr add fd00:1::1/64 dev d0 nodad && exec perl -e "$0" 1 2 "$@"';
  const started = Date.now();
  const r = spawnSync("unshare", ["-n", "sh", "-c", setup, script, ...targets], { encoding: "utf8" });
  expect(r.stderr).toBe("");
  return { lines: r.stdout.trim().split("\n"), ms: Date.now() - started };
}

describe.skipIf(!canRun)("the ICMP prober (Perl, raw sockets, a namespace of its own)", () => {
  it("tells replies (IPv4 and IPv6), silence, and no route apart, in ping's exit codes", () => {
    const { lines, ms } = probe("0=127.0.0.1", "1=::1", "2=10.1.0.9", "3=fd00:1::9", "4=192.0.2.1", "5=2001:db8::1");
    expect(lines).toEqual(["0 0", "1 0", "2 1", "3 1", "4 2 Network is unreachable", "5 2 Network is unreachable"]);
    // Silence costs the timeout (1 s) once, not once per target.
    expect(ms).toBeLessThan(1900);
  });

  it("all answering: it returns at once, without waiting for the timeout", () => {
    const { lines, ms } = probe(...Array.from({ length: 50 }, (_, i) => `${i}=127.0.${i}.1`));
    expect(lines).toHaveLength(50);
    expect(lines.every((l) => / 0$/.test(l))).toBe(true);
    expect(ms).toBeLessThan(900);
  });

  // A minimal Debian host has perl-base only (Essential), without Time::HiRes and the like.
  const perlBase = spawnSync("perl", ["-e", "print join qq(\\n), grep { m{/perl-base$} } @INC"], {
    encoding: "utf8",
  }).stdout;
  it.skipIf(!perlBase)("needs nothing but Debian's perl-base (the modules of a minimal host)", () => {
    const only = `BEGIN { @INC = grep { m{/perl-base$} } @INC } ${ICMP_PROBER}`;
    expect(probeWith(only, ["0=127.0.0.1", "1=::1"]).lines).toEqual(["0 0", "1 0"]);
  });
});
