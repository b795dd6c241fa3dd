import type { Duplex } from "node:stream";
import { ID_LABEL, NAME_LABEL } from "../plan/labels.js";
import type { DockerQuery, Step } from "../plan/types.js";
import { pipelinedGets, type HttpAnswer } from "../transport/http-pipeline.js";
import { trace } from "../transport/trace.js";

/**
 * A host's Docker state, read from the Docker Engine API in one round trip (every GET
 * pipelined on the stream of `docker system dial-stdio`, which runs through the same sudo
 * path as every other command), then compared here: no docker process per object.
 *
 * The answers come from a host lab does not trust: they are only ever compared with what
 * the lab wants, and an answer of the wrong shape reads as "absent", never as code.
 */
export const DIAL_STDIO = "docker system dial-stdio";

interface Container {
  name: string;
  image: string;
  imageId: string;
  running: boolean;
  labels: Record<string, string>;
  networks: { name: string; ips: string[] }[];
}

interface Network {
  name: string;
  driver: string;
  options: Record<string, string>;
  internal: boolean;
  subnets: string[];
  gateways: string[];
  labels: Record<string, string>;
}

interface Image {
  id: string;
  /** RepoTags and RepoDigests. */
  refs: string[];
}

export interface DockerState {
  containers: Map<string, Container>;
  networks: Map<string, Network>;
  images: Image[];
  insecureRegistries: Set<string>;
  /** Registry references the registry answered for. */
  registryTags: Set<string>;
}

export const emptyDockerState = (): DockerState => ({
  containers: new Map(),
  networks: new Map(),
  images: [],
  insecureRegistries: new Set(),
  registryTags: new Set(),
});

/** What to ask Docker: only the lists the queries need. */
export interface DockerAsk {
  containers: boolean;
  networks: boolean;
  images: boolean;
  info: boolean;
  registryTags: string[];
}

export function askFor(queries: DockerQuery[]): DockerAsk {
  const has = (kind: DockerQuery["kind"]) => queries.some((q) => q.kind === kind);
  return {
    containers: has("container-running"),
    networks: has("network"),
    // A container's image may show as an id where its tag moved: the image list tells its tags.
    images: has("image") || has("container-running"),
    info: has("insecure-registry"),
    registryTags: queries.flatMap((q) => (q.kind === "registry-tag" ? [q.ref] : [])),
  };
}

// Lab references are validated ([a-z0-9._/:@-]); the encoding keeps any other byte out of the request line.
const refPath = (ref: string) => ref.split("/").map(encodeURIComponent).join("/").replace(/%3A/gi, ":");

function paths(ask: DockerAsk): string[] {
  return [
    ...(ask.containers ? ["/containers/json?all=1"] : []),
    ...(ask.networks ? ["/networks"] : []),
    ...(ask.images ? ["/images/json"] : []),
    ...(ask.info ? ["/info"] : []),
    ...ask.registryTags.map((ref) => `/distribution/${refPath(ref)}/json`),
  ];
}

/** Ask everything at once on the dial-stdio stream. */
export async function readDockerState(
  host: string,
  stream: Duplex,
  ask: DockerAsk,
  timeoutMs: number,
): Promise<DockerState> {
  const answers = await pipelinedGets(stream, paths(ask), timeoutMs);
  trace(host, `Docker API: ${answers.length} answers`);
  return parseDockerState(ask, answers);
}

const record = (v: unknown): Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const text = (v: unknown): string => (typeof v === "string" ? v : "");
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown): Record<string, string> =>
  Object.fromEntries(Object.entries(record(v)).filter((e): e is [string, string] => typeof e[1] === "string"));

/** An answer's JSON; a list call that failed is an error (its objects are unknown, not absent). */
function json(answer: HttpAnswer, what: string): unknown {
  if (answer.status !== 200) throw new Error(`Docker's ${what} answered HTTP ${answer.status}`);
  try {
    return JSON.parse(answer.body);
  } catch {
    throw new Error(`Docker's ${what} answer is not JSON`);
  }
}

