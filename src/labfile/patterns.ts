/**
 * Safe patterns for every value that can reach a shell on a host. Values are also quoted
 * when rendered (see plan/shell.ts); the patterns are the first line of defence and make
 * bad input fail at validation, with a position, instead of on a host.
 */
export interface SafePattern {
  regex: RegExp;
  /** What a user should write instead, for the error message. */
  describe: string;
}

const p = (regex: RegExp, describe: string): SafePattern => ({ regex, describe });

export const patterns = {
  labName: p(
    /^[a-z][a-z0-9-]{0,23}$/,
    "a lowercase name of at most 24 characters: letters, digits and '-', starting with a letter",
  ),
  labId: p(
    /^[a-z][a-z0-9-]{7,39}$/,
    "8 to 40 lowercase letters, digits and '-', starting with a letter, such as k3f9a0c1e7b2 (lab up writes one when the file has none)",
  ),
  hostName: p(
    /^[a-zA-Z][a-zA-Z0-9-]{0,31}$/,
    "a host name of at most 32 characters: letters, digits and '-', starting with a letter",
  ),
  objectName: p(
    /^[a-zA-Z][a-zA-Z0-9_.-]{0,62}$/,
    "a name of letters, digits, '_', '.' and '-', starting with a letter (at most 63 characters)",
  ),
  namespaceName: p(
    /^[a-zA-Z][a-zA-Z0-9_.-]{0,31}$/,
    "a namespace name of letters, digits, '_', '.' and '-', starting with a letter (at most 32 characters)",
  ),
  interfaceName: p(
    /^[a-zA-Z][a-zA-Z0-9_.-]*$/,
    "an interface name of letters, digits, '_', '.' and '-', starting with a letter",
  ),
  moduleName: p(/^[a-zA-Z0-9_-]{1,56}$/, "a kernel module name such as 8021q or macvlan"),
  envVar: p(/^[A-Za-z_][A-Za-z0-9_]*$/, "an environment variable name such as LAB_PASSWORD"),
  user: p(/^[a-z_][a-z0-9_-]{0,31}$/, "a Unix user name such as root or student"),
  sshHost: p(/^(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?|[0-9a-fA-F:]+)$/, "a host name or IP address"),
  jump: p(
    /^(?:[a-z_][a-z0-9_-]{0,31}@)?(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]{0,251}[a-zA-Z0-9])?|\[[0-9a-fA-F:]+\])(?::[0-9]{1,5})?$/,
    "a lab host name or [user@]host[:port]",
  ),
  localPath: p(
    /^[A-Za-z0-9_./~+@-][A-Za-z0-9_./~+@ -]*$/,
    "a file path of letters, digits and _ . / ~ + @ - (no quotes, '$' or backquotes)",
  ),
  imageRef: p(
    /^(?:[a-zA-Z0-9][a-zA-Z0-9.-]*(?::[0-9]{1,5})?\/)?[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/,
    "an image reference such as busybox:latest or library/alpine:3.20",
  ),
  auxName: p(/^[a-zA-Z][a-zA-Z0-9_.-]{0,62}$/, "a name of letters, digits, '_', '.' and '-', starting with a letter"),
} as const;

/** Kernel limit on interface names (IFNAMSIZ is 16 including the terminating NUL). */
export const MAX_INTERFACE_NAME = 15;

/**
 * Printable text for container commands: quoted before it reaches a shell. Tabs and newlines
 * (a multi-line `sh -c` script) are allowed; other control characters (C0, DEL, C1) and the
 * bidirectional controls that make a handout read differently from what it runs are not.
 */
export const commandArg = /^[^\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]*$/;
