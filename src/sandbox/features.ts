import { runLocal } from "./local.js";

export interface KernelFeatures {
  vlan: boolean;
  macvlan: boolean;
  ipvlan: boolean;
  macvtap: boolean;
}

/**
 * What this machine's kernel can do, tried for real inside a throw-away network
 * namespace (nothing outside it is touched): a veth parent, then one child of each kind.
 */
export async function probeKernelFeatures(netnsName: string): Promise<KernelFeatures> {
  const ip = (...args: string[]) => runLocal("ip", ["-n", netnsName, ...args]);
  await runLocal("ip", ["netns", "add", netnsName]);
  try {
    // A veth parent: some kernels (this one) have no dummy driver.
    await ip("link", "add", "p0", "type", "veth", "peer", "name", "p1");
    const tryAdd = async (...args: string[]) => (await ip("link", "add", "link", "p0", ...args)).code === 0;
    return {
      vlan: await tryAdd("name", "p0.10", "type", "vlan", "id", "10"),
      macvlan: await tryAdd("name", "mv0", "type", "macvlan", "mode", "bridge"),
      ipvlan: await tryAdd("name", "iv0", "type", "ipvlan", "mode", "l2"),
      macvtap: await tryAdd("name", "mt0", "type", "macvtap", "mode", "bridge"),
    };
  } finally {
    await runLocal("ip", ["netns", "del", netnsName]);
  }
}
