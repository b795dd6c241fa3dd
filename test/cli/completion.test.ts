import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { COMPLETE_COMMAND, completeWords } from "../../src/cli/completion.js";
import { buildProgram } from "../../src/cli/program.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/**
 * Shell completion: the words computed from the program's definition, and the real bash, zsh
 * and fish scripts driving `lab` on PATH, as a person's shell would on Tab.
 */
const repo = resolve(import.meta.dirname, "..", "..");
const complete = (...words: string[]) =>
  completeWords(
    buildProgram(() => {}),
    words,
  );
const UP_FLAGS = [
  "--no-check",
  "--stats",
  "--allow-docker-restart",
  "--vlan-standin",
  "--sandbox",
  "--inventory",
  "--strict-host-keys",
  "--parallel",
  "--verbose",
  "--allow-env",
  "--help",
];

/** A working directory with lab files, other files, a folder, and `lab` on PATH (the TypeScript, via tsx). */
function workspace(): { dir: string; env: NodeJS.ProcessEnv } {
  const dir = scratchDir("completion");
  const bin = join(dir, "bin");
  mkdirSync(bin);
  const loader = pathToFileURL(join(repo, "node_modules/tsx/dist/loader.mjs")).href;
  writeFileSync(join(bin, "lab"), `#!/bin/sh\nexec node --import ${loader} ${join(repo, "src/cli/main.ts")} "$@"\n`);
  chmodSync(join(bin, "lab"), 0o755);
  writeFileSync(join(dir, "x.yaml"), readFileSync(join(repo, "labs/two-host-vlan.yaml")));
  writeFileSync(join(dir, "other.yml"), "name: other\n");
  writeFileSync(join(dir, "notes.txt"), "not a lab\n");
  mkdirSync(join(dir, "labs"));
  return { dir, env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, HOME: dir } };
}

describe("completion words (from the program's own definition)", () => {
  it("commands, then a command's flags, then --format values", () => {
    expect(complete("")).toEqual([
      "validate",
      "schema",
      "plan",
      "up",
      "check",
      "status",
      "down",
      "graph",
      "sandbox",
      "class",
      "completion",
    ]);
    expect(complete("class", "")).toEqual(["generate", "handouts", "up", "check", "down"]);
    expect(complete("u")).toEqual(["up"]);
    expect(complete("up", "--")).toEqual(UP_FLAGS);
    expect(complete("plan", "x.yaml", "--format", "")).toEqual(["text", "sh", "json"]);
    expect(complete("graph", "x.yaml", "--format", "d")).toEqual(["dot"]);
    expect(complete("graph", "x.yaml", "--format", "")).toEqual(["mermaid", "dot", "svg"]);
    expect(complete("sandbox", "")).toEqual(["create", "status", "destroy"]);
    expect(complete("completion", "")).toEqual(["bash", "zsh", "fish"]);
  });

  it("lab files for FILE arguments, any file or a folder for other paths, nothing for numbers", () => {
    expect(complete("up", "")).toEqual([":files:yaml,yml"]);
    expect(complete("sandbox", "create", "")).toEqual([":files:yaml,yml"]);
    expect(complete("up", "--inventory", "")).toEqual([":files:yaml,yml,json"]);
    expect(complete("check", "x.yaml", "--junit", "")).toEqual([":files:"]);
    expect(complete("plan", "x.yaml", "--out-dir", "")).toEqual([":dirs"]);
    expect(complete("up", "x.yaml", "--parallel", "")).toEqual([]);
    // a flag's value is not taken for a command or a file
    expect(complete("up", "--parallel", "4", "")).toEqual([":files:yaml,yml"]);
  });

  it("--host offers the lab's own host names, and only names of the host-name grammar", () => {
    const dir = scratchDir("completion-hosts");
    const file = join(dir, "hostile.yaml");
    writeFileSync(
      file,
      'name: h\nhosts:\n  docker01: { address: 10.0.0.1 }\n  "$(touch pwned)": { address: 10.0.0.2 }\n  "a b": { address: 10.0.0.3 }\n',
    );
    expect(complete("plan", join(repo, "labs/two-host-vlan.yaml"), "--host", "")).toEqual(["docker01", "docker02"]);
    expect(complete("plan", file, "--host", "")).toEqual(["docker01"]);
    expect(complete("plan", join(dir, "missing.yaml"), "--host", "")).toEqual([]);
  });
});

