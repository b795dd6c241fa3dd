import { createHash } from "node:crypto";

/**
 * Names a generated lab gives a student's objects: short, within each kind's limit, and told
 * apart by a hash where a cut would make two students' names collide.
 */

const MAX_SLUG = 40;

const hash = (text: string, length: number): string => createHash("sha256").update(text).digest("hex").slice(0, length);

/** "Zoë O'Brien" → "zoe-obrien": lowercase letters, digits and '-', starting with a letter. */
export function slugOf(student: string): string {
  const ascii = student
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’]/g, "")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const slug = /^[a-z]/.test(ascii) ? ascii : `s-${ascii}`.replace(/-+$/, "");
  // A name of no Latin letter at all still gets a stable slug of its own.
  if (slug === "s") return `s-${hash(student, 6)}`;
  // A file name, so bounded (a name that NFKD expands a lot included).
  return slug.length <= MAX_SLUG ? slug : `${slug.slice(0, MAX_SLUG - 7).replace(/-+$/, "")}-${hash(student, 6)}`;
}

/**
 * `<base>-<tag>` within `max` characters; where that is too long, the tag is cut and a short
 * hash of the whole tag added, so two long tags that share a beginning still differ.
 */
export function fitName(base: string, tag: string, max: number): string {
  const whole = `${base}-${tag}`;
  if (whole.length <= max) return whole;
  const h = hash(tag, 4);
  const room = max - base.length - 3 - h.length;
  if (room >= 1) return `${base}-${tag.slice(0, room).replace(/-+$/, "")}-${h}`;
  // The base itself is too long: keep its start and the hash of both.
  return `${base.slice(0, Math.max(1, max - h.length - 1))}-${hash(whole, 4)}`.slice(0, max);
}

/** A lab id for the student's lab: stable for the same lab and student, so regenerating keeps it. */
export function studentLabId(labKey: string, slug: string): string {
  return `c${hash(`${labKey}\n${slug}`, 15)}`.replace(/[^a-z0-9]/g, "0");
}
