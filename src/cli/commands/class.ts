import { Option, type Command } from "commander";
import type { ExitCode } from "../exit-codes.js";
import { collect } from "../targets.js";

interface GenerateFlags {
  roster: string;
  out: string;
  shared?: boolean;
  vlanBase?: string;
  subnetPool: string[];
  allowEnv: string[];
}

export interface ClassRunFlags {
  sandbox?: boolean;
  vlanStandin?: boolean;
  inventory?: string;
  strictHostKeys?: boolean;
  parallel: string;
  allowEnv: string[];
  csv?: string;
  json?: boolean;
  junit?: string;
  html?: string;
}

const CLASS_HELP = `
A class is one exercise for many students: lab class generate writes one lab file per student
from a roster, lab class handouts writes each student's sheet, and lab class up|check|down
work on every student's lab at once (one summary at the end). lab class check is also the
grader for labs students built by hand from their handout: it changes nothing on the hosts.

Examples:
  lab class generate labs/single-network.yaml --roster labs/class/roster.csv --out class/
  lab class handouts class/ --out handouts/
  lab class up class/ --sandbox
  lab class check class/ --sandbox --html report.html --csv grades.csv
  lab class down class/ --sandbox`;

export function registerClass(program: Command, setExit: (code: ExitCode) => void): void {
  const group = program
    .command("class")
    .description("one exercise for a whole class: per-student labs, handouts, building and grading them all at once")
    .addHelpText("after", CLASS_HELP);

  group
    .command("generate")
    .description("write one lab file per student of a roster (CSV), each checked alone and with the others")
    .argument("<lab>", "the exercise's lab file")
    .requiredOption(
      "--roster <csv>",
      "CSV: student, one column per lab host (the student's address), optional <host>_ssh",
    )
    .requiredOption("--out <dir>", "directory for the students' lab files and class.json")
    .option(
      "--shared",
      "students share hosts or one L2 fabric: each gets their own VLAN ids, subnets, names and registry port",
    )
    .option("--vlan-base <n>", "--shared: student i gets VLAN ids N + i × (the lab's VLAN count) (default 100)")
    .addOption(
      new Option(
        "--subnet-pool <cidr>",
        "--shared: each lab subnet is replaced by the next free one of its size from here; one IPv4 and one IPv6",
      )
        .argParser(collect)
        .default([], "10.200.0.0/16 and fd00:1ab::/48"),
    )
    .option(
      "--allow-env <name>",
      "the lab may name this variable as a secret though not named LAB_* (repeatable)",
      collect,
      [],
    )
    .addHelpText(
      "after",
      `
The roster is CSV with a header: student, then one column per host of the lab holding that
student's address for it, and optionally <host>_ssh (user@host:port) where SSH goes elsewhere:

  student,docker01,docker02
  Ada Lovelace,10.0.1.11,10.0.1.12
  Alan Turing,10.0.2.11,10.0.2.12

Each student's file is DIR/<slug>.yaml with a lab name of its own (the lab's name and the
student's, within 24 characters). Nothing is written unless every student's lab validates
and, together, no host address (without --shared), VLAN id, subnet, name or port is used twice.`,
    )
    .action(async (labFile: string, opts: GenerateFlags) => {
      const { generateCommand } = await import("../../class/commands.js");
      setExit(await generateCommand(labFile, opts));
    });

  group
    .command("handouts")
    .description("per student: the plan as a shell script per host, the topology as SVG, one page (Markdown and HTML)")
    .argument("<dir>", "class directory (from lab class generate)")
    .requiredOption("--out <dir>", "where the handouts go (one directory per student)")
    .addHelpText(
      "after",
      `
No host is contacted: each student's plan is made for the OS family of their lab (rhel where it
does not say), as lab plan does. Exit: 0 written; 1 a student's lab file is invalid; 2 usage.

Example:
  lab class handouts class/ --out handouts/    then hand out handouts/<student>/index.html`,
    )
    .action(async (dir: string, opts: { out: string }) => {
      const { handoutsCommand } = await import("../../class/commands.js");
      setExit(await handoutsCommand(dir, opts.out));
    });

  for (const verb of ["up", "check", "down"] as const) {
    const command = group
      .command(verb)
      .description(
        verb === "up"
          ? "build every student's lab, then check it (--parallel N students at once; each student's hosts in parallel)"
          : verb === "check"
            ? "grade every student: which plan steps are in place, which pings are as expected (changes nothing)"
            : "undo every student's lab (each student's objects only, also on shared hosts)",
      )
      .argument("<dir>", "class directory (from lab class generate)")
      .option("--sandbox", "each student's hosts in this machine's sandbox (namespaces with sshd; needs root)")
      .option(
        "--vlan-standin",
        "with --sandbox on a kernel without 802.1q: each lab VLAN gets a stand-in link (no tagging)",
      )
      .option(
        "--inventory <file>",
        "where SSH goes for every student's hosts (students sharing hosts: generate --shared)",
      )
      .option(
        "--strict-host-keys",
        "refuse hosts missing from known_hosts (default: accept new keys, refuse changed ones)",
      )
      .addOption(
        new Option("--parallel <n>", "students worked on at once (each student's hosts all at once)").default("4", "4"),
      )
      .option(
        "--allow-env <name>",
        "also read this variable as a secret though not named LAB_* (repeatable)",
        collect,
        [],
      );
    if (verb === "check")
      command
        .option("--csv <file>", "one row per student: steps in place, checks as expected, unreachable hosts")
        .option("--json", "the whole report as one JSON document on stdout")
        .option("--junit <file>", "JUnit XML, one testsuite per student")
        .option(
          "--html <file>",
          "one self-contained page: a row per student, the ping grid and what is missing on expansion",
        );
    command.addHelpText(
      "after",
      `
${
  verb === "down"
    ? "Exit: 0 every student's lab undone; 1 an undo failed for a student (kept for the next down)\nor a lab file is invalid; 3 a student's host did not answer (the others are undone all the same)."
    : "Exit: 0 every student as expected; 1 any student not as expected (a step in place missing, a\nping not as expected, a lab file invalid); 3 a student's host did not answer and no student is\nmerely wrong (the others are graded all the same)."
}${
        verb === "check"
          ? `

Examples:
  lab class check class/ --sandbox
  lab class check class/ --inventory pool.yaml --html report.html --csv grades.csv --junit grades.xml`
          : ""
      }`,
    );
    command.action(async (dir: string, opts: ClassRunFlags) => {
      const { classRunCommand } = await import("../../class/commands.js");
      setExit(await classRunCommand(verb, dir, opts));
    });
  }
}
