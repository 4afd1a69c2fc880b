import { copyFileSync, cpSync, existsSync, symlinkSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { repoRoot, serverMain } from '../paths.ts'

/**
 * Copies the server's production build out of `apps/server/dist/` for the length of the run:
 * other work on this machine may rebuild (and first empty) that folder at any moment, and a
 * run must start the same build at every scale, with the same `start.sh`. The copy resolves
 * its npm dependencies through a link to the server's node_modules, and finds the agents file
 * beside it as the original does (`../agents.yaml` from `dist/main.js`).
 *
 * @example
 * ```ts
 * const main = snapshotServerBuild(workDir) // <workDir>/server/dist/main.js
 * ```
 */
export function snapshotServerBuild(workDir: string): string {
  const serverDir = join(repoRoot, 'apps/server')
  const copy = join(workDir, 'server')
  // The whole folder: the build may be split into chunks that main.js imports.
  cpSync(dirname(serverMain), join(copy, 'dist'), { recursive: true })
  // The start script the bench runs it with, as the image does.
  copyFileSync(join(serverDir, 'start.sh'), join(copy, 'start.sh'))
  if (existsSync(join(serverDir, 'agents.yaml'))) {
    copyFileSync(join(serverDir, 'agents.yaml'), join(copy, 'agents.yaml'))
  }
  symlinkSync(join(serverDir, 'node_modules'), join(copy, 'node_modules'), 'dir')
  return join(copy, 'dist/main.js')
}
