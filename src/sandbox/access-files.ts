import { rename, writeFile } from "node:fs/promises";
import type { Inventory } from "../apply/inventory.js";
import { LabError } from "../errors.js";
import { quote as shellQuote } from "../plan/shell.js";

/**
 * How people and `lab` reach hosts made on this machine (the sandbox's namespaces and the VM
 * tier's QEMU guests alike): root with one key, strict known_hosts, and a proxy command that
 * enters the namespace the host's sshd is reachable from. Both write their inventory.json
 * (for `lab --inventory`) and ssh_config (for `ssh -F`) here, from the same description.
 */
export interface AccessHost {
  /** The host's name: the inventory key and the ssh_config `Host` alias. */
  name: string;
  /** The inventory's `host`, the name known_hosts lists the host's key under (ssh_config `HostName`). */
  sshHost: string;
  proxyCommand: string[];
}

export interface AccessFiles {
  identityFile: string;
  knownHostsFile: string;
  hosts: AccessHost[];
}

/** SSH to `target`:22 from inside network namespace `netns` (sandbox: the host's loopback; VMs: their bridge). */
export const proxyCommand = (netns: string, target = "127.0.0.1"): string[] => [
  "/usr/bin/nsenter",
  `--net=/run/netns/${netns}`,
  "/usr/bin/socat",
  "STDIO",
  `TCP:${target}:22`,
];

export function accessInventory(access: AccessFiles): Inventory {
  return {
    known_hosts: access.knownHostsFile,
    hosts: Object.fromEntries(
      access.hosts.map((h) => [
        h.name,
        { host: h.sshHost, port: 22, user: "root", identity_file: access.identityFile, proxy_command: h.proxyCommand },
      ]),
    ),
  };
}

const hostAlias = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * One ssh_config value: double-quoted (a working directory may hold spaces) with `%` doubled
 * (ssh expands %-tokens in these keywords). A newline or a double quote cannot be written in
 * ssh_config at all, so such a value is refused rather than mangled.
 */
function configValue(what: string, value: string, quoted = true): string {
  if ((quoted ? /["\n\r\0]/ : /[\n\r\0]/).test(value))
    throw new LabError(`ssh_config: ${what} ${JSON.stringify(value)} cannot be written`, "access-file");
  const escaped = value.replace(/%/g, "%%");
  return quoted ? `"${escaped}"` : escaped;
}

/** `ssh -F FILE NAME` opens a shell on host NAME. */
export function sshConfigText(access: AccessFiles): string {
  return access.hosts
    .map((h) => {
      if (!hostAlias.test(h.name) || !hostAlias.test(h.sshHost))
        throw new LabError(`ssh_config: host ${JSON.stringify(h.name)} cannot be written`, "access-file");
      return [
        `Host ${h.name}`,
        ...(h.sshHost !== h.name ? [`  HostName ${h.sshHost}`] : []),
        "  User root",
        `  IdentityFile ${configValue("identity file", access.identityFile)}`,
        "  IdentitiesOnly yes",
        `  UserKnownHostsFile ${configValue("known_hosts file", access.knownHostsFile)}`,
        "  GlobalKnownHostsFile /dev/null",
        "  StrictHostKeyChecking yes",
        // The rest of the line goes to `sh -c`: shell-quoted words, then %-escaped for ssh.
        `  ProxyCommand ${configValue("proxy command", h.proxyCommand.map(shellQuote).join(" "), false)}`,
      ].join("\n");
    })
    .join("\n\n")
    .concat("\n");
}

/** Write inventory.json and ssh_config (each whole or not at all: a temporary file renamed). */
export async function writeAccessFiles(
  access: AccessFiles,
  files: { inventory: string; sshConfig: string },
): Promise<void> {
  const inventory = JSON.stringify(accessInventory(access), null, 2) + "\n";
  const sshConfig = sshConfigText(access);
  for (const [file, text] of [
    [files.inventory, inventory],
    [files.sshConfig, sshConfig],
  ] as const) {
    await writeFile(`${file}.tmp`, text, { mode: 0o600 });
    await rename(`${file}.tmp`, file);
  }
}
