import type { Lab } from "../labfile/model.js";
import { labIdOf } from "../plan/labels.js";
import { quote } from "../plan/shell.js";
import { ownerOf, type DockerState } from "./docker-state.js";

/**
 * Collisions, seen by each host's probe before anything changes on any host: Docker objects of
 * the lab's names that something else owns (lab would start someone's container, or fail
 * half-way on "name already in use"), read from Docker's state; and the registry port bound by
 * another program while the lab's registry is not running, from `ss`.
 */

/** Prints `port_owner=<ss line>` on the registry host (empty where nothing listens). */
export function portOwnerScript(lab: Lab, host: string): string {
  if (lab.registry?.host !== host) return "";
  return `echo "port_owner=$(ss -Hltnp ${quote(`sport = :${lab.registry.port}`)} 2>/dev/null | head -1 | tr -s ' ' | cut -c1-200)"`;
}

/** The port_owner line's value in a script's output, if any. */
export const portOwnerLine = (output: string): string | undefined => /(?:^|\n)port_owner=([^\n]*)/.exec(output)?.[1];

/** Who holds a listening port, from an `ss -ltnp` line: "socat (pid 123)", or "another program". */
function portOwner(line: string): string {
  const m = /users:\(\("([^"]+)",pid=(\d+)/.exec(line);
  return m ? `${m[1]} (pid ${m[2]})` : "another program";
}

export function collisions(lab: Lab, host: string, docker: DockerState, portLine: string | undefined): string[] {
  const id = { name: lab.name, id: labIdOf(lab) };
  const found: string[] = [];
  const check = (object: "container" | "network", name: string) => {
    const owner = ownerOf(docker, object, name, id);
    const what = object === "container" ? "a container" : "a Docker network";
    if (owner === "foreign")
      found.push(
        `${what} named ${name} is there and not this lab's (no label lab.id=${id.id}): rename the lab's, or remove that one`,
      );
    if (owner === "same name")
      found.push(
        `${name} belongs to another lab also named ${lab.name} (its lab.id is not ${id.id}): take that lab down with its own lab file, or give this lab another name`,
      );
  };
  const containers = [
    ...lab.containers.filter((c) => c.host === host).map((c) => c.name),
    ...(lab.registry?.host === host ? [lab.registry.containerName] : []),
  ];
  for (const name of containers) check("container", name);
  for (const network of lab.networks.filter((n) => n.hosts.includes(host))) check("network", network.name);
  // While the lab's own registry runs, the port is its own.
  if (lab.registry?.host === host && portLine && !docker.containers.get(lab.registry.containerName)?.running)
    found.push(
      `the registry port ${lab.registry.port} is already in use by ${portOwner(portLine)}: set registry.port, or stop it`,
    );
  return found;
}
