import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ClassError, generateLabs, type GenerateOptions } from "../../src/class/generate.js";
import { parseRoster } from "../../src/class/roster.js";
import { DEFAULT_POOLS, labSubnets, labVlanIds } from "../../src/class/shared.js";
import { runCli } from "../../src/cli/program.js";
import { validateFile, validateText } from "../../src/labfile/validate.js";
import { cidrsOverlap } from "../../src/net/cidr.js";
import { removeScratchDirs, scratchDir } from "../helpers/scratch-dir.js";

afterAll(removeScratchDirs);

const ROSTER =
  "student,docker01,docker02\nAda Lovelace,10.0.1.11,10.0.1.12\nAlan Turing,10.0.2.11,10.0.2.12\nGrace Hopper,10.0.3.11,10.0.3.12\n";

async function generate(labFile: string, rosterText: string, options: Partial<GenerateOptions> = {}) {
  const lab = (await validateFile(labFile)).lab!;
  const roster = parseRoster(
    "roster.csv",
    rosterText,
    lab.hosts.map((h) => h.name),
  );
  return generateLabs(labFile, readFileSync(labFile, "utf8"), lab, roster, {
    shared: false,
    vlanBase: 100,
    subnetPools: DEFAULT_POOLS,
    outDir: "class",
    rosterFile: "roster.csv",
    ...options,
  });
}

const problemsOf = async (...args: Parameters<typeof generate>) => {
  try {
    await generate(...args);
  } catch (err) {
    if (err instanceof ClassError) return err.problems;
    throw err;
  }
  throw new Error("no problem found");
};

describe("lab class generate, one lab per student", () => {
  it("gives each student their addresses, a lab name and id of their own, and changes nothing else", async () => {
    const { labs } = await generate("labs/single-network.yaml", ROSTER);
    expect(labs.map((g) => g.lab.name)).toEqual([
      "single-network-ada-01e3",
      "single-network-ala-ec53",
      "single-network-gra-636f",
    ]);
    expect(new Set(labs.map((g) => g.lab.id)).size).toBe(3);
    const ada = labs[0]!.lab;
    expect(ada.hosts.map((h) => [h.address, h.ssh.host])).toEqual([
      ["10.0.1.11", "10.0.1.11"],
      ["10.0.1.12", "10.0.1.12"],
    ]);
    const original = (await validateFile("labs/single-network.yaml")).lab!;
    // Students on hosts of their own keep every name, subnet and port of the exercise.
    expect(ada.containers).toEqual(original.containers);
    expect(ada.networks).toEqual(original.networks);
    expect(ada.registry!.port).toBe(original.registry!.port);
    expect(labs[0]!.text).toContain("# Ada Lovelace's copy of single-network.yaml");
  });

  it("writes the same files again for the same roster (ids and names are stable)", async () => {
    const a = await generate("labs/two-host-vlan.yaml", ROSTER, { shared: true });
    const b = await generate("labs/two-host-vlan.yaml", ROSTER, { shared: true });
    expect(a.labs.map((g) => g.text)).toEqual(b.labs.map((g) => g.text));
  });

  it("refuses two students on one host address without --shared, naming the roster line", async () => {
    const problems = await problemsOf(
      "labs/single-network.yaml",
      "student,docker01,docker02\nAda,10.0.1.11,10.0.1.12\nAlan,10.0.2.11,10.0.1.12\n",
    );
    expect(problems).toEqual([
      "roster.csv:3: 10.0.1.12 is docker02 of Alan and docker02 of Ada: students share hosts only with --shared",
    ]);
  });

  it("SSH targets from <host>_ssh; the lab's own ssh.host is not the student's", async () => {
    const dir = scratchDir("class-ssh");
    const labFile = join(dir, "lab.yaml");
    writeFileSync(
      labFile,
      readFileSync("labs/single-network.yaml", "utf8").replace(
        "docker02: { address: 192.168.1.13 }",
        "docker02: { address: 192.168.1.13, ssh: { host: teacher.example } }",
      ),
    );
    const { labs } = await generate(
      labFile,
      "student,docker01,docker02,docker01_ssh\nAda,10.0.1.11,10.0.1.12,ada@gw.example:2201\n",
    );
    const hosts = labs[0]!.lab.hosts;
    expect(hosts[0]!.ssh).toMatchObject({ host: "gw.example", user: "ada", port: 2201 });
    expect(hosts[1]!.ssh.host).toBe("10.0.1.12");
  });
});

