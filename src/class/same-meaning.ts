import { sameJsonValue } from "../apply/actions.js";
/**
 * Is a file on a student's host what the plan writes, by meaning rather than by bytes? A
 * student types the file from the handout: keys in another order, values quoted or not,
 * comments and blank lines are the same file. The host's text is only parsed, never run.
 */

/** `KEY=value` lines (ifcfg, sourced by a shell): comments, blank lines and quotes do not count. */
export function shellVariables(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith("#")) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) {
      vars.set(`(line) ${line}`, "");
      continue;
    }
    vars.set(m[1]!, unquote(m[2]!.replace(/\s+#.*$/, "").trim()));
  }
  return vars;
}

function unquote(value: string): string {
  if (
    value.length >= 2 &&
    ((value.startsWith('"') && value.endsWith('"')) || (value.startsWith("'") && value.endsWith("'")))
  )
    return value.slice(1, -1);
  return value;
}

/** Lines that mean something (ifupdown stanzas, modules-load.d): comments and spacing do not count. */
function meaningfulLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.replace(/#.*$/, "").trim().replace(/\s+/g, " "))
    .filter(Boolean);
}

/** Why `actual` does not mean `expected`, or undefined when it does. */
export function differsBy(path: string, expected: string, actual: string): string | undefined {
  if (/\/ifcfg-[^/]+$/.test(path) || /\/route6?-[^/]+$/.test(path)) {
    const want = shellVariables(expected);
    const has = shellVariables(actual);
    for (const [key, value] of want) {
      if (!has.has(key)) return key.startsWith("(line)") ? `no line ${key.slice(7)}` : `no ${key}`;
      if (has.get(key) !== value) return `${key} is ${JSON.stringify(has.get(key))}, not ${JSON.stringify(value)}`;
    }
    for (const key of has.keys())
      if (!want.has(key)) return `${key.startsWith("(line)") ? key.slice(7) : key} is not in the plan`;
    return undefined;
  }
  if (path.startsWith("/etc/modules-load.d/")) {
    const want = new Set(meaningfulLines(expected));
    const has = new Set(meaningfulLines(actual));
    const missing = [...want].filter((m) => !has.has(m));
    return missing.length > 0 ? `no ${missing.join(", ")}` : undefined;
  }
  if (path.endsWith(".json")) {
    try {
      return sameJsonValue(JSON.parse(expected), JSON.parse(actual)) ? undefined : "other JSON content";
    } catch {
      return "not JSON";
    }
  }
  // ifupdown and anything else: the same lines, whatever the spacing and comments.
  const want = meaningfulLines(expected);
  const has = meaningfulLines(actual);
  const missing = want.find((l) => !has.includes(l));
  if (missing) return `no line "${missing}"`;
  const extra = has.find((l) => !want.includes(l));
  return extra ? `a line "${extra}" that is not in the plan` : undefined;
}

export { sameJsonValue as sameJson };
