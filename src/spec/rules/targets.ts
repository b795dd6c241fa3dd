import { error, type LabIssue } from "../issues.js";
import type { RuleContext } from "./context.js";

/** Check targets need an address to ping; the registry's container name must be free. */
export function checkTargets(ctx: RuleContext): LabIssue[] {
  const { lab } = ctx;
  const issues: LabIssue[] = [];
  lab.checks?.explicit?.forEach((check, i) => {
    const family = check.ipv6 ? "ipv6" : "ip";
    const container = lab.containers?.[check.to];
    if (container && !container[family]) {
      issues.push(error(["checks", "explicit", i, "to"], `container ${check.to} has no fixed ${family} to ping; give it one`));
    }
    const namespace = lab.namespaces?.[check.to];
    if (namespace) {
      const addresses = Object.values(namespace.interfaces).flatMap((iface) => (iface.address === undefined ? [] : [iface.address].flat()));
      const wanted = addresses.filter((a) => (check.ipv6 ? a.includes(":") : !a.includes(":")));
      if (wanted.length === 0) issues.push(error(["checks", "explicit", i, "to"], `namespace ${check.to} has no ${check.ipv6 ? "IPv6" : "IPv4"} address to ping`));
    }
  });
  const registryName = `${lab.name}-registry`;
  if (lab.registry && lab.containers?.[registryName]) {
    issues.push(error(["containers", registryName], `the name ${registryName} is taken by the lab's registry container`, true));
  }
  if (lab.containers && Object.keys(lab.containers).length > 0 && !lab.networks) {
    issues.push(error(["containers"], "containers need networks: add a networks section", true));
  }
  return issues;
}