describe("lab class generate --shared: what students on one fabric must not share", () => {
  it("gives each student VLAN ids base + i × count, subnets from the pool, names and a registry port of their own", async () => {
    const { labs } = await generate("labs/two-host-vlan.yaml", ROSTER, { shared: true, vlanBase: 200 });
    expect(labs.map((g) => labVlanIds(g.lab))).toEqual([
      [200, 201],
      [202, 203],
      [204, 205],
    ]);
    expect(labs.map((g) => g.lab.registry!.port)).toEqual([5000, 5001, 5002]);
    const alan = labs[1]!.lab;
    expect(alan.networks.map((n) => [n.name, n.parent, n.subnets[0]!.subnet, n.subnets[0]!.gateway])).toEqual([
      ["mac_net10-alan-turing", "ens33.202", "10.200.4.0/24", "10.200.4.1"],
      ["mac_net20-alan-turing", "ens33.203", "10.200.5.0/24", "10.200.5.1"],
    ]);
    expect(alan.containers.map((c) => [c.name, c.network, c.ip])).toContainEqual([
      "bbox21-alan-turing",
      "mac_net20-alan-turing",
      "10.200.5.21",
    ]);
    expect(alan.vlans.map((v) => [v.id, v.gateway, v.addresses.docker01])).toEqual([
      [202, "10.200.6.2", ["10.200.6.10/24"]],
      [203, "10.200.7.2", ["10.200.7.20/24"]],
    ]);
    expect(alan.checks.explicit).toEqual([
      { from: "bbox10-alan-turing", to: "bbox21-alan-turing", expect: "unreachable", ipv6: false },
    ]);
    // No two students' subnets overlap.
    const all = labs.flatMap((g) => labSubnets(g.lab).map((c) => ({ c, lab: g.lab.name })));
    for (const a of all) for (const b of all) if (a.lab !== b.lab) expect(cidrsOverlap(a.c, b.c)).toBe(false);
    // The description is text, not an address to move.
    expect(alan.description).toBe((await validateFile("labs/two-host-vlan.yaml")).lab!.description);
  });

  it("moves every address of a subnet with it: ip_range, aux_addresses, the shim and its route, IPv6", async () => {
    const { labs } = await generate("labs/macvlan-host-shim.yaml", ROSTER.split("\n").slice(0, 3).join("\n"), {
      shared: true,
    });
    const net = labs[1]!.lab.networks[0]!;
    expect(net.subnets[0]).toEqual({
      subnet: "10.200.1.0/24",
      gateway: "10.200.1.1",
      ipRange: "10.200.1.0/28",
      auxAddresses: { "docker01-shim": "10.200.1.250" },
    });
    expect(labs[1]!.lab.hosts[0]!.shim).toEqual({
      network: "mac_net1-alan-turing",
      address: "10.200.1.250",
      name: "shim-alan-ec53", // within 15 characters: cut, with a hash of the whole name
      route: "10.200.1.0/28",
    });
  });

  it("refuses a lab whose networks sit on the hosts' NIC: Docker gives a parent to one macvlan network only", async () => {
    const problems = await problemsOf(
      "labs/single-network.yaml",
      "student,docker01,docker02\nAda,10.0.1.11,10.0.1.12\nAlan,10.0.1.11,10.0.1.12\n",
      { shared: true },
    );
    expect(problems).toContain("roster.csv:3: on 10.0.1.11, the parent ens33 of a Docker network is Alan's and Ada's");
  });

  it("refuses a subnet that holds the hosts' own addresses, VLAN ids past 4094 and a full pool", async () => {
    expect((await problemsOf("labs/macvlan-host-lan.yaml", ROSTER, { shared: true }))[0]).toMatch(
      /^labs\/macvlan-host-lan\.yaml: subnet 192\.168\.1\.0\/24 holds the hosts' own addresses/,
    );
    expect(await problemsOf("labs/two-host-vlan.yaml", ROSTER, { shared: true, vlanBase: 4091 })).toEqual([
      "roster.csv:4: VLAN ids run out: with --vlan-base 4091 and 2 VLANs per student, student 3 would need VLAN 4096 (at most 4094)",
    ]);
    expect(
      await problemsOf("labs/two-host-vlan.yaml", ROSTER, { shared: true, subnetPools: ["10.9.0.0/22", "fd00::/64"] }),
    ).toEqual([
      // Four /24s a student: the first takes the whole /22.
      "roster.csv:3: subnet 172.16.10.0/24: --subnet-pool 10.9.0.0/22 is full (no free /24 left)",
      "roster.csv:4: subnet 172.16.10.0/24: --subnet-pool 10.9.0.0/22 is full (no free /24 left)",
    ]);
  });
});

