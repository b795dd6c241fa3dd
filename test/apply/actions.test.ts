import { execFileSync } from "node:child_process";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
  chmodSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ActionError, mergeJson, performAction, uploadScript, type ActionContext } from "../../src/apply/actions.js";
import { backupDir, backupPath, stateDir } from "../../src/apply/state.js";
import type { ExecResult } from "../../src/transport/types.js";
import { FakeTransport } from "../helpers/fake-transport.js";
import { LocalTransport } from "../helpers/local-transport.js";

const LAB = "acts";

describe("mergeJson", () => {
  it("keeps every other key, overrides scalars, unions arrays without duplicates", () => {
    const current = {
      "log-driver": "journald",
      debug: false,
      "insecure-registries": ["a:5000", "b:5000"],
      nested: { x: 1 },
    };
    const merged = mergeJson(current, { debug: true, "insecure-registries": ["b:5000", "c:5000"], added: "yes" });
    expect(merged).toEqual({
      "log-driver": "journald",
      debug: true,
      "insecure-registries": ["a:5000", "b:5000", "c:5000"],
      nested: { x: 1 },
      added: "yes",
    });
  });

  it("replaces a non-array with an array, and an array with a scalar", () => {
    expect(mergeJson({ a: "x", b: [1, 2] }, { a: ["y"], b: 3 })).toEqual({ a: ["y"], b: 3 });
  });

  it("does not change its inputs", () => {
    const current = { list: ["a"], k: 1 };
    const merge = { list: ["b"], k: 2 };
    mergeJson(current, merge);
    expect(current).toEqual({ list: ["a"], k: 1 });
    expect(merge).toEqual({ list: ["b"], k: 2 });
  });

  it("unions any two duplicate-free string arrays: old order first, every element once", () => {
    const uniq = fc.uniqueArray(fc.string({ maxLength: 4 }), { maxLength: 8 });
    fc.assert(
      fc.property(uniq, uniq, (before, add) => {
        const out = mergeJson({ k: before }, { k: add }).k as string[];
        expect(out.slice(0, before.length)).toEqual(before);
        expect(new Set(out).size).toBe(out.length);
        expect(new Set(out)).toEqual(new Set([...before, ...add]));
      }),
    );
  });
});

/** A context around a fake transport, collecting onCommand calls. */
function fakeCtx(fake: FakeTransport): ActionContext & { seen: [string, ExecResult][] } {
  const seen: [string, ExecResult][] = [];
  return {
    transport: fake,
    lab: LAB,
    labFile: "/labs/x/lab.yaml",
    timeoutMs: 4321,
    onCommand: (c, r) => seen.push([c, r]),
    seen,
  };
}

