import { readdir, readFile } from "node:fs/promises";
import { basename, join } from "node:path";
import { z } from "zod";
import { LabError } from "../errors.js";
import { patterns } from "../labfile/patterns.js";
import { studentName } from "./roster.js";

/**
 * DIR/class.json: which lab file is whose, written by `lab class generate`. The class
 * commands read it (so a stale file in DIR is no student); without one, every *.yaml in DIR is
 * a student named after its file.
 */
export const MANIFEST = "class.json";

const FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/;
const studentFile = z.string().regex(FILE_NAME, "a lab file name inside the class directory");

const manifestSchema = z.strictObject({
  lab: z.string().max(4096),
  shared: z.boolean(),
  students: z
    .array(
      z.strictObject({
        // As the roster allows: printable, since it reaches terminals and reports.
        student: z.string().min(1).max(200).regex(studentName, "a student name of printable characters"),
        file: studentFile,
        lab: z.string().regex(patterns.labName.regex),
      }),
    )
    .max(1000),
});

export type ClassManifest = z.infer<typeof manifestSchema>;

export interface ClassMember {
  student: string;
  /** Path of the student's lab file. */
  file: string;
}

export async function readClass(dir: string): Promise<{ members: ClassMember[]; manifest?: ClassManifest }> {
  let text: string | undefined;
  try {
    text = await readFile(join(dir, MANIFEST), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw classDirError(dir, (err as Error).message);
  }
  if (text !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw classDirError(dir, `${MANIFEST} is not JSON (${(err as Error).message})`);
    }
    const result = manifestSchema.safeParse(parsed);
    if (!result.success) {
      const issue = result.error.issues[0]!;
      throw classDirError(dir, `${MANIFEST}: ${issue.path.join(".") || "(top)"}: ${issue.message}`);
    }
    const members = result.data.students.map((s) => ({ student: s.student, file: join(dir, s.file) }));
    return { members, manifest: result.data };
  }
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (err) {
    throw new LabError(`cannot read the class directory ${dir}: ${(err as Error).message}`, "usage");
  }
  // Only names a student file may have: a handout directory is named after it.
  const files = names.filter((n) => FILE_NAME.test(n)).sort();
  if (files.length === 0)
    throw classDirError(dir, `no ${MANIFEST} and no lab file (*.yaml): make it with lab class generate`);
  return { members: files.map((f) => ({ student: basename(f).replace(/\.ya?ml$/, ""), file: join(dir, f) })) };
}

const classDirError = (dir: string, message: string) => new LabError(`${dir}: ${message}`, "usage");
