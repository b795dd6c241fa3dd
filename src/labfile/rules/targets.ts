import { isIpv6 } from "../../net/cidr.js";
import { error, type LabIssue } from "../issues.js";
import { own, type RuleContext } from "./context.js";

/** Check targets need an address to ping; the registry's container name must be free, its images listed once. */
export function checkTargets(ctx: RuleContext): LabIssue[] {
  const { lab } = ctx;
  const issues: LabIssue[] = [];
  lab.checks?.explicit?.forEach((check, i) => {
    const family = check.ipv6 ? "ipv6" : "ip";
    const container = own(lab.containers, check.to);
    if (container && !container[family]) {
      issues.push(
        error(["checks", "explicit", i, "to"], `container ${check.to} has no fixed ${family} to ping; give it one`),
      );
    }
    const host = own(lab.hosts, check.to);
    if (host) {
      const addresses = [
        host.address,
        ...ctx.entries(lab.vlans).flatMap(([, v]) => [own(v.addresses, check.to) ?? []].flat()),
      ];
      if (!addresses.some((a) => isIpv6(a) === (check.ipv6 ?? false)))
        issues.push(
          error(
            ["checks", "explicit", i, "to"],
            `host ${check.to} has no ${check.ipv6 ? "IPv6" : "IPv4"} address to ping`,
          ),
        );
    }
    const namespace = own(lab.namespaces, check.to);
    if (namespace) {
      const addresses = Object.values(namespace.interfaces).flatMap((iface) =>
        iface.address === undefined ? [] : [iface.address].flat(),
      );
      const wanted = addresses.filter((a) => isIpv6(a) === (check.ipv6 ?? false));
      if (wanted.length === 0)
        issues.push(
          error(
            ["checks", "explicit", i, "to"],
            `namespace ${check.to} has no ${check.ipv6 ? "IPv6" : "IPv4"} address to ping`,
          ),
        );
    }
  });
  // One push and one pull per image: a second entry would be a second step with the same id.
  const seeded = new Map<string, number>();
  lab.registry?.images?.forEach((image, i) => {
    const ref = typeof image === "string" ? image : image.ref;
    const first = seeded.get(ref);
    if (first !== undefined)
      issues.push(
        error(
          ["registry", "images", i],
          `image ${ref} is already in registry.images (entry ${first + 1}); list each image once`,
        ),
      );
    else seeded.set(ref, i);
  });
  const registryName = `${lab.name}-registry`;
  if (lab.registry && own(lab.containers, registryName)) {
    issues.push(
      error(["containers", registryName], `the name ${registryName} is taken by the lab's registry container`, true),
    );
  }
  if (lab.containers && Object.keys(lab.containers).length > 0 && !lab.networks) {
    issues.push(error(["containers"], "containers need networks: add a networks section", true));
  }
  return issues;
}