describe("lab class generate (the command)", () => {
  it("writes nothing when one roster line is bad, and everything (with class.json) when all are good", async () => {
    const dir = scratchDir("class-cli");
    const out = join(dir, "class");
    const roster = join(dir, "roster.csv");
    writeFileSync(roster, "student,docker01,docker02\nAda,10.0.1.11,10.0.1.12\nAlan,10.0.2.11,10.0.2.999\n");
    expect(await runCli(["class", "generate", "labs/single-network.yaml", "--roster", roster, "--out", out])).toBe(1);
    expect(existsSync(out)).toBe(false);
    writeFileSync(roster, ROSTER);
    expect(await runCli(["class", "generate", "labs/single-network.yaml", "--roster", roster, "--out", out])).toBe(0);
    expect(readdirSync(out).sort()).toEqual([
      "ada-lovelace.yaml",
      "alan-turing.yaml",
      "class.json",
      "grace-hopper.yaml",
    ]);
    for (const f of ["ada-lovelace.yaml", "alan-turing.yaml", "grace-hopper.yaml"])
      expect(validateText(f, readFileSync(join(out, f), "utf8")).ok).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "class.json"), "utf8")).students[1]).toEqual({
      student: "Alan Turing",
      file: "alan-turing.yaml",
      lab: "single-network-ala-ec53",
    });
  });

  it("links a tarball from outside the class directory into DIR/files/, and refuses one outside the lab's directory", async () => {
    const dir = scratchDir("class-tar");
    mkdirSync(join(dir, "exercise"));
    const tarball = join(dir, "exercise", "tools.tar");
    writeFileSync(tarball, tarWithManifest());
    const labFile = join(dir, "exercise", "lab.yaml");
    const lab = readFileSync("labs/single-network.yaml", "utf8");
    writeFileSync(
      labFile,
      lab.replace("images: [busybox:latest] }", 'images: [{ ref: "lab/tools:1.0", tarball: tools.tar }] }'),
    );
    const roster = join(dir, "roster.csv");
    writeFileSync(roster, ROSTER);
    const out = join(dir, "class");
    expect(await runCli(["class", "generate", labFile, "--roster", roster, "--out", out])).toBe(0);
    expect(readFileSync(join(out, "ada-lovelace.yaml"), "utf8")).toContain("tarball: files/tools.tar");
    expect(readFileSync(join(out, "files", "tools.tar"))).toEqual(readFileSync(tarball));
    // A lab naming a file outside its own directory is refused before anything is linked.
    writeFileSync(
      labFile,
      lab.replace("images: [busybox:latest] }", 'images: [{ ref: "lab/x:1", tarball: ../roster.csv }] }'),
    );
    const out2 = join(dir, "class2");
    expect(await runCli(["class", "generate", labFile, "--roster", roster, "--out", out2])).toBe(1);
    expect(existsSync(out2)).toBe(false);
  });
});

/** A minimal `docker save` archive: one ustar entry named manifest.json. */
function tarWithManifest(): Buffer {
  const header = Buffer.alloc(512);
  header.write("manifest.json", 0, "latin1");
  header.write("0000644\0", 100, "latin1");
  header.write("0000000\0", 108, "latin1");
  header.write("0000000\0", 116, "latin1");
  header.write("00000000003\0", 124, "latin1");
  header.write("00000000000\0", 136, "latin1");
  header.write("        ", 148, "latin1");
  header.write("0", 156, "latin1");
  header.write("ustar\0", 257, "latin1");
  header.write("00", 263, "latin1");
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, "latin1");
  const body = Buffer.alloc(512);
  body.write("[]\n", 0, "latin1");
  return Buffer.concat([header, body, Buffer.alloc(1024)]);
}

