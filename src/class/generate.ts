import { createHash } from "node:crypto";
import { link, copyFile, mkdir, readFile, realpath, rename, rm, writeFile } from "node:fs/promises";
import { basename, dirname, isAbsolute, join, relative, resolve } from "node:path";
import { formatIssue } from "../labfile/issues.js";
import type { Lab } from "../labfile/model.js";
import { MAX_INTERFACE_NAME } from "../labfile/patterns.js";
import { validateText } from "../labfile/validate.js";
import { formatIp, parseCidr, parseIp, type Cidr } from "../net/cidr.js";
import { isInside, labLocalFile } from "../labfile/local-policy.js";
import { fitName, slugOf, studentLabId } from "./names.js";
import { AliasError, rewriteLab, type StudentEdits } from "./rewrite.js";
import type { RosterStudent } from "./roster.js";
import { labSubnets, labVlanIds, moveSubnets, SubnetPool, vlanMapFor } from "./shared.js";
import { MANIFEST, STUDENT_FILE, type ClassManifest } from "./manifest.js";

export interface GenerateOptions {
  /** Students share hosts or one L2 fabric: each gets their own VLANs, subnets, names and port. */
  shared: boolean;
  vlanBase: number;
  subnetPools: string[];
  outDir: string;
  /** The roster file, for messages (`roster.csv:LINE: …`). */
  rosterFile: string;
}

export interface GeneratedLab {
  student: RosterStudent;
  slug: string;
  /** Path of the student's lab file (inside outDir). */
  file: string;
  text: string;
  lab: Lab;
}

/** Everything wrong with a class, each problem on its own line; nothing was written. */
export class ClassError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join("\n"));
  }
}

const MAX_LAB_NAME = 24;
const cidrText = (c: Cidr) => `${formatIp(c.network, c.version)}/${c.prefix}`;

/**
 * Every student's lab, checked one by one (each validates) and together (nothing used twice
 * where students share); throws ClassError listing every problem. Pure but for reading nothing:
 * the caller writes.
 */
export function generateLabs(
  labFile: string,
  labText: string,
  lab: Lab,
  roster: RosterStudent[],
  options: GenerateOptions,
  tarballs: TarballMoves = new Map(),
): { labs: GeneratedLab[]; files: { from: string; to: string }[] } {
  const problems: string[] = [];
  const at = (s: RosterStudent, message: string) => problems.push(`${options.rosterFile}:${s.line}: ${message}`);
  const hostAddresses = roster.flatMap((s) => Object.values(s.addresses)).map((a) => parseIp(a)!);
  const reserved: Cidr[] = hostAddresses.map((ip) => parseCidr(`${ip.text}/${ip.version === 4 ? 32 : 128}`)!);
  const pools = options.subnetPools.map((p) => parseCidr(p)!);
  const pool = new SubnetPool(pools, reserved);
  const subnets = options.shared ? labSubnets(lab) : [];
  if (options.shared)
    for (const s of subnets) {
      const lan = lab.hosts.find((h) => {
        const ip = parseIp(h.address);
        return ip && s.version === ip.version && ip.value >= s.network && ip.value <= s.last;
      });
      if (lan)
        problems.push(
          `${labFile}: subnet ${s.text} holds the hosts' own addresses (${lan.name} ${lan.address}): students who share hosts cannot each have it; --shared needs the lab's networks on subnets of their own`,
        );
    }
  const vlanIds = options.shared ? labVlanIds(lab) : [];

  const labs: GeneratedLab[] = [];
  const slugs = new Map<string, RosterStudent>();
  roster.forEach((student, index) => {
    const slug = slugOf(student.name);
    const name = fitName(lab.name, slug, MAX_LAB_NAME);
    const clash = slugs.get(name);
    if (clash)
      return at(
        student,
        `${student.name} would get the same lab name (${name}) as ${clash.name} on line ${clash.line}: tell them apart in the roster`,
      );
    slugs.set(name, student);
    const edits: StudentEdits = {
      name,
      id: studentLabId(lab.id ?? lab.name, slug),
      addresses: student.addresses,
      ssh: student.ssh,
      tarballs: new Map([...tarballs].map(([from, move]) => [from, move.written])),
      header: ` ${student.name}'s copy of ${basename(labFile)}, written by lab class generate (roster line ${student.line}). Generate again rather than edit.`,
    };
    if (options.shared) {
      const tag = slug;
      edits.containers = new Map(lab.containers.map((c) => [c.name, fitName(c.name, tag, 63)]));
      edits.networks = new Map(lab.networks.map((n) => [n.name, fitName(n.name, tag, 63)]));
      edits.namespaces = new Map(lab.namespaces.map((n) => [n.name, fitName(n.name, tag, 32)]));
      edits.shims = new Map(
        lab.hosts.filter((h) => h.shim).map((h) => [h.name, fitName("shim", tag, MAX_INTERFACE_NAME)]),
      );
      if (lab.registry) edits.registryPort = lab.registry.port + index;
      if (edits.registryPort !== undefined && edits.registryPort > 65535)
        return at(
          student,
          `registry port ${edits.registryPort} is past 65535: too many students for port ${lab.registry!.port}`,
        );
      const vlans = vlanMapFor(vlanIds, options.vlanBase, index);
      if (typeof vlans === "string") return at(student, vlans);
      edits.vlans = vlans;
      const moves = moveSubnets(subnets, pool);
      if (typeof moves === "string") return at(student, moves);
      edits.subnets = moves;
      // The lab's description still speaks of the lab's own values: say what is the student's.
      const changed = [
        ...[...vlans].filter(([a, b]) => a !== b).map(([a, b]) => `VLAN ${a} is ${b}`),
        ...moves.map((m) => `${m.from.text} is ${cidrText(m.to)}`),
        ...(edits.registryPort !== undefined && edits.registryPort !== lab.registry!.port
          ? [`registry port ${lab.registry!.port} is ${edits.registryPort}`]
          : []),
      ];
      if (changed.length > 0)
        edits.header += `\n Shared hosts: here ${changed.join(", ")}; object names end in -${slug} (or a short form of it).`;
    }
    const file = join(options.outDir, `${slug}.yaml`);
    let text: string;
    try {
      text = rewriteLab(labText, edits);
    } catch (err) {
      if (err instanceof AliasError) throw new ClassError([`${labFile}: ${err.message}`]);
      throw err;
    }
    const result = validateText(file, text);
    if (!result.ok || !result.lab) {
      for (const issue of result.issues.filter((i) => i.severity === "error"))
        at(student, `the lab generated for ${student.name} is not valid: ${formatIssue(issue)}`);
      return;
    }
    // What the student's lab must be, whatever the lab file held: their addresses, their SSH targets.
    for (const h of result.lab.hosts) {
      const target = student.ssh[h.name]?.host ?? student.addresses[h.name];
      if (h.address !== student.addresses[h.name] || h.ssh.host !== target)
        return at(
          student,
          `${h.name} of ${student.name}'s lab would be ${h.address} (SSH ${h.ssh.host}), not ${target}`,
        );
    }
    labs.push({ student, slug, file, text, lab: result.lab });
  });
  problems.push(...togetherProblems(labs, options));
  if (problems.length > 0) throw new ClassError(problems);
  return { labs, files: [...tarballs.values()].filter((m) => m.copy).map((m) => ({ from: m.source, to: m.copy! })) };
}

