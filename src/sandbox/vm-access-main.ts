import { isIPv4 } from "node:net";
import { parseArgs } from "node:util";
import { proxyCommand, writeAccessFiles } from "./access-files.js";

/**
 * The VM tier's inventory.json and ssh_config, written by the same function as the sandbox's
 * (scripts/vm/up.sh runs this once every VM answers):
 *
 *   tsx src/sandbox/vm-access-main.ts --netns NS --identity KEY --known-hosts FILE \
 *     --inventory FILE --ssh-config FILE NAME=IP [NAME=IP ...]
 *
 * Each VM is reached at IP:22 from inside namespace NS; known_hosts lists it as "IP,NAME".
 */
function main(argv: string[]): void {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      netns: { type: "string" },
      identity: { type: "string" },
      "known-hosts": { type: "string" },
      inventory: { type: "string" },
      "ssh-config": { type: "string" },
    },
  });
  const { netns, identity, inventory, "known-hosts": knownHosts, "ssh-config": sshConfig } = values;
  if (!netns || !identity || !knownHosts || !inventory || !sshConfig || positionals.length === 0)
    throw new Error(
      "usage: --netns NS --identity KEY --known-hosts FILE --inventory FILE --ssh-config FILE NAME=IP...",
    );
  if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(netns)) throw new Error(`bad namespace name ${JSON.stringify(netns)}`);
  const hosts = positionals.map((pair) => {
    const [name = "", ip = ""] = pair.split("=");
    if (!/^[a-z][a-z0-9-]{0,30}$/.test(name) || !isIPv4(ip))
      throw new Error(`want NAME=IP, not ${JSON.stringify(pair)}`);
    return { name, sshHost: ip, proxyCommand: proxyCommand(netns, ip) };
  });
  void writeAccessFiles({ identityFile: identity, knownHostsFile: knownHosts, hosts }, { inventory, sshConfig }).catch(
    (err: unknown) => {
      console.error(`vm-access: ${(err as Error).message}`);
      process.exitCode = 1;
    },
  );
}

try {
  main(process.argv.slice(2));
} catch (err) {
  console.error(`vm-access: ${(err as Error).message}`);
  process.exitCode = 2;
}