describe("lab class generate refuses what would make a student's lab not their own", () => {
  const labWith = (edit: (text: string) => string) => {
    const dir = scratchDir("class-edge");
    const file = join(dir, "lab.yaml");
    writeFileSync(file, edit(readFileSync("labs/single-network.yaml", "utf8")));
    return file;
  };

  it("a lab with YAML aliases (a value that would stay the lab's own for every student)", async () => {
    const file = labWith((t) =>
      t
        .replace(/description: >\n(?: {2}.*\n)+/, "description: &a 192.168.1.11\n")
        .replace("docker01: { address: 192.168.1.11 }", "docker01: { address: *a }"),
    );
    expect((await problemsOf(file, ROSTER))[0]).toMatch(/uses YAML aliases/);
  });

  it("defaults.ssh.host: every student's hosts would be the teacher's machine", async () => {
    const file = labWith((t) => t.replace("ssh: { user: root,", "ssh: { host: 203.0.113.66, user: root,"));
    const { labs } = await generate(file, ROSTER);
    expect(labs[0]!.lab.hosts.map((h) => h.ssh.host)).toEqual(["10.0.1.11", "10.0.1.12"]);
  });

  it("one host written two ways (FD00::1 and fd00:0::1) by two students without --shared", async () => {
    const problems = await problemsOf(
      "labs/single-network.yaml",
      "student,docker01,docker02\nAda,FD00::1,10.0.1.12\nAlan,fd00:0::1,10.0.2.12\n",
    );
    expect(problems[0]).toMatch(/^roster\.csv:3: fd00::1 is docker01 of Alan and docker01 of Ada/);
  });

  it("a shim route outside every subnet moves too (students' routes on one host would collide)", async () => {
    const file = labWith(() =>
      readFileSync("labs/macvlan-host-shim.yaml", "utf8").replace("route: 172.22.16.0/28", "route: 192.168.77.0/24"),
    );
    const { labs } = await generate(file, ROSTER, { shared: true });
    const routes = labs.map((g) => g.lab.hosts[0]!.shim!.route);
    expect(new Set(routes).size).toBe(3);
    for (const r of routes) expect(r).toMatch(/^10\.200\./);
  });

  it("a very long student name still makes a short file name", async () => {
    const { labs } = await generate(
      "labs/single-network.yaml",
      `student,docker01,docker02\n${"㎯".repeat(200)},10.0.1.11,10.0.1.12\n`,
    );
    expect(labs[0]!.slug.length).toBeLessThanOrEqual(40);
  });

  it("--out where a file generate did not write would be replaced (the lab file itself)", async () => {
    const dir = scratchDir("class-own");
    const file = join(dir, "single-network.yaml");
    writeFileSync(file, readFileSync("labs/single-network.yaml", "utf8"));
    const roster = join(dir, "roster.csv");
    writeFileSync(roster, "student,docker01,docker02\nSingle Network,10.0.1.11,10.0.1.12\n");
    const before = readFileSync(file, "utf8");
    expect(await runCli(["class", "generate", file, "--roster", roster, "--out", dir])).toBe(1);
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(existsSync(join(dir, "class.json"))).toBe(false);
  });

  it.each([
    [["--shared", "--vlan-base", "0x10"]],
    [["--shared", "--vlan-base", "1e2"]],
    [["--shared", "--subnet-pool", "127.0.0.0/8"]],
    [["--shared", "--subnet-pool", "224.0.0.0/4"]],
    [["--vlan-base", "100"]],
  ])("usage errors: %j", async (flags) => {
    const dir = scratchDir("class-usage");
    const roster = join(dir, "roster.csv");
    writeFileSync(roster, ROSTER);
    expect(
      await runCli([
        "class",
        "generate",
        "labs/two-host-vlan.yaml",
        "--roster",
        roster,
        "--out",
        join(dir, "o"),
        ...flags,
      ]),
    ).toBe(2);
    expect(existsSync(join(dir, "o"))).toBe(false);
  });
});

describe("the class directory", () => {
  it("is only a directory with class.json: a folder of lab files is never built as a class", async () => {
    expect(await runCli(["class", "check", "labs", "--sandbox"])).toBe(2);
    expect(await runCli(["class", "up", "labs/single-network.yaml"])).toBe(2);
    expect(await runCli(["class", "up", "nosuch"])).toBe(2);
    expect(await runCli(["class", "up", "x", "--vlan-standin"])).toBe(2);
  });

  it("a student no longer on the roster keeps their file, and generate says so", async () => {
    const dir = scratchDir("class-stale");
    const roster = join(dir, "roster.csv");
    const out = join(dir, "class");
    writeFileSync(roster, ROSTER);
    expect(await runCli(["class", "generate", "labs/single-network.yaml", "--roster", roster, "--out", out])).toBe(0);
    writeFileSync(roster, ROSTER.split("\n").slice(0, 3).join("\n") + "\n");
    const said: string[] = [];
    const write = process.stdout.write.bind(process.stdout);
    process.stdout.write = (text: string) => (said.push(String(text)), true);
    try {
      expect(await runCli(["class", "generate", "labs/single-network.yaml", "--roster", roster, "--out", out])).toBe(0);
    } finally {
      process.stdout.write = write;
    }
    expect(said.join("")).toContain(`${join(out, "grace-hopper.yaml")}: kept, no longer on the roster`);
    expect(existsSync(join(out, "grace-hopper.yaml"))).toBe(true);
    expect(JSON.parse(readFileSync(join(out, "class.json"), "utf8")).students).toHaveLength(2);
  });
});