/** Where a tarball the lab uploads is, and what the students' files must say. */
export type TarballMoves = Map<string, { written: string; source: string; copy?: string }>;

/**
 * Where each tarball the lab uploads is for the students' files. lab uploads only files inside
 * the lab file's own directory (src/labfile/local-policy.ts: checked with symlinks resolved
 * and as a `docker save` archive, before this is called), so one outside the class directory
 * is linked (or copied) into DIR/files/ once for every student.
 */
export async function tarballMoves(labFile: string, lab: Lab, outDir: string): Promise<TarballMoves> {
  const moves: TarballMoves = new Map();
  for (const image of lab.registry?.images ?? []) {
    if (!image.tarball || moves.has(image.tarball)) continue;
    const local = await labLocalFile(labFile, image.tarball);
    if ("problem" in local) throw new ClassError([`${labFile}: ${local.problem}`]);
    const out = resolve(outDir);
    if (isInside(out, local.path)) moves.set(image.tarball, { written: relative(out, local.path), source: local.path });
    else {
      // Two tarballs of one name (a/img.tar, b/img.tar) each get a file of their own.
      const taken = [...moves.values()].some((m) => m.copy && basename(m.copy) === basename(local.path));
      const name = taken
        ? `${createHash("sha256").update(local.path).digest("hex").slice(0, 8)}-${basename(local.path)}`
        : basename(local.path);
      const copy = join(out, "files", name);
      moves.set(image.tarball, { written: relative(out, copy), source: local.path, copy });
    }
  }
  return moves;
}

