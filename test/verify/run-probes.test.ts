import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { validateFile } from "../../src/labfile/validate.js";
import { runChecks, checkExitCode } from "../../src/verify/check.js";
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
  writeFileSync(
    join(bin, "nsenter"),
    `#!/bin/sh
[ "$1 $2 $3" = "-t 4242 -n" ] || { echo "nsenter: bad call $*" >&2; exit 1; }
for a in ${answering.join(" ")}; do case "$*" in *" $a") exit 0 ;; esac; done
exit 1
`,
  );
  chmodSync(join(bin, "docker"), 0o755);
  chmodSync(join(bin, "nsenter"), 0o755);
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
    // One docker process per host for every container's PID, none per ping.
    for (const h of ["a1", "a2"])
      expect(
        readFileSync(join(root, h, "docker-calls"), "utf8")
          .trim()
          .split("\n"),
      ).toHaveLength(1);
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
