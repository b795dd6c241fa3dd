import type { Lab } from "../labfile/model.js";
import { sh } from "./shell.js";

/**
 * The labels on every Docker object a lab makes: `lab.name` for people (`docker ps --filter
 * label=lab.name=NAME`), `lab.id` for ownership. Two labs with one name have different ids,
 * so neither removes, starts or adopts the other's objects.
 */
export const NAME_LABEL = "lab.name";
export const ID_LABEL = "lab.id";

/** Shown by `lab plan` for a lab file that has no id yet; the first `lab up` writes one. */
export const UNASSIGNED_ID = "<id written by the first lab up>";

export const labIdOf = (lab: Pick<Lab, "id">): string => lab.id ?? UNASSIGNED_ID;

/** `--label` arguments for docker run / docker network create. */
export const labelArgs = (lab: Pick<Lab, "name" | "id">): string[] => [
  "--label",
  `${NAME_LABEL}=${lab.name}`,
  "--label",
  `${ID_LABEL}=${labIdOf(lab)}`,
];

/** A Go template printing one label of a container or network. */
export function labelTemplate(object: "container" | "network", label: string): string {
  return object === "container" ? `{{index .Config.Labels "${label}"}}` : `{{index .Labels "${label}"}}`;
}

/** Shell test: the Docker object exists and carries this lab id. */
export function ownedBy(object: "container" | "network", name: string, id: string): string {
  return `[ "$(docker ${object} inspect -f ${sh(labelTemplate(object, ID_LABEL))} ${sh(name)} 2>/dev/null)" = ${sh(id)} ]`;
}

/** `docker … ls --filter` value for the lab's objects (by name for a file that has no id yet). */
export const labFilter = (lab: Pick<Lab, "name" | "id">): string =>
  lab.id ? `label=${ID_LABEL}=${lab.id}` : `label=${NAME_LABEL}=${lab.name}`;