/** What two students' labs may not share: their names always; where hosts are shared, what lives on a host or a LAN. */
function togetherProblems(labs: GeneratedLab[], options: GenerateOptions): string[] {
  const problems: string[] = [];
  const where = (g: GeneratedLab) => `${options.rosterFile}:${g.student.line}`;
  // An address → who uses it (student, lab host).
  const owners = new Map<string, { g: GeneratedLab; host: string }[]>();
  for (const g of labs)
    for (const h of g.lab.hosts) {
      // One key per address however written (FD00::1 and fd00:0::1 are one host).
      const ip = parseIp(h.address)!;
      const key = formatIp(ip.value, ip.version);
      owners.set(key, [...(owners.get(key) ?? []), { g, host: h.name }]);
    }
  // Names and ids: a lab's state, labels and sandbox go by them.
  for (const key of ["name", "id"] as const) {
    const seen = new Map<string, GeneratedLab>();
    for (const g of labs) {
      const other = seen.get(g.lab[key]!);
      if (other)
        problems.push(`${where(g)}: ${g.student.name}'s lab ${key} ${g.lab[key]} is ${other.student.name}'s too`);
      seen.set(g.lab[key]!, g);
    }
  }
  if (!options.shared) {
    for (const [address, users] of owners) {
      const students = [...new Set(users.map((u) => u.g))];
      if (students.length > 1)
        problems.push(
          `${where(students[1]!)}: ${address} is ${users.find((u) => u.g === students[1])!.host} of ${students[1]!.student.name} and ${users[0]!.host} of ${students[0]!.student.name}: students share hosts only with --shared`,
        );
    }
    return problems;
  }
  // Shared: per host address, no Docker object name, registry port, shim or network parent twice.
  for (const [address, users] of owners) {
    const used = new Map<string, GeneratedLab>();
    const claim = (g: GeneratedLab, what: string) => {
      const other = used.get(what);
      if (other && other !== g)
        problems.push(`${where(g)}: on ${address}, ${what} is ${g.student.name}'s and ${other.student.name}'s`);
      used.set(what, g);
    };
    for (const { g, host } of users) {
      const lab = g.lab;
      for (const c of lab.containers.filter((c) => c.host === host)) claim(g, `container ${c.name}`);
      for (const n of lab.networks.filter((n) => n.hosts.includes(host))) {
        claim(g, `network ${n.name}`);
        // Docker gives a parent to one macvlan/ipvlan network only.
        claim(g, `the parent ${n.parent} of a Docker network`);
      }
      for (const ns of lab.namespaces.filter((n) => n.host === host)) claim(g, `namespace ${ns.name}`);
      const shim = lab.hosts.find((h) => h.name === host)?.shim;
      if (shim) claim(g, `the host interface ${shim.name}`);
      if (lab.registry?.host === host) {
        claim(g, `registry port ${lab.registry.port}`);
        claim(g, `container ${lab.registry.containerName}`);
      }
    }
  }
  // One fabric: no VLAN id and no subnet twice in the class.
  const vlans = new Map<number, GeneratedLab>();
  const subnets: { cidr: Cidr; g: GeneratedLab }[] = [];
  for (const g of labs) {
    for (const v of labVlanIds(g.lab)) {
      const other = vlans.get(v);
      if (other && other !== g)
        problems.push(`${where(g)}: VLAN ${v} is ${g.student.name}'s and ${other.student.name}'s`);
      vlans.set(v, g);
    }
    for (const cidr of labSubnets(g.lab)) {
      const other = subnets.find(
        (s) =>
          s.g !== g && s.cidr.version === cidr.version && s.cidr.network <= cidr.last && cidr.network <= s.cidr.last,
      );
      if (other)
        problems.push(
          `${where(g)}: subnet ${cidr.text} of ${g.student.name} overlaps ${other.cidr.text} of ${other.g.student.name}`,
        );
      subnets.push({ cidr, g });
    }
  }
  return problems;
}

/**
 * Files generate would replace that it did not write: the lab file itself (`--out` its own
 * directory, a student named like it), the roster, or any other file not in DIR/class.json.
 */
export async function foreignTargets(labs: GeneratedLab[], outDir: string, own: string[]): Promise<string[]> {
  const written = await previousFiles(outDir);
  const mine = await Promise.all(own.map((f) => realpath(f).catch(() => resolve(f))));
  const problems: string[] = [];
  for (const g of labs) {
    const there = await realpath(g.file).catch(() => undefined);
    if (there === undefined) continue;
    if (mine.includes(there) || !written.has(basename(g.file)))
      problems.push(
        `${g.file} exists and was not written by lab class generate: nothing was replaced; choose another --out`,
      );
  }
  return problems;
}

/** The student files an earlier generate wrote into DIR (none without its class.json). */
export async function previousFiles(outDir: string): Promise<Set<string>> {
  try {
    const manifest = JSON.parse(await readFile(join(outDir, MANIFEST), "utf8")) as ClassManifest;
    // Only names a student file may have: they are printed, and compared with DIR's files.
    return new Set(manifest.students.map((s) => s.file).filter((f) => typeof f === "string" && STUDENT_FILE.test(f)));
  } catch {
    return new Set();
  }
}

/** Write the class: the students' files, the files they upload, and DIR/class.json. */
export async function writeClass(
  labFile: string,
  generated: { labs: GeneratedLab[]; files: { from: string; to: string }[] },
  options: GenerateOptions,
): Promise<ClassManifest> {
  await mkdir(options.outDir, { recursive: true });
  for (const f of generated.files) {
    await mkdir(dirname(f.to), { recursive: true });
    // A hard link costs no space; across file systems, a copy. Made afresh: the lab's file may
    // have changed since the last generate.
    await rm(f.to, { force: true });
    await link(f.from, f.to).catch(() => copyFile(f.from, f.to));
  }
  for (const g of generated.labs) await writeAtomically(g.file, g.text);
  const manifest: ClassManifest = {
    lab: isAbsolute(labFile) ? labFile : relative(options.outDir, resolve(labFile)),
    shared: options.shared,
    students: generated.labs.map((g) => ({ student: g.student.name, file: basename(g.file), lab: g.lab.name })),
  };
  await writeAtomically(join(options.outDir, MANIFEST), JSON.stringify(manifest, null, 2) + "\n");
  return manifest;
}

async function writeAtomically(file: string, text: string): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, text, { mode: 0o644 });
  await rename(temp, file);
}
