import { parseIp } from "../net/cidr.js";
import { patterns } from "../labfile/patterns.js";

/**
 * A class roster: CSV with a header `student`, then one column per host of the lab holding
 * that student's address for it, and optionally `<host>_ssh` (`[user@]host[:port]`) where the
 * student's SSH target is not that address. Every value is checked here, with its line, before
 * anything is written: a bad line is `roster.csv:LINE: message`.
 */
export interface SshOverride {
  user?: string;
  host: string;
  port?: number;
}

export interface RosterStudent {
  /** As written in the roster (shown in reports). */
  name: string;
  /** The roster line it came from. */
  line: number;
  /** Lab host → the student's address for it. */
  addresses: Record<string, string>;
  ssh: Record<string, SshOverride>;
}

export class RosterError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    message: string,
  ) {
    super(`${file}:${line}: ${message}`);
  }
}

/** Most students a roster may list (a class, not a data set). */
const MAX_STUDENTS = 1000;
const MAX_FIELD = 200;

/** RFC 4180 records with the line each starts on; a quoted field may hold commas and quotes ("" for "). */
export function csvRecords(file: string, text: string): { line: number; fields: string[] }[] {
  const records: { line: number; fields: string[] }[] = [];
  let line = 1;
  let i = text.charCodeAt(0) === 0xfeff ? 1 : 0; // a spreadsheet's byte order mark
  while (i < text.length) {
    const start = line;
    const fields: string[] = [];
    for (;;) {
      let value = "";
      if (text[i] === '"') {
        i++;
        for (;;) {
          if (i >= text.length) throw new RosterError(file, start, "a quoted field is not closed");
          if (text[i] === '"') {
            if (text[i + 1] === '"') {
              value += '"';
              i += 2;
              continue;
            }
            i++;
            break;
          }
          if (text[i] === "\n") line++;
          value += text[i++];
        }
        if (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r")
          throw new RosterError(file, line, 'text after a closing quote (write a quote inside quotes as "")');
      } else {
        while (i < text.length && text[i] !== "," && text[i] !== "\n" && text[i] !== "\r") value += text[i++];
        if (value.includes('"'))
          throw new RosterError(file, line, 'a quote inside an unquoted field (quote the whole field: "…")');
      }
      fields.push(value);
      if (text[i] === ",") {
        i++;
        continue;
      }
      if (text[i] === "\r") {
        i++;
        // A lone CR ends a line too (old spreadsheets write those).
        if (text[i] !== "\n") line++;
      }
      if (text[i] === "\n") {
        i++;
        line++;
      }
      break;
    }
    // Blank lines separate nothing: skip them.
    if (!(fields.length === 1 && fields[0]!.trim() === "")) records.push({ line: start, fields });
  }
  return records;
}

/** `[user@]host[:port]`, IPv6 in brackets. */
export function parseSshTarget(text: string): SshOverride | string {
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:@[\]]+)(?::([0-9]{1,5}))?$/.exec(text);
  if (!m) return `${JSON.stringify(text)} is not [user@]host[:port]`;
  const [, user, rawHost, rawPort] = m;
  const host = rawHost!.startsWith("[") ? rawHost!.slice(1, -1) : rawHost!;
  if (user !== undefined && !patterns.user.regex.test(user))
    return `user ${JSON.stringify(user)}: expected ${patterns.user.describe}`;
  if (!patterns.sshHost.regex.test(host)) return `host ${JSON.stringify(host)}: expected ${patterns.sshHost.describe}`;
  const port = rawPort === undefined ? undefined : Number(rawPort);
  if (port !== undefined && (port < 1 || port > 65535)) return `port ${rawPort}: expected 1 to 65535`;
  return { ...(user !== undefined && { user }), host, ...(port !== undefined && { port }) };
}

/** Printable, no control or bidirectional characters: names reach terminals, CSV, HTML and YAML comments. */
export const studentName = /^[^\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]+$/u;

export function parseRoster(file: string, text: string, labHosts: string[]): RosterStudent[] {
  const records = csvRecords(file, text);
  if (records.length === 0)
    throw new RosterError(file, 1, `empty: the first line is the header (student,${labHosts.join(",")})`);
  const [header, ...rows] = records;
  const columns = header!.fields.map((f) => f.trim());
  const at = (line: number, message: string) => new RosterError(file, line, message);
  if (columns[0] !== "student") {
    const semicolons = columns.length === 1 && columns[0]!.includes(";");
    throw at(
      header!.line,
      `the header reads ${JSON.stringify(header!.fields.join(","))}: the first column is "student", then one column per lab host (${labHosts.join(", ")})${semicolons ? "; this file is separated by ';': save it as CSV with commas" : ""}`,
    );
  }
  const seen = new Set<string>();
  for (const c of columns.slice(1)) {
    if (seen.has(c)) throw at(header!.line, `column ${JSON.stringify(c)} appears twice`);
    seen.add(c);
    const host = c.endsWith("_ssh") ? c.slice(0, -4) : c;
    if (!labHosts.includes(host))
      throw at(
        header!.line,
        `column ${JSON.stringify(c)} is not a host of the lab (its hosts: ${labHosts.join(", ")}; an SSH target column is <host>_ssh)`,
      );
  }
  const missing = labHosts.filter((h) => !columns.includes(h));
  if (missing.length > 0)
    throw at(
      header!.line,
      `no column for host ${missing.join(", ")}: each student needs an address for every lab host`,
    );
  if (rows.length === 0) throw at(header!.line + 1, "no student: one line per student follows the header");
  if (rows.length > MAX_STUDENTS) throw at(rows[MAX_STUDENTS]!.line, `more than ${MAX_STUDENTS} students`);

  const names = new Map<string, number>();
  return rows.map(({ line, fields }) => {
    if (fields.length !== columns.length)
      throw at(line, `${fields.length} fields where the header has ${columns.length} (${columns.join(",")})`);
    const value = (column: string) => fields[columns.indexOf(column)]!.trim();
    const name = value("student");
    if (!name) throw at(line, "no student name");
    if (name.length > MAX_FIELD || !studentName.test(name))
      throw at(line, `student ${JSON.stringify(name)}: at most ${MAX_FIELD} printable characters`);
    const key = name.toLowerCase();
    if (names.has(key)) throw at(line, `student ${JSON.stringify(name)} is already on line ${names.get(key)}`);
    names.set(key, line);
    const addresses: Record<string, string> = {};
    const ssh: Record<string, SshOverride> = {};
    for (const host of labHosts) {
      const address = value(host);
      if (!address) throw at(line, `${name}: no address for ${host}`);
      if (!parseIp(address)) throw at(line, `${name}: ${host} ${JSON.stringify(address)} is not an IP address`);
      addresses[host] = address;
      if (columns.includes(`${host}_ssh`) && value(`${host}_ssh`)) {
        const target = parseSshTarget(value(`${host}_ssh`));
        if (typeof target === "string") throw at(line, `${name}: ${host}_ssh ${target}`);
        ssh[host] = target;
      }
    }
    // Two hosts of one student on one address: a typo, never a lab.
    const seenHere = new Map<string, string>();
    for (const host of labHosts) {
      const ip = parseIp(addresses[host]!)!;
      const key = `${ip.version}:${ip.value}`;
      const other = seenHere.get(key);
      if (other) throw at(line, `${name}: ${other} and ${host} are both ${addresses[host]}`);
      seenHere.set(key, host);
    }
    return { name, line, addresses, ssh };
  });
}
