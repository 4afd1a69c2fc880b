import type { OwnersOpenStep } from '../report/owners-open-results.ts'

export interface SearchOutcome {
  steps: OwnersOpenStep[]
  largest: number | null
  stoppedBy: string
}

/**
 * Steps up through `counts` (ascending) until a step breaks a budget, then tries once between
 * the last step within and the first that broke (when they are 1.5x apart or more), so the
 * answer is within a quarter of the true one. No step starts after `budgetMs`: the search is
 * bounded in time, and says so when the bound stopped it.
 *
 * @example
 * ```ts
 * const { largest } = await searchLargestOwners([250, 500, 1000], 300_000, runStep)
 * ```
 */
export async function searchLargestOwners(
  counts: readonly number[],
  budgetMs: number,
  runStep: (owners: number) => Promise<OwnersOpenStep>,
  now: () => number = () => performance.now(),
): Promise<SearchOutcome> {
  const started = now()
  const steps: OwnersOpenStep[] = []
  let largest: number | null = null
  let broke: OwnersOpenStep | undefined
  const timeLeft = () => now() - started < budgetMs
  for (const owners of counts) {
    if (!timeLeft()) {
      return { steps, largest, stoppedBy: `the time bound (${budgetMs / 1000} s) before ${owners}` }
    }
    const step = await runStep(owners)
    steps.push(step)
    if (step.verdict !== 'within') {
      broke = step
      break
    }
    largest = owners
  }
  if (!broke) return { steps, largest, stoppedBy: 'the last step, within the budgets' }
  const stoppedBy = `${broke.verdict} at ${broke.owners}`
  if (largest !== null && broke.owners >= largest * 1.5 && timeLeft()) {
    // Rounded to 50 owners: finer than that is below the noise of this machine.
    const middle = Math.round((largest + broke.owners) / 2 / 50) * 50
    if (middle > largest && middle < broke.owners) {
      const step = await runStep(middle)
      steps.push(step)
      if (step.verdict === 'within') largest = middle
      else return { steps, largest, stoppedBy: `${step.verdict} at ${middle}` }
    }
  }
  return { steps, largest, stoppedBy }
}