export function parseDockerState(ask: DockerAsk, answers: HttpAnswer[]): DockerState {
  const next = (() => {
    let i = 0;
    return () => answers[i++]!;
  })();
  const state = emptyDockerState();
  if (ask.containers)
    for (const c of list(json(next(), "container list")).map(record)) {
      const container: Container = {
        name: text(list(c.Names)[0]).replace(/^\//, ""),
        image: text(c.Image),
        imageId: text(c.ImageID),
        running: c.State === "running",
        labels: strings(c.Labels),
        networks: Object.entries(record(record(c.NetworkSettings).Networks)).map(([name, n]) => {
          const ipam = record(record(n).IPAMConfig);
          return { name, ips: [text(ipam.IPv4Address), text(ipam.IPv6Address)].filter(Boolean) };
        }),
      };
      if (container.name) state.containers.set(container.name, container);
    }
  if (ask.networks)
    for (const n of list(json(next(), "network list")).map(record)) {
      const config = list(record(n.IPAM).Config).map(record);
      state.networks.set(text(n.Name), {
        name: text(n.Name),
        driver: text(n.Driver),
        options: strings(n.Options),
        internal: n.Internal === true,
        subnets: config.map((c) => text(c.Subnet)).filter(Boolean),
        gateways: config.map((c) => text(c.Gateway)).filter(Boolean),
        labels: strings(n.Labels),
      });
    }
  if (ask.images)
    state.images = list(json(next(), "image list"))
      .map(record)
      .map((i) => ({ id: text(i.Id), refs: [...list(i.RepoTags), ...list(i.RepoDigests)].map(text).filter(Boolean) }));
  if (ask.info)
    state.insecureRegistries = new Set(
      Object.keys(record(record(record(json(next(), "info")).RegistryConfig).IndexConfigs)),
    );
  // A tag the registry does not serve (or a registry not answering yet) is simply absent.
  for (const ref of ask.registryTags) if (next().status === 200) state.registryTags.add(ref);
  return state;
}

/** A reference as Docker lists it: an implied tag made explicit, Docker Hub's prefixes dropped. */
export function listedRef(ref: string): string {
  const short = ref.replace(/^docker\.io\/(library\/)?/, "");
  if (short.includes("@")) return short;
  return short.lastIndexOf(":") > short.lastIndexOf("/") ? short : `${short}:latest`;
}

/** Does Docker's state already hold what the query asks for? */
export function inPlace(query: DockerQuery, state: DockerState): boolean {
  switch (query.kind) {
    case "insecure-registry":
      return state.insecureRegistries.has(query.endpoint);
    case "network":
      return state.networks.has(query.name);
    case "container-running":
      return state.containers.get(query.name)?.running === true;
    case "image":
      return state.images.some((i) => i.refs.includes(listedRef(query.ref)));
    case "registry-tag":
      return state.registryTags.has(query.ref);
  }
}

/** The object a query names, as the key=value facts a step's `conflict.expect` is held against. */
function factsOf(query: DockerQuery, state: DockerState, wantedImage?: string): Record<string, string> | undefined {
  if (query.kind === "network") {
    const n = state.networks.get(query.name);
    if (!n) return undefined;
    return {
      driver: n.driver,
      parent: n.options.parent ?? "",
      mode: n.options.macvlan_mode ?? n.options.ipvlan_mode ?? "",
      internal: String(n.internal),
      subnets: n.subnets.join(" "),
      gateways: n.gateways.join(" "),
    };
  }
  if (query.kind === "container-running") {
    const c = state.containers.get(query.name);
    if (!c) return undefined;
    // Listed by id once its tag points at another image: still the wanted image if that id carries the tag.
    const image =
      wantedImage &&
      c.image !== wantedImage &&
      state.images.some((i) => i.id === c.imageId && i.refs.includes(listedRef(wantedImage)))
        ? wantedImage
        : c.image;
    return {
      image,
      networks: c.networks.map((n) => n.name).join(" "),
      ips: c.networks.flatMap((n) => n.ips).join(" "),
    };
  }
  return undefined;
}

/** Compare an object's facts with what the lab wants: the differences, or undefined. */
export function describeConflict(
  expect: Record<string, string | string[]>,
  actual: Record<string, string>,
): string | undefined {
  const differences: string[] = [];
  for (const [key, wanted] of Object.entries(expect)) {
    const have = actual[key] ?? "";
    if (typeof wanted === "string") {
      if (have !== wanted) differences.push(`${key} is ${have === "" ? "(none)" : have}, the lab wants ${wanted}`);
    } else {
      const words = have.split(/\s+/).filter(Boolean);
      const missing = wanted.filter((w) => !words.includes(w));
      if (missing.length > 0)
        differences.push(`${key} ${words.length ? words.join(" ") : "(none)"} lacks ${missing.join(" ")}`);
    }
  }
  return differences.length > 0 ? differences.join("; ") : undefined;
}

/** Why the object a step would make exists already with another definition, or undefined. */
export function conflictOf(step: Step, state: DockerState): string | undefined {
  const difference = differenceOf(step, state);
  return difference
    ? `${step.conflict!.what} already exists with another definition: ${difference}. Remove or rename it; lab never reuses or replaces an object it did not make`
    : undefined;
}

/** How the object a step would make differs from the lab's definition (the grader says it so), or undefined. */
export function differenceOf(step: Step, state: DockerState): string | undefined {
  if (!step.conflict || !step.docker) return undefined;
  const wantedImage = typeof step.conflict.expect.image === "string" ? step.conflict.expect.image : undefined;
  const facts = factsOf(step.docker, state, wantedImage);
  return facts && describeConflict(step.conflict.expect, facts);
}

/** Who owns a container or network of this name: absent, this lab, another lab of this name, or something else. */
export function ownerOf(
  state: DockerState,
  object: "container" | "network",
  name: string,
  lab: { name: string; id: string },
): "absent" | "this lab" | "same name" | "foreign" {
  const found = object === "container" ? state.containers.get(name) : state.networks.get(name);
  if (!found) return "absent";
  if (found.labels[ID_LABEL] === lab.id) return "this lab";
  return found.labels[NAME_LABEL] === lab.name ? "same name" : "foreign";
}
