import { didYouMean } from "../did-you-mean.js";
import { error, type LabIssue, type PathSegment } from "../issues.js";
import { own, type RuleContext } from "./context.js";

/** Every name that refers to something (host, network, check target) must exist. */
export function checkReferences(ctx: RuleContext): LabIssue[] {
  const { lab } = ctx;
  const issues: LabIssue[] = [];
  const hosts = ctx.hostNames;
  const networks = Object.keys(lab.networks ?? {});
  // A check pings from and to containers, namespaces and hosts (from the host's own namespace).
  const targets = [...Object.keys(lab.containers ?? {}), ...Object.keys(lab.namespaces ?? {}), ...hosts];

  const expectOne = (path: PathSegment[], name: string, kind: string, known: string[], atKey = false) => {
    if (!known.includes(name)) {
      const none = known.length === 0 ? ` (the lab defines no ${kind}s)` : didYouMean(name, known);
      issues.push(error(path, `${kind} '${name}' is not defined${none}`, atKey));
    }
  };

  if (hosts.length === 0) issues.push(error(["hosts"], "a lab needs at least one host"));

  for (const [id, vlan] of ctx.entries(lab.vlans)) {
    vlan.hosts?.forEach((h, i) => expectOne(["vlans", id, "hosts", i], h, "host", hosts));
    for (const h of Object.keys(vlan.addresses ?? {})) {
      expectOne(["vlans", id, "addresses", h], h, "host", hosts, true);
      if (vlan.hosts && !vlan.hosts.includes(h) && hosts.includes(h)) {
        issues.push(
          error(
            ["vlans", id, "addresses", h],
            `host '${h}' has an address on VLAN ${id} but is not in its hosts list`,
            true,
          ),
        );
      }
    }
  }
  if (lab.registry) expectOne(["registry", "host"], lab.registry.host, "host", hosts);
  for (const [name, network] of ctx.entries(lab.networks)) {
    network.hosts?.forEach((h, i) => expectOne(["networks", name, "hosts", i], h, "host", hosts));
  }
  for (const [name, c] of ctx.entries(lab.containers)) {
    expectOne(["containers", name, "host"], c.host, "host", hosts);
    expectOne(["containers", name, "network"], c.network, "network", networks);
    const network = own(lab.networks, c.network);
    if (network && hosts.includes(c.host) && !ctx.networkHosts(network).includes(c.host)) {
      issues.push(
        error(
          ["containers", name, "host"],
          `network '${c.network}' is not created on host '${c.host}' (see networks.${c.network}.hosts)`,
        ),
      );
    }
    if (own(lab.namespaces, name))
      issues.push(
        error(
          ["containers", name],
          `'${name}' names both a container and a namespace; checks could not tell them apart`,
          true,
        ),
      );
  }
  for (const [name, ns] of ctx.entries(lab.namespaces)) {
    expectOne(["namespaces", name, "host"], ns.host, "host", hosts);
    if (ns.default_dev !== undefined) {
      expectOne(["namespaces", name, "default_dev"], ns.default_dev, "interface", Object.keys(ns.interfaces));
      if (ns.gateway !== undefined)
        issues.push(
          error(
            ["namespaces", name, "default_dev"],
            "a namespace has one default route: gateway or default_dev, not both",
          ),
        );
    }
  }
  for (const [section, names] of [
    ["containers", Object.keys(lab.containers ?? {})],
    ["namespaces", Object.keys(lab.namespaces ?? {})],
  ] as const)
    for (const name of names.filter((n) => hosts.includes(n)))
      issues.push(
        error(
          [section, name],
          `'${name}' names both a host and a ${section.slice(0, -1)}; checks could not tell them apart`,
          true,
        ),
      );
  for (const [host, h] of ctx.entries(lab.hosts)) {
    if (h.shim) expectOne(["hosts", host, "shim", "network"], h.shim.network, "network", networks);
    const jump = h.ssh?.jump ?? lab.defaults?.ssh?.jump;
    if (jump === host)
      issues.push(
        error(
          h.ssh?.jump ? ["hosts", host, "ssh", "jump"] : ["defaults", "ssh", "jump"],
          `host '${host}' cannot be its own jump host`,
        ),
      );
  }
  lab.checks?.explicit?.forEach((check, i) => {
    expectOne(["checks", "explicit", i, "from"], check.from, "container, namespace or host", targets);
    expectOne(["checks", "explicit", i, "to"], check.to, "container, namespace or host", targets);
    if (check.from === check.to)
      issues.push(error(["checks", "explicit", i], `a check from '${check.from}' to itself proves nothing`));
  });
  lab.checks?.routed?.forEach((pair, i) =>
    pair.forEach((n, j) => expectOne(["checks", "routed", i, j], n, "network", networks)),
  );
  return issues;
}