describe("performAction (fake transport: command shapes and faults)", () => {
  it("run: one command, with the timeout, reported to onCommand", async () => {
    const fake = new FakeTransport("h1");
    const ctx = fakeCtx(fake);
    await performAction(ctx, { kind: "run", command: "ip link set dev eth0 up" });
    expect(fake.calls).toEqual([
      { kind: "exec", command: "ip link set dev eth0 up", stdin: undefined, timeoutMs: 4321 },
    ]);
    expect(ctx.seen.map(([c, r]) => [c, r.code])).toEqual([["ip link set dev eth0 up", 0]]);
  });

  it("write: backs up once, then writes atomically through writeFile", async () => {
    const fake = new FakeTransport("h1");
    await performAction(fakeCtx(fake), {
      kind: "write",
      path: "/etc/modules-load.d/lab.conf",
      content: "8021q\n",
      mode: "0640",
    });
    expect(fake.calls.map((c) => c.kind)).toEqual(["exec", "writeFile"]);
    const backup = fake.calls[0]!.command;
    const saved = backupPath(LAB, "/etc/modules-load.d/lab.conf");
    expect(saved).toBe(`${stateDir}/${LAB}.backup/_etc_modules-load.d_lab.conf`);
    expect(backup).toContain(`mkdir -p ${backupDir(LAB)}`);
    // only when neither a copy nor an "absent" marker exists yet
    expect(backup).toContain(`if [ ! -e ${saved} ] && [ ! -L ${saved} ] && [ ! -e ${saved}.absent ]; then`);
    expect(backup).toContain(`cp -P -p /etc/modules-load.d/lab.conf ${saved}`);
    expect(backup).toContain(`: > ${saved}.absent`);
    expect(fake.writes).toEqual([
      { kind: "writeFile", command: "/etc/modules-load.d/lab.conf", stdin: "8021q\n", mode: "0640" },
    ]);
  });

  it("write: a failing backup stops the write", async () => {
    const fake = new FakeTransport("h1").failOn(/mkdir -p/, {
      code: 1,
      stderr: "mkdir: cannot create directory '/var/lib/lab': Read-only file system\n",
    });
    const err = await performAction(fakeCtx(fake), { kind: "write", path: "/etc/x", content: "y", mode: "0644" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).message).toBe(
      "exit 1: mkdir: cannot create directory '/var/lib/lab': Read-only file system",
    );
    expect(fake.writes).toEqual([]);
  });

  it("write: a writeFile failure propagates", async () => {
    const fake = new FakeTransport("h1").failWrite(
      /\/etc\/x/,
      new Error("cannot write /etc/x: No space left on device"),
    );
    await expect(
      performAction(fakeCtx(fake), { kind: "write", path: "/etc/x", content: "y", mode: "0644" }),
    ).rejects.toThrow("No space left on device");
  });

  it("merge-json: reads the current file, keeps its keys, writes the merged JSON after a backup", async () => {
    const fake = new FakeTransport("h1").on(/^cat /, {
      stdout: '{ "log-driver": "journald", "insecure-registries": ["old:5000"] }\n',
    });
    await performAction(fakeCtx(fake), {
      kind: "merge-json",
      path: "/etc/docker/daemon.json",
      merge: { "insecure-registries": ["192.168.1.11:5000", "old:5000"] },
    });
    expect(fake.commands[0]).toBe("cat /etc/docker/daemon.json 2>/dev/null || true");
    expect(fake.commands[1]).toContain(
      `cp -P -p /etc/docker/daemon.json ${backupPath(LAB, "/etc/docker/daemon.json")}`,
    );
    expect(fake.calls.map((c) => c.kind)).toEqual(["exec", "exec", "writeFile"]);
    const written = fake.writes[0]!;
    expect(written.command).toBe("/etc/docker/daemon.json");
    expect(written.mode).toBe("0644");
    expect(written.stdin!.endsWith("}\n")).toBe(true);
    expect(JSON.parse(written.stdin!)).toEqual({
      "log-driver": "journald",
      "insecure-registries": ["old:5000", "192.168.1.11:5000"],
    });
  });

  it("merge-json: a missing or empty file counts as {}", async () => {
    const fake = new FakeTransport("h1").on(/^cat /, { stdout: "  \n" });
    await performAction(fakeCtx(fake), { kind: "merge-json", path: "/etc/docker/daemon.json", merge: { a: [1] } });
    expect(JSON.parse(fake.writes[0]!.stdin!)).toEqual({ a: [1] });
  });

  it("merge-json: refuses invalid JSON with a clear message, touching nothing", async () => {
    const fake = new FakeTransport("h1").on(/^cat /, { stdout: '{ "log-driver": "journald", }\n' });
    const err = await performAction(fakeCtx(fake), {
      kind: "merge-json",
      path: "/etc/docker/daemon.json",
      merge: { a: [1] },
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    const e = err as ActionError;
    expect(e.command).toBe("read /etc/docker/daemon.json");
    expect(e.message).toMatch(/^exit 1: \/etc\/docker\/daemon\.json is not valid JSON \(.+\); fix it by hand first$/);
    // no backup, no write
    expect(fake.commands).toEqual(["cat /etc/docker/daemon.json 2>/dev/null || true"]);
    expect(fake.writes).toEqual([]);
  });

  // A daemon.json holding a JSON array (valid JSON, not an object) is spread into an object:
  // ["x"] becomes {"0": "x", ...}. Expected: refused like invalid JSON. (src/apply/actions.ts,
  // merge-json case: the parse result is cast to Record without checking it is a plain object.)
  it("merge-json: refuses JSON that is not an object", async () => {
    const fake = new FakeTransport("h1").on(/^cat /, { stdout: '["x"]\n' });
    await expect(
      performAction(fakeCtx(fake), { kind: "merge-json", path: "/etc/docker/daemon.json", merge: { a: [1] } }),
    ).rejects.toBeInstanceOf(ActionError);
  });

  it("restore: one command moving the copy back, or removing a file the lab created", async () => {
    const fake = new FakeTransport("h1");
    await performAction(fakeCtx(fake), { kind: "restore", path: "/etc/net/it's here" });
    const saved = `'${backupPath(LAB, "/etc/net/it's here").replace(/'/g, `'\\''`)}'`;
    const target = `'/etc/net/it'\\''s here'`;
    expect(fake.commands).toHaveLength(1);
    expect(fake.commands[0]).toContain(
      `if [ -e ${saved} ] || [ -L ${saved} ]; then mv -f ${saved} ${target}\nelif [ -e ${saved}.absent ]; then rm -f ${target};`,
    );
  });

  it("upload: reads the file relative to the lab file; one remote command copies it into a mktemp -d directory and runs the command on it", async () => {
    const dir = mkdtempSync(join(tmpdir(), "lab-upload-"));
    try {
      const tar = dockerSaveTar(dir, "image.tar");
      const fake = new FakeTransport("h1");
      await performAction(
        { ...fakeCtx(fake), labFile: join(dir, "lab.yaml") },
        { kind: "upload", from: "image.tar", to: 'docker load -i "$upload"' },
      );
      expect(fake.writes).toEqual([]);
      expect(fake.calls).toEqual([
        { kind: "exec", command: uploadScript('docker load -i "$upload"'), stdin: String(tar), timeoutMs: 4321 },
      ]);
      expect(fake.calls[0]!.command).toMatch(/^umask 077\ndir=\$\(mktemp -d\) \|\| exit 1\n/);
      expect(fake.calls[0]!.command).not.toContain("/tmp");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a failing command throws ActionError with the exit code and the last three stderr lines", async () => {
    const fake = new FakeTransport("h1").failOn(/docker network create/, {
      code: 125,
      stderr: "one\ntwo\nthree\nfour\nfive\n\n",
    });
    const err = await performAction(fakeCtx(fake), { kind: "run", command: "docker network create x" }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ActionError);
    const e = err as ActionError;
    expect(e.command).toBe("docker network create x");
    expect(e.message).toBe("exit 125: three / four / five");
    expect(e.result.code).toBe(125);
  });

  it("ActionError says timed out, killed by a signal, or that stderr was empty", () => {
    expect(new ActionError("c", { code: null, stderr: "", timedOut: true }).message).toBe(
      "timed out: (no output on stderr)",
    );
    expect(new ActionError("c", { code: null, signal: "KILL", stderr: "x", timedOut: false }).message).toBe(
      "killed by KILL: x",
    );
    expect(new ActionError("c", { code: 3, stderr: " \n", timedOut: false }).message).toBe(
      "exit 3: (no output on stderr)",
    );
  });

  it("a transport that throws (connection lost) propagates the error as is", async () => {
    const fake = new FakeTransport("h1").throwOn(/./, new Error("Socket closed"));
    await expect(performAction(fakeCtx(fake), { kind: "run", command: "true" })).rejects.toThrow("Socket closed");
  });
});

/**
 * The backup-once and restore snippets, run for REAL with sh on temp paths. The snippets keep
 * backups under /var/lib/lab (state.ts, a constant): LocalTransport rewrites that one prefix
 * to a temp directory so this machine's /var/lib/lab is never touched; the rest of each
 * command runs exactly as generated.
 */
describe("backup and restore, run with sh", () => {
  let root: string;
  let t: LocalTransport;
  let ctx: ActionContext;
  const local = (p: string) => join(root, p);
  const backupOf = (p: string) => join(root, "state", backupPath(LAB, p).slice(stateDir.length));

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "lab-actions-"));
    t = new LocalTransport("local", root, [[stateDir, join(root, "state")]]);
    ctx = { transport: t, lab: LAB, labFile: join(root, "lab.yaml"), timeoutMs: 10_000 };
    mkdirSync(local("etc"), { recursive: true });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("a replaced file comes back byte-identical (content and mode), after two writes", async () => {
    const path = local("etc/replaced.conf");
    // Bytes that are not UTF-8, a NUL, and no final newline.
    const original = Buffer.from([0x23, 0x20, 0xc3, 0xa9, 0x00, 0xff, 0x0a, 0x6e, 0x6f, 0x2d, 0x6e, 0x6c]);
    writeFileSync(path, original);
    chmodSync(path, 0o640);

    await performAction(ctx, { kind: "write", path, content: "first lab version\n", mode: "0644" });
    expect(readFileSync(path, "utf8")).toBe("first lab version\n");
    expect(statSync(path).mode & 0o777).toBe(0o644);
    expect(readFileSync(backupOf(path))).toEqual(original);

    // A second apply must not overwrite the backup with the lab's own version.
    await performAction(ctx, { kind: "write", path, content: "second lab version\n", mode: "0644" });
    expect(readFileSync(backupOf(path))).toEqual(original);

    await performAction(ctx, { kind: "restore", path });
    expect(readFileSync(path)).toEqual(original);
    expect(statSync(path).mode & 0o777).toBe(0o640);
    expect(existsSync(backupOf(path))).toBe(false);
    // The commands really named /var/lib/lab (the rewrite was needed and applied).
    expect(t.commands.some((c) => c.includes(`${stateDir}/${LAB}.backup/`))).toBe(true);
  });

  it("a file the lab created is removed by restore, marker and all", async () => {
    const path = local("etc/created.conf");
    await performAction(ctx, { kind: "write", path, content: "made by lab\n", mode: "0644" });
    expect(existsSync(path)).toBe(true);
    expect(existsSync(`${backupOf(path)}.absent`)).toBe(true);
    expect(existsSync(backupOf(path))).toBe(false);
    await performAction(ctx, { kind: "write", path, content: "changed by lab\n", mode: "0644" });
    expect(existsSync(backupOf(path))).toBe(false); // still "absent", not a copy of the lab's file
    await performAction(ctx, { kind: "restore", path });
    expect(existsSync(path)).toBe(false);
    expect(existsSync(`${backupOf(path)}.absent`)).toBe(false);
  });

  it("directories a write created are removed by restore; ones that were there stay", async () => {
    const path = local("etc/sysconfig/network-scripts/ifcfg-ens33.10");
    await performAction(ctx, { kind: "write", path, content: "DEVICE=ens33.10\n", mode: "0644" });
    expect(existsSync(path)).toBe(true);
    await performAction(ctx, { kind: "restore", path });
    expect(existsSync(local("etc/sysconfig"))).toBe(false);
    expect(existsSync(local("etc"))).toBe(true);
  });

  it("merge-json on a real file, then restore, gives back the original bytes", async () => {
    const path = local("etc/daemon.json");
    const original = '{"log-driver":"journald","insecure-registries":["old:5000"]}';
    writeFileSync(path, original);
    await performAction(ctx, { kind: "merge-json", path, merge: { "insecure-registries": ["new:5000"] } });
    expect(JSON.parse(readFileSync(path, "utf8"))).toEqual({
      "log-driver": "journald",
      "insecure-registries": ["old:5000", "new:5000"],
    });
    await performAction(ctx, { kind: "restore", path });
    expect(readFileSync(path, "utf8")).toBe(original);
  });

  it("restore with no backup at all changes nothing and succeeds", async () => {
    const path = local("etc/untouched.conf");
    writeFileSync(path, "mine\n");
    await performAction(ctx, { kind: "restore", path });
    expect(readFileSync(path, "utf8")).toBe("mine\n");
  });

  // The write replaces the link (atomic rename), never its target; restore puts the link back.
  it("a replaced symlink comes back as a symlink, its target untouched", async () => {
    const target = local("etc/real-target.conf");
    const path = local("etc/linked.conf");
    writeFileSync(target, "target content\n");
    symlinkSync(target, path);
    await performAction(ctx, { kind: "write", path, content: "lab\n", mode: "0644" });
    expect(lstatSync(path).isSymbolicLink()).toBe(false);
    expect(readFileSync(target, "utf8")).toBe("target content\n");
    await performAction(ctx, { kind: "restore", path });
    expect(lstatSync(path).isSymbolicLink()).toBe(true);
    expect(readlinkSync(path)).toBe(target);
    expect(readFileSync(path, "utf8")).toBe("target content\n");
  });

  it("a dangling symlink is kept and put back too", async () => {
    const path = local("etc/dangling.conf");
    symlinkSync("does-not-exist.conf", path);
    await performAction(ctx, { kind: "write", path, content: "lab\n", mode: "0644" });
    expect(readFileSync(path, "utf8")).toBe("lab\n");
    await performAction(ctx, { kind: "restore", path });
    expect(readlinkSync(path)).toBe("does-not-exist.conf");
  });
});

/** A tar that looks like `docker save` output (a manifest.json, and a layer of the given bytes); returns its bytes. */
function dockerSaveTar(dir: string, name: string, layer: Buffer = Buffer.from("layer")): Buffer {
  const src = mkdtempSync(join(tmpdir(), "lab-tar-"));
  writeFileSync(join(src, "manifest.json"), "[]\n");
  writeFileSync(join(src, "layer.tar"), layer);
  execFileSync("tar", ["-cf", join(dir, name), "-C", src, "manifest.json", "layer.tar"]);
  rmSync(src, { recursive: true, force: true });
  return readFileSync(join(dir, name));
}

describe("upload refuses what must not leave this machine, whatever the plan says", () => {
  it("a file outside the lab file's directory, or one that is not a docker save archive: nothing is sent", async () => {
    const home = mkdtempSync(join(tmpdir(), "lab-upload-refuse-"));
    try {
      const labDir = join(home, "lab");
      mkdirSync(labDir);
      writeFileSync(join(home, "id_ed25519"), "PRIVATE KEY");
      writeFileSync(join(labDir, "notes.txt"), "not an image");
      const fake = new FakeTransport("h1");
      const ctx = { ...fakeCtx(fake), labFile: join(labDir, "lab.yaml") };
      await expect(performAction(ctx, { kind: "upload", from: "../id_ed25519", to: "cat" })).rejects.toThrow(
        /upload refused: .*outside the lab file's directory/,
      );
      await expect(performAction(ctx, { kind: "upload", from: join(home, "id_ed25519"), to: "cat" })).rejects.toThrow(
        /outside the lab file's directory/,
      );
      await expect(performAction(ctx, { kind: "upload", from: "notes.txt", to: "cat" })).rejects.toThrow(
        /not a `docker save` archive/,
      );
      // A FIFO (or a device) would block the reader or never end: refused at once.
      execFileSync("mkfifo", [join(labDir, "image.tar")]);
      await expect(performAction(ctx, { kind: "upload", from: "image.tar", to: "cat" })).rejects.toThrow(
        "upload refused: image.tar is not a `docker save` archive",
      );
      expect(fake.calls).toEqual([]);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});

/** The upload command, run for REAL with sh: a private temporary directory, removed on every way out. */
describe("upload, run with sh", () => {
  let root: string;
  let ctx: ActionContext;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), "lab-upload-sh-"));
    ctx = {
      transport: new LocalTransport("local", root),
      lab: LAB,
      labFile: join(root, "lab.yaml"),
      timeoutMs: 10_000,
    };
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it("the command gets the exact bytes in a new 0700 directory as a 0600 file; both are gone afterwards", async () => {
    const bytes = dockerSaveTar(root, "image.tar", Buffer.from([0x00, 0xff, 0x0a, 0x27, 0x24, 0x28, 0x0a]));
    await performAction(ctx, {
      kind: "upload",
      from: "image.tar",
      to: `cp "$upload" copy && stat -c %a "$(dirname "$upload")" "$upload" > modes && printf %s "$upload" > where`,
    });
    expect(readFileSync(join(root, "copy"))).toEqual(bytes);
    expect(readFileSync(join(root, "modes"), "utf8").split("\n").filter(Boolean)).toEqual(["700", "600"]);
    const where = readFileSync(join(root, "where"), "utf8");
    expect(where).toMatch(/^\/.+\/upload$/);
    expect(existsSync(where)).toBe(false);
    expect(existsSync(join(where, ".."))).toBe(false);
  });

  it("a failing command fails the action and still removes the directory", async () => {
    dockerSaveTar(root, "bad.tar");
    const err = await performAction(ctx, {
      kind: "upload",
      from: "bad.tar",
      to: `printf %s "$upload" > where2; exit 3`,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ActionError);
    expect((err as ActionError).result.code).toBe(3);
    expect(existsSync(join(readFileSync(join(root, "where2"), "utf8"), ".."))).toBe(false);
  });
});
