import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { LabError } from "../errors.js";
import { patterns } from "../labfile/patterns.js";
import { studentName } from "./roster.js";

/**
 * DIR/class.json: which lab file is whose, written by `lab class generate`. The class
 * commands read it, and only it: a stale file in DIR is no student, and a folder of lab files
 * that is not a class (labs/) is never built as one.
 */
export const MANIFEST = "class.json";

// A handout directory is named after it: never "." or "..", never a path.
export const STUDENT_FILE = /^[A-Za-z0-9][A-Za-z0-9_.-]*\.ya?ml$/;
const studentFile = z.string().regex(STUDENT_FILE, "a lab file name inside the class directory");

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

export async function readClass(dir: string): Promise<{ members: ClassMember[]; manifest: ClassManifest }> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST), "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw classDirError(
      dir,
      code === "ENOENT" || code === "ENOTDIR"
        ? `not a class directory (no ${MANIFEST}): make one with lab class generate LAB --roster CSV --out ${dir}`
        : (err as Error).message,
    );
  }
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

const classDirError = (dir: string, message: string) => new LabError(`${dir}: ${message}`, "usage");
