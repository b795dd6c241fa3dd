/**
 * Like Promise.all over per-host work, but an unexpected error in one host's work is raised
 * only once every other host's work has settled: the caller closes the connections next, and
 * must not pull them from under commands still running (that host would be left mid-step).
 */
export async function settleAll<T>(work: Promise<T>[]): Promise<T[]> {
  const settled = await Promise.allSettled(work);
  const failure = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (failure) throw failure.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<T>).value);
}
