import { readFile } from "node:fs/promises";
import { basename, join, relative } from "node:path";
import { EXIT, type ExitCode } from "../errors.js";
import { cidrsOverlap, parseCidr } from "../net/cidr.js";

/** No student's subnet may come from these: unspecified, loopback, link-local, multicast, reserved. */
const SPECIAL_RANGES = ["0.0.0.0/8", "127.0.0.0/8", "169.254.0.0/16", "224.0.0.0/3", "::/8", "fe80::/10", "ff00::/8"];
import { loadValidLab } from "../cli/read-lab.js";
import { usageError } from "../cli/exit-codes.js";
import type { ClassRunFlags } from "../cli/commands/class.js";
import { ClassError, foreignTargets, generateLabs, previousFiles, tarballMoves, writeClass } from "./generate.js";
import { policyOf } from "../cli/targets.js";
import { parseRoster, RosterError } from "./roster.js";
import { DEFAULT_POOLS, DEFAULT_VLAN_BASE } from "./shared.js";

const say = (line: string) => process.stdout.write(line + "\n");
const complain = (line: string) => process.stderr.write(line + "\n");

export async function generateCommand(
  labFile: string,
  opts: { roster: string; out: string; shared?: boolean; vlanBase?: string; subnetPool: string[]; allowEnv: string[] },
): Promise<ExitCode> {
  const vlanBase = opts.vlanBase === undefined ? DEFAULT_VLAN_BASE : Number(opts.vlanBase);
  if ((opts.vlanBase !== undefined && !/^[0-9]{1,4}$/.test(opts.vlanBase)) || vlanBase < 1 || vlanBase > 4094)
    throw usageError(`--vlan-base ${opts.vlanBase}: expected a VLAN id from 1 to 4094`);
  if (!opts.shared && (opts.vlanBase !== undefined || opts.subnetPool.length > 0))
    throw usageError(
      "--vlan-base and --subnet-pool only apply with --shared (students on separate hosts keep the lab's own)",
    );
  for (const pool of opts.subnetPool) {
    const cidr = parseCidr(pool);
    if (!cidr) throw usageError(`--subnet-pool ${pool}: expected a prefix such as 10.200.0.0/16`);
    const special = SPECIAL_RANGES.find((r) => cidrsOverlap(parseCidr(r)!, cidr));
    if (special)
      throw usageError(
        `--subnet-pool ${pool} overlaps ${special} (loopback, link-local, multicast or reserved): use private addresses such as 10.200.0.0/16`,
      );
  }
  const byVersion = (v: 4 | 6) => opts.subnetPool.filter((p) => parseCidr(p)!.version === v);
  if (byVersion(4).length > 1 || byVersion(6).length > 1)
    throw usageError("--subnet-pool: at most one IPv4 and one IPv6 pool");
  const pools = [byVersion(4)[0] ?? DEFAULT_POOLS[0]!, byVersion(6)[0] ?? DEFAULT_POOLS[1]!];
  // With the policy: a tarball the lab names is a docker save archive inside its directory
  // before generate links it into the class directory.
  const lab = await loadValidLab(labFile, policyOf(opts));
  if (!lab) return EXIT.labProblem;
  let rosterText: string;
  try {
    rosterText = await readFile(opts.roster, "utf8");
  } catch {
    throw usageError(`cannot read ${opts.roster}: no such file`);
  }
  const options = {
    shared: opts.shared ?? false,
    vlanBase,
    subnetPools: pools,
    outDir: opts.out,
    rosterFile: opts.roster,
  };
  try {
    const roster = parseRoster(
      opts.roster,
      rosterText,
      lab.hosts.map((h) => h.name),
    );
    const labText = await readFile(labFile, "utf8");
    const generated = generateLabs(labFile, labText, lab, roster, options, await tarballMoves(labFile, lab, opts.out));
    const foreign = await foreignTargets(generated.labs, opts.out, [labFile, opts.roster]);
    if (foreign.length > 0) throw new ClassError(foreign);
    const before = await previousFiles(opts.out);
    await writeClass(labFile, generated, options);
    // A student no longer on the roster may still have a lab up: their file stays, and we say so.
    const now = new Set(generated.labs.map((g) => basename(g.file)));
    for (const file of [...before].filter((f) => !now.has(f)))
      say(
        `${join(opts.out, file)}: kept, no longer on the roster (not in class.json); lab down ${join(opts.out, file)} takes its lab down`,
      );
    for (const g of generated.labs) say(`${g.file}: ${g.student.name} (lab ${g.lab.name})`);
    for (const f of generated.files)
      say(`${relative(process.cwd(), f.to)}: ${relative(process.cwd(), f.from)}, uploaded by every student's lab`);
    say(
      `${generated.labs.length} student lab${generated.labs.length === 1 ? "" : "s"} in ${opts.out}${options.shared ? " (shared hosts: each with their own VLAN ids, subnets, names and registry port)" : ""}; next: lab class handouts ${opts.out} --out handouts/`,
    );
    return EXIT.ok;
  } catch (err) {
    if (err instanceof RosterError) {
      complain(err.message);
      complain("nothing was written");
      return EXIT.labProblem;
    }
    if (err instanceof ClassError) {
      err.problems.forEach(complain);
      complain(`${err.problems.length} problem${err.problems.length === 1 ? "" : "s"}; nothing was written`);
      return EXIT.labProblem;
    }
    throw err;
  }
}

export async function handoutsCommand(dir: string, out: string): Promise<ExitCode> {
  const { writeHandouts } = await import("./handouts.js");
  return writeHandouts(dir, out, say);
}

export async function classRunCommand(
  verb: "up" | "check" | "down",
  dir: string,
  opts: ClassRunFlags,
): Promise<ExitCode> {
  const { runClass } = await import("./run.js");
  return runClass(verb, dir, opts, say);
}
