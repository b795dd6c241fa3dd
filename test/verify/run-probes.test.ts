import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateFile } from "../../src/labfile/validate.js";
import { runChecks, checkExitCode } from "../../src/verify/check.js";
import { pingScript } from "../../src/verify/run-probes.js";
import { expectedProbes } from "../../src/plan/expectations.js";
import type { Transport } from "../../src/transport/types.js";
import { LocalTransport } from "../helpers/local-transport.js";

/**
 * The generated ping scripts, run for real by sh, against a stand-in `docker` and `nsenter`
 * per host (the logic under test is how results are read, not Docker: the sandbox tests run
 * real dockerd).
 * `running` lists the containers the host's docker says run; a ping from a running container
 * answers when the target's address is in `answering`.
 */
const root = mkdtempSync(join(tmpdir(), "lab-probes-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function host(name: string, running: string[], answering: string[]): Transport {
  const bin = join(root, name, "bin");
  mkdirSync(bin, { recursive: true });
  // docker tells each container's name and, if it runs, its PID (and logs its call); nsenter runs the ping
  // in that PID's network namespace: it answers when the target's address is in `answering`.
  writeFileSync(
    join(bin, "docker"),
    `#!/bin/sh
echo "$*" >> ${join(root, name, "docker-calls")}
case "$1 $2" in
  "container inspect")
    shift 4
    for name in "$@"; do
      pid=; for c in ${running.join(" ")}; do [ "$c" = "$name" ] && pid=4242; done
      echo "/$name $pid"
    done
    exit 0 ;;
esac
exit 99
`,
  );
  // nsenter "enters" the running container's namespace (here: runs the rest, and says so to
  // ping, which answers only there, and only for an address in `answering`).
  writeFileSync(
    join(bin, "nsenter"),
    `#!/bin/sh
[ "$1 $2 $3" = "-t 4242 -n" ] || { echo "nsenter: bad call $*" >&2; exit 1; }
shift 3
echo "$1 $2" >> ${join(root, name, "nsenter-calls")}
LAB_TEST_IN_NS=1 exec "$@"
`,
  );
  writeFileSync(
    join(bin, "ping"),
    `#!/bin/sh
[ -n "$LAB_TEST_IN_NS" ] || { echo "ping: not in the container's namespace" >&2; exit 2; }
for a in ${answering.join(" ")}; do case "$*" in *" $a") exit 0 ;; esac; done
exit 1
`,
  );
  // The one-process prober's stand-in (never the real one here: it would send real ICMP from
  // this machine's own namespace): "INDEX 0" for an address in `answering`, else "INDEX 1".
  writeFileSync(
    join(bin, "perl"),
    `#!/bin/sh
[ -n "$LAB_TEST_IN_NS" ] || { echo "perl: not in the container's namespace" >&2; exit 2; }
[ "$1" = -e ] || exit 2
shift 4
for t in "$@"; do
  i=\${t%%=*}; a=\${t#*=}; c=1
  for ok in ${answering.join(" ")}; do [ "$a" = "$ok" ] && c=0; done
  echo "$i $c"
done
`,
  );
  for (const tool of ["docker", "nsenter", "ping", "perl"]) chmodSync(join(bin, tool), 0o755);
  return new LocalTransport(name, root, [], { PATH: `${bin}:${process.env.PATH}` });
}

const lab = async () => (await validateFile("labs/single-network.yaml")).lab!;

describe("lab check reads each host's answers", () => {
  it("all running and answering: every pair as expected, exit 0", async () => {
    const transports = new Map([
      ["docker01", host("a1", ["bbox1"], ["172.22.16.11"])],
      ["docker02", host("a2", ["bbox2"], ["172.22.16.10"])],
    ]);
    const results = await runChecks(await lab(), transports, 4);
    expect(results.map((r) => [r.probe.from, r.probe.to, r.outcome])).toEqual([
      ["bbox1", "bbox2", "reachable"],
      ["bbox2", "bbox1", "reachable"],
    ]);
    expect(checkExitCode(results)).toBe(0);
    // One docker process per host for every container's PID, none per ping; each source's
    // namespace entered once, not once per ping.
    const lines = (h: string, file: string) =>
      readFileSync(join(root, h, file), "utf8")
        .trim()
        .split("\n");
    for (const h of ["a1", "a2"]) {
      expect(lines(h, "docker-calls")).toHaveLength(1);
      expect(lines(h, "nsenter-calls")).toHaveLength(1);
    }
  });

  it("a stopped target is 'could not run' from every side (exit 4), never an unexpected 'unreachable'", async () => {
    const transports = new Map([
      ["docker01", host("b1", ["bbox1"], [])],
      ["docker02", host("b2", [], ["172.22.16.10"])],
    ]);
    const results = await runChecks(await lab(), transports, 4);
    expect(results.map((r) => [r.probe.from, r.probe.to, r.outcome, r.detail])).toEqual([
      ["bbox1", "bbox2", "error", "the target bbox2 is not running on docker02"],
      ["bbox2", "bbox1", "error", "bbox2 is not running on docker02"],
    ]);
    expect(checkExitCode(results)).toBe(4);
  });

  it("a host cannot mark another host's container down: only names it was asked about count", async () => {
    // docker02 is hostile: whatever the script, it answers that bbox1 (on docker01) is down.
    const hostile: Transport = {
      ...host("c2", [], []),
      exec: () =>
        Promise.resolve({ code: 0, stdout: "down bbox1\n0 1 \n", stderr: "", timedOut: false, durationMs: 1 }),
    };
    const transports = new Map([
      ["docker01", host("c1", ["bbox1"], ["172.22.16.11"])],
      ["docker02", hostile],
    ]);
    const results = await runChecks(await lab(), transports, 4);
    expect(results.map((r) => [r.probe.from, r.probe.to, r.outcome])).toEqual([
      ["bbox1", "bbox2", "reachable"],
      ["bbox2", "bbox1", "unreachable"],
    ]);
    expect(checkExitCode(results)).toBe(1);
  });
});

describe("the ping script where a host has no Perl", () => {
  it("falls back to one ping per pair, still entering each source's namespace once", async () => {
    const l = await lab();
    const probes = expectedProbes(l).filter((p) => p.from === "bbox1");
    const script = pingScript(l, probes, ["bbox1"], { prober: "ping" });
    expect(script).not.toContain("perl -e");
    const r = await host("f1", ["bbox1"], []).exec(script);
    expect(r.stdout.split("\n").filter(Boolean)).toEqual(probes.map((_, i) => `${i} 1 `));
    const answered = await host("f2", ["bbox1"], [probes[0]!.address]).exec(script);
    expect(answered.stdout.trim().split("\n")[0]).toBe("0 0");
    expect(readFileSync(join(root, "f2", "nsenter-calls"), "utf8").trim()).toBe("sh -c");
  });
});
