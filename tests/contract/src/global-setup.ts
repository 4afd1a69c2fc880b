/**
 * Before the run: no coverage file, so the gate sees this run's records only.
 */
import { rmSync } from 'node:fs'
import type { TestProject } from 'vitest/node'

export default function setup(project: TestProject): void {
  rmSync(project.getProvidedContext().coverageFile, { force: true })
}