describe("completion scripts in their shells", () => {
  const bash = (env: NodeJS.ProcessEnv, cwd: string, words: string[]) => {
    const script = `source <(lab completion bash) || exit 9
COMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")}); COMP_CWORD=${words.length - 1}
_lab_complete; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync("bash", ["-c", script], { cwd, env, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    return r.stdout.split("\n").filter(Boolean).sort();
  };

  it("bash: `lab up --` offers up's flags; `lab plan x.yaml --host ` the lab's hosts; FILE offers lab files and folders", () => {
    const { dir, env } = workspace();
    expect(bash(env, dir, ["lab", "up", "--"])).toEqual([...UP_FLAGS].sort());
    expect(bash(env, dir, ["lab", "plan", "x.yaml", "--host", ""])).toEqual(["docker01", "docker02"]);
    expect(bash(env, dir, ["lab", "plan", "x.yaml", "--format", ""])).toEqual(["json", "sh", "text"]);
    expect(bash(env, dir, ["lab", "up", ""])).toEqual(["bin", "labs", "other.yml", "x.yaml"]);
    expect(bash(env, dir, ["lab", "check", "x.yaml", "--junit", "n"])).toEqual(["notes.txt"]);
  });

  it(`the script is the one lab prints, and ${COMPLETE_COMMAND} is not a command users see`, () => {
    const { dir, env } = workspace();
    const r = spawnSync("lab", ["completion", "bash"], { cwd: dir, env, encoding: "utf8" });
    expect(r.stdout).toBe(readFileSync(join(repo, "templates/completion/lab.bash"), "utf8"));
    const help = spawnSync("lab", ["--help"], { cwd: dir, env, encoding: "utf8" });
    expect(help.stdout).toContain("completion");
    expect(help.stdout).not.toContain(COMPLETE_COMMAND);
    const bad = spawnSync("lab", ["completion", "tcsh"], { cwd: dir, env, encoding: "utf8" });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/Allowed choices are bash, zsh, fish/);
  });

  const fish = spawnSync("fish", ["--version"]).status === 0;
  it.skipIf(!fish)("fish: the same answers through `complete -C`", () => {
    const { dir, env } = workspace();
    const ask = (line: string) => {
      const r = spawnSync("fish", ["--no-config", "-c", `lab completion fish | source; complete -C '${line}'`], {
        cwd: dir,
        env,
        encoding: "utf8",
      });
      expect(r.status, r.stderr).toBe(0);
      return r.stdout
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t")[0]!)
        .sort();
    };
    expect(ask("lab up --")).toEqual([...UP_FLAGS].sort());
    expect(ask("lab plan x.yaml --host ")).toEqual(["docker01", "docker02"]);
    expect(ask("lab up ")).toEqual(expect.arrayContaining(["x.yaml", "other.yml", "labs/"]));
    expect(ask("lab up ")).not.toContain("notes.txt");
  });

  const zsh = spawnSync("zsh", ["--version"]).status === 0;
  it.skipIf(!zsh)("zsh: the script parses, and defines _lab when sourced after compinit", () => {
    const { dir, env } = workspace();
    const r = spawnSync(
      "zsh",
      [
        "-f",
        "-c",
        "autoload -U compinit && compinit -u -D && source <(lab completion zsh) && whence -w _lab && print ${_comps[lab]}",
      ],
      { cwd: dir, env, encoding: "utf8" },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe("_lab: function\n_lab\n");
  });
});
