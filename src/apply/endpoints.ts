import { LabError } from "../errors.js";
import type { HostSpec, Lab } from "../labfile/model.js";
import type { SshEndpoint } from "../transport/ssh-open.js";
import type { Inventory } from "./inventory.js";

/** The SSH endpoint of every host: lab file settings, overridden by the inventory. */
export function resolveEndpoints(lab: Lab, inventory?: Inventory): Map<string, SshEndpoint> {
  const unknown = Object.keys(inventory?.hosts ?? {}).filter((name) => !lab.hosts.some((h) => h.name === name));
  if (unknown.length > 0)
    throw new LabError(`the inventory names hosts the lab does not have: ${unknown.join(", ")}`, "inventory");
  const endpoints = new Map<string, SshEndpoint>();
  const build = (host: HostSpec, seen: string[]): SshEndpoint => {
    const over = inventory?.hosts[host.name] ?? {};
    const endpoint: SshEndpoint = {
      name: host.name,
      host: over.host ?? host.ssh.host,
      port: over.port ?? host.ssh.port,
      user: over.user ?? host.ssh.user,
      identityFile: over.identity_file ?? host.ssh.identityFile,
      passphraseEnv: host.ssh.passphraseEnv,
      agent: host.ssh.agent,
      passwordEnv: host.ssh.passwordEnv,
      proxyCommand: over.proxy_command,
      connectTimeoutS: host.ssh.connectTimeout,
      sudo: host.sudo,
    };
    if (host.ssh.jump && !over.proxy_command)
      endpoint.jump = jumpEndpoint(lab, host, host.ssh.jump, [...seen, host.name], build);
    return endpoint;
  };
  for (const host of lab.hosts) endpoints.set(host.name, build(host, []));
  return endpoints;
}

function jumpEndpoint(
  lab: Lab,
  host: HostSpec,
  jump: string,
  seen: string[],
  build: (h: HostSpec, seen: string[]) => SshEndpoint,
): SshEndpoint {
  const labHost = lab.hosts.find((h) => h.name === jump);
  if (labHost) {
    if (seen.includes(labHost.name))
      throw new LabError(`jump hosts loop: ${[...seen, labHost.name].join(" → ")}`, "jump-loop", host.name);
    return build(labHost, seen);
  }
  const m = /^(?:([^@]+)@)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(jump)!;
  return {
    name: `${host.name}'s jump host ${jump}`,
    host: m[2]!.replace(/^\[|\]$/g, ""),
    port: m[3] ? Number(m[3]) : 22,
    user: m[1] ?? host.ssh.user,
    identityFile: host.ssh.identityFile,
    passphraseEnv: host.ssh.passphraseEnv,
    agent: host.ssh.agent,
    passwordEnv: host.ssh.passwordEnv,
    connectTimeoutS: host.ssh.connectTimeout,
    sudo: false,
  };
}
