import { execFile } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { describe, expect, it } from 'vitest'

const serverDir = dirname(import.meta.dirname)
const config = join(serverDir, '.dependency-cruiser.cjs')
// dependency-cruiser's command, run on this Node (its bin shim would start another).
const depcruise = join(
  dirname(fileURLToPath(import.meta.resolve('dependency-cruiser'))),
  '../../bin/dependency-cruiser.mjs',
)

/** `pnpm lint`'s layer check (`lint:layers`), run from `cwd` on its `src`. */
async function checkLayers(cwd: string): Promise<{ failed: boolean; output: string }> {
  try {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [depcruise, 'src', '--config', config, '--output-type', 'err'],
      { cwd },
    )
    return { failed: false, output: stdout }
  } catch (error) {
    const { stdout = '', stderr = '' } = error as { stdout?: string; stderr?: string }
    return { failed: true, output: stdout + stderr }
  }
}

describe('the layer check of pnpm lint', () => {
  it("passes on the server's own src", async () => {
    const { failed, output } = await checkLayers(serverDir)
    expect(output).toContain('no dependency violations found')
    expect(failed).toBe(false)
  })

  it('fails on a cycle and on each import against the arrows, naming the rule', async () => {
    const { failed, output } = await checkLayers(join(import.meta.dirname, 'fixtures/layers'))
    expect(failed).toBe(true)
    expect(output).toMatch(/no-cycles: src\/domain\/p(i|o)ng\.ts/)
    expect(output).toMatch(
      /domain-imports-only-domain: src\/domain\/rules\.ts → src\/storage\/sqlite\.ts/,
    )
    expect(output).toMatch(
      /http-imports-domain-and-config: src\/http\/route\.ts → src\/storage\/sqlite\.ts/,
    )
    expect(output).toMatch(
      /config-imports-nothing-of-ours: src\/config\/env\.ts → src\/domain\/rules\.ts/,
    )
    expect(output).toMatch(
      /agents-import-domain-and-config: src\/agents\/echo\.ts → src\/storage\/sqlite\.ts/,
    )
    // Nothing in a layer imports http.
    expect(output).toMatch(
      /storage-imports-domain-and-config: src\/storage\/pg\.ts → src\/http\/route\.ts/,
    )
    expect(output).toMatch(
      /validation-errors-import-nothing-of-validation: src\/http\/validation\/errors\/words\.ts → src\/http\/validation\/body\/read-json\.ts/,
    )
  })
})
