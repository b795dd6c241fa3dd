import { chownSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { newLabId, withLabId, writeLabId } from "../../src/labfile/lab-id.js";
import { validateText } from "../../src/labfile/validate.js";
import { scratchDir } from "../helpers/scratch-dir.js";

/** The id that tells two labs with one name apart: written once into the lab file, layout kept. */
describe("lab id", () => {
  const lab = "# my lab\nname: demo   # the prefix\ndescription: two hosts\nhosts:\n  a: { address: 10.0.0.1 }\n";

  it("is added on the line after name:, every comment and line kept, and the file stays valid with that id", () => {
    const text = withLabId(lab, "k123456789ab")!;
    expect(text).toBe(
      "# my lab\nname: demo   # the prefix\nid: k123456789ab\ndescription: two hosts\nhosts:\n  a: { address: 10.0.0.1 }\n",
    );
    expect(validateText("lab.yaml", text).lab?.id).toBe("k123456789ab");
  });

  it("keeps CRLF line ends, and works when name: is the last line without a newline", () => {
    expect(withLabId("name: demo\r\nhosts:\r\n  a: { address: 10.0.0.1 }\r\n", "k123456789ab")).toBe(
      "name: demo\r\nid: k123456789ab\r\nhosts:\r\n  a: { address: 10.0.0.1 }\r\n",
    );
    expect(withLabId("hosts:\n  a: { address: 10.0.0.1 }\nname: demo", "k123456789ab")).toBe(
      "hosts:\n  a: { address: 10.0.0.1 }\nname: demo\nid: k123456789ab",
    );
  });

  it("leaves files it cannot edit line by line to the user: a flow mapping, a multi-line name, an id already there", () => {
    expect(withLabId("{ name: demo, hosts: { a: { address: 10.0.0.1 } } }\n", "k123456789ab")).toBeUndefined();
    expect(withLabId('name: "de\n  mo"\nhosts: {}\n', "k123456789ab")).toBeUndefined();
    expect(withLabId("name: demo\nid: abcdefgh\n", "k123456789ab")).toBeUndefined();
  });

  it("fresh ids are distinct and valid lab ids; anything else is not an id", () => {
    const ids = new Set(Array.from({ length: 50 }, () => newLabId()));
    expect(ids.size).toBe(50);
    for (const id of ids)
      expect(validateText("l.yaml", `name: demo\nid: ${id}\nhosts:\n  a: { address: 10.0.0.1 }\n`).ok).toBe(true);
    for (const bad of ["short", "UPPER-CASE-ID", "has space 123", "'$(id)'", "-leading-dash"]) {
      const r = validateText("l.yaml", `name: demo\nid: ${bad}\nhosts:\n  a: { address: 10.0.0.1 }\n`);
      expect(r.issues.map((i) => `${i.line}:${i.col} ${i.message}`)).toEqual([
        expect.stringMatching(/^2:5 .*expected 8 to 40 lowercase letters/),
      ]);
    }
  });

  it("writeLabId writes into the file in place; it refuses a file that changed since it was validated, and a file it cannot edit line by line (telling the line to add)", async () => {
    const dir = scratchDir("lab-id");
    const file = join(dir, "lab.yaml");
    writeFileSync(file, lab, { mode: 0o640 });
    const root = process.getuid?.() === 0;
    if (root) chownSync(file, 1234, 1234);
    const id = await writeLabId(file, lab);
    expect(readFileSync(file, "utf8")).toBe(withLabId(lab, id));
    // Replaced whole (never half-written), keeping mode and owner; nothing else left in the directory.
    expect(statSync(file).mode).toBe(0o100640);
    if (root) expect(statSync(file)).toMatchObject({ uid: 1234, gid: 1234 });
    expect(readdirSync(dir)).toEqual(["lab.yaml"]);

    // Not UTF-8 (a Latin-1 comment): never rewritten, since its other bytes would be replaced.
    const latin1 = Buffer.concat([Buffer.from("# caf"), Buffer.from([0xe9]), Buffer.from("\n" + lab)]);
    writeFileSync(file, latin1);
    await expect(writeLabId(file, latin1.toString("utf8"))).rejects.toThrow(
      /has no id and is not UTF-8 text, so lab does not rewrite it: add the line `id: [a-z][a-z0-9]{11}` under `name:`/,
    );
    expect(readFileSync(file).equals(latin1)).toBe(true);

    writeFileSync(file, lab);
    await expect(writeLabId(file, lab.replace("demo", "edited"))).rejects.toThrow(
      `${file} changed while lab read it; run the command again`,
    );
    expect(readFileSync(file, "utf8")).toBe(lab);

    writeFileSync(file, "{ name: demo, hosts: { a: { address: 10.0.0.1 } } }\n");
    await expect(writeLabId(file, "{ name: demo, hosts: { a: { address: 10.0.0.1 } } }\n")).rejects.toThrow(
      /has no id: add the line `id: [a-z][a-z0-9]{11}` under `name:`/,
    );
  });
});
