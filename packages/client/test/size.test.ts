import { expect, it } from 'vitest'
import { budgetBytes, formatSize, measureSize } from '../scripts/size.ts'

it(`stays under ${budgetBytes / 1_000} kB min+gzip, openapi-fetch excluded`, async () => {
  const size = await measureSize()
  console.log(formatSize(size))
  expect(size.gzipped).toBeLessThan(budgetBytes)
})
