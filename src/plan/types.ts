/**
 * A plan is plain data: per host, ordered steps; each step says how to tell it is already
 * in place (check), what it does (actions) and how to take it back (undo). The apply
 * engine runs it; `lab plan` prints it; nothing here touches a host.
 */

export const PHASES = [
  { id: "kernel", title: "kernel modules" },
  { id: "interfaces", title: "interfaces" },
  { id: "namespaces", title: "namespaces" },
  { id: "daemon", title: "Docker daemon" },
  { id: "networks", title: "Docker networks" },
  { id: "registry", title: "private registry" },
  { id: "seed", title: "seed images" },
  // The one place a host needs another host's result: it pulls what the registry host pushed.
  // Everywhere else each host goes through its own steps at its own pace.
  { id: "distribute", title: "distribute images", waits: "registry" },
  { id: "containers", title: "containers" },
  // lab up's closing check: once every host is up.
  { id: "verify", title: "checks", waits: "every host" },
] as const satisfies readonly { id: string; title: string; waits?: "registry" | "every host" }[];

export type Phase = (typeof PHASES)[number]["id"];

import type { Undo } from "./undo.js";

export type Action =
  /** A shell command; every value in it is already quoted. */
  | { kind: "run"; command: string }
  /** Write a whole file atomically (temp file + rename), keeping a backup of what was there. */
  | { kind: "write"; path: string; content: string; mode: string }
  /** Merge keys into a JSON file, keeping every other key (arrays are unioned). */
  | { kind: "merge-json"; path: string; merge: Record<string, unknown> }
  /**
   * Take out of a JSON file's lists only the items given (what one lab merged), keeping what
   * other labs on the host merged since; a list left empty goes, and a file the lab created and
   * that is left empty is removed.
   */
  | { kind: "unmerge-json"; path: string; remove: Record<string, string[]> }
  /**
   * Copy a file from this machine to the host and hand it to the command `to`, where "$upload"
   * names the copy. One remote command: the copy goes into a new private directory made by
   * `mktemp -d`, `to` runs, and the directory is removed whatever happens. No fixed path on
   * the host, so no other local user can plant a symlink or read the file there.
   */
  | { kind: "upload"; from: string; to: string }
  /** Put back the file the lab replaced, or remove it if the lab created it. */
  | { kind: "restore"; path: string };

export interface Probe {
  from: string;
  /** Host the source lives on (a host is its own). */
  fromHost: string;
  to: string;
  /** Host the target lives on. */
  toHost: string;
  address: string;
  expect: "reachable" | "unreachable";
  /** Why this is expected, for students and for reading a failed check. */
  reason: string;
  command: string;
  explicit: boolean;
}

export interface Step {
  /** Stable id, unique per host: used for state, logs and test fixtures. */
  id: string;
  phase: Phase;
  title: string;
  /** Shell test; exit 0 means the step is already in place and nothing is run. */
  check?: string;
  /**
   * The same test read from the Docker Engine API instead (the probe asks once per host, in
   * one round trip, rather than starting a docker process per object); `check` still shows
   * students the command that tells it by hand.
   */
  docker?: DockerQuery;
  actions: Action[];
  /** Run (in reverse step order) by `lab down`, only for steps this lab changed. */
  /** What takes it back, as data: commands are built from it by undoActions (src/plan/undo.ts). */
  undo: Undo[];
  /** A short teaching note shown in listings and scripts. */
  note?: string;
  /**
   * The object of `docker` (a network or container) may already exist with another
   * definition: read from the Docker API as key=value facts (src/apply/docker-state.ts), every key in `expect` must
   * match (a string exactly; a list: each item among the value's words). A mismatch fails the
   * step with the difference instead of silently reusing the object.
   */
  conflict?: { what: string; expect: Record<string, string | string[]> };
  /** Verify steps: the pings this host runs and what each should give. */
  probes?: Probe[];
}

/** What the probe asks Docker about one step (src/apply/docker-state.ts answers it). */
export type DockerQuery =
  /** dockerd trusts this registry over plain HTTP (daemon.json insecure-registries, applied). */
  | { kind: "insecure-registry"; endpoint: string }
  | { kind: "network"; name: string }
  | { kind: "container-running"; name: string }
  /** The image is in the host's local store under this reference. */
  | { kind: "image"; ref: string }
  /** The registry itself serves this reference (asked through dockerd, which knows it as insecure). */
  | { kind: "registry-tag"; ref: string };

export interface HostFacts {
  os: "rhel" | "debian";
  /** false when the OS family was assumed, not read from the host. */
  detected: boolean;
  /**
   * Sandbox only (--vlan-standin): VLAN ids whose sub-interface is a stand-in that is part of
   * the host (a veth already named <nic>.<id> on its own switch bridge, no 802.1q tagging).
   */
  vlanStandins?: number[];
}

export interface HostPlan {
  host: string;
  address: string;
  facts: HostFacts;
  steps: Step[];
}

export interface Plan {
  lab: string;
  file: string;
  hosts: HostPlan[];
}
