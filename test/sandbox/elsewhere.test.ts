import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { lab, realHostsUnavailable, sshRun } from "../helpers/real-hosts.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * A sandbox's keys and state live in the working directory that made it. `lab up --sandbox` of
 * the same lab from another directory used to take its running hosts for leftovers and tear
 * them down (a class graded from inside its directory lost every student's work): now it is
 * refused, naming where the sandbox belongs, and the running one is untouched.
 */
const skip = realHostsUnavailable();
if (skip) console.log(`SKIPPED sandbox-elsewhere tests: ${skip}`);

describe.skipIf(!!skip)("a sandbox made from another working directory", () => {
  const root = scratchDir("t-elsewhere");
  const a = join(root, "a");
  const b = join(root, "b");
  const text =
    "name: t-elsewhere\ndefaults: { ssh: { user: root }, nic: ens33 }\nhosts:\n  h1: { address: 192.168.1.11 }\n";

  afterAll(() => {
    lab(a, "sandbox", "destroy", "lab.yaml");
  });

  it("is refused by lab up elsewhere, and keeps running", () => {
    for (const dir of [a, b]) {
      mkdirSync(dir);
      writeFileSync(join(dir, "lab.yaml"), text);
    }
    expect(lab(a, "sandbox", "create", "lab.yaml").code).toBe(0);
    const r = lab(b, "up", "lab.yaml", "--sandbox", "--no-check");
    expect(r.code, r.stdout + r.stderr).toBe(3);
    expect(r.stderr).toContain(
      "a sandbox of lab t-elsewhere is running (h1: netns lsb-t-elsewhere-h-h1), made from another working directory",
    );
    expect(sshRun(a, "t-elsewhere", "h1", "hostname").trim()).toBe("h1");
  });
});
