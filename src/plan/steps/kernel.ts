import { sh } from "../shell.js";
import type { HostContext } from "../host-context.js";
import type { Step } from "../types.js";

function moduleStep(module: string, standins: boolean): Step {
  if (module === "8021q" && standins) {
    return {
      id: `module:${module}`,
      phase: "kernel",
      title: "8021q: not loaded (VLAN stand-ins: this kernel has no 802.1q)",
      check: "true",
      actions: [],
      undo: [],
    };
  }
  return {
    id: `module:${module}`,
    phase: "kernel",
    title: `load kernel module ${module}`,
    check: `[ -d ${sh(`/sys/module/${module}`)} ]`,
    actions: [{ kind: "run", command: sh("modprobe", module) }],
    undo: [{ kind: "unload-module", module }],
    note: module === "8021q" ? "802.1q VLAN tagging; ip link add ... type vlan needs it" : undefined,
  };
}

export function kernelSteps({ lab, host, persist, facts }: HostContext): Step[] {
  const steps = host.modules.map((module) => moduleStep(module, (facts.vlanStandins?.length ?? 0) > 0));
  if (host.modules.length > 0 && persist !== "none") {
    const path = `/etc/modules-load.d/lab-${lab.name}.conf`;
    steps.push({
      id: "module:persist",
      phase: "kernel",
      title: `load ${host.modules.join(", ")} at boot`,
      actions: [
        {
          kind: "write",
          path,
          content: `# Written by lab (${lab.name}); lab down removes it.\n${host.modules.join("\n")}\n`,
          mode: "0644",
        },
      ],
      undo: [{ kind: "restore-file", path }],
      note: "systemd-modules-load reads /etc/modules-load.d/*.conf at boot",
    });
  }
  return steps;
}
