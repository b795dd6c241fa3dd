import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { formatIssue } from "../../src/labfile/issues.js";
import { labJsonSchema } from "../../src/labfile/schema.js";
import { validateFile } from "../../src/labfile/validate.js";

/** The sample labs are valid and clean; the committed JSON Schema matches the zod schema. */
const root = fileURLToPath(new URL("../..", import.meta.url));
const labs = readdirSync(join(root, "labs"))
  .filter((f) => f.endsWith(".yaml"))
  .sort();

describe("labs/*.yaml", () => {
  it("there are sample labs", () => {
    expect(labs.length).toBeGreaterThanOrEqual(3);
  });

  for (const name of labs) {
    const file = join(root, "labs", name);

    it(`${name} validates with no error and no warning`, async () => {
      const result = await validateFile(file);
      expect(result.issues.map(formatIssue)).toEqual([]);
      expect(result.ok).toBe(true);
      expect(result.lab?.name).toBe(name.replace(/\.yaml$/, ""));
    });

    it(`${name} points editors at the JSON Schema on its first line`, () => {
      const first = readFileSync(file, "utf8").split("\n")[0];
      expect(first).toBe("# yaml-language-server: $schema=../schema/lab.schema.json");
    });
  }
});

describe("schema/lab.schema.json", () => {
  it("is up to date with src/labfile/schema.ts", () => {
    const committed = readFileSync(join(root, "schema/lab.schema.json"), "utf8");
    const current = JSON.stringify(labJsonSchema(), null, 2) + "\n";
    expect(
      committed === current,
      "schema/lab.schema.json is stale: run `npm run lab -- schema -o schema/lab.schema.json`",
    ).toBe(true);
  });
});
