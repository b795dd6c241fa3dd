import { applyPlan, type ApplyResult } from "../apply/engine.js";
import type { Emit } from "../apply/events.js";
import { preflightAll } from "../apply/preflight.js";
import { EXIT, type ExitCode } from "../errors.js";
import type { Lab } from "../labfile/model.js";
import { buildPlan } from "../plan/build-plan.js";
import type { Plan } from "../plan/types.js";
import type { Targets } from "./targets.js";

export interface UpOptions {
  parallel: number;
  vlanStandin: boolean;
  allowDockerRestart: boolean;
  signal?: AbortSignal;
  /** The view for this run, made once the plan is known (the live tree draws every step). */
  viewFor: (plan: Plan) => Emit;
}

/**
 * lab up without its closing check: preflight every host, plan from what they are, apply.
 * Nothing changes anywhere unless every host passes its preflight.
 */
export async function upLab(
  lab: Lab,
  targets: Targets,
  options: UpOptions,
): Promise<{ plan: Plan; result: ApplyResult }> {
  const facts = await preflightAll(lab, targets.transports, {
    vlanStandin: options.vlanStandin,
    standins: targets.standins,
  });
  const plan = buildPlan(lab, facts, { allowDockerRestart: options.allowDockerRestart });
  const result = await applyPlan(lab, plan, targets.transports, {
    parallel: options.parallel,
    emit: options.viewFor(plan),
    commandTimeoutMs: lab.timeouts.command * 1000,
    signal: options.signal,
  });
  return { plan, result };
}

/** A failed step or Ctrl-C: 1 (the lab is not up); otherwise 0 and the check decides. */
export function upExitCode(result: ApplyResult): ExitCode {
  return result.failed || result.interrupted ? EXIT.labProblem : EXIT.ok;
}
