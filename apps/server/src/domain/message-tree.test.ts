import { describe, expect, it } from 'vitest'
import { branchTo } from './message-tree.ts'

const node = (id: string, parentId: string | null) => ({ id, parentId })
const ids = (nodes: { id: string }[]) => nodes.map((n) => n.id)

describe('branchTo', () => {
  // a - b - c, with d a sibling of b (an edit) and e a reply to d.
  const tree = [node('a', null), node('b', 'a'), node('c', 'b'), node('d', 'a'), node('e', 'd')]

  it('is the chain down to the leaf, oldest first', () => {
    expect(ids(branchTo(tree, 'c'))).toEqual(['a', 'b', 'c'])
    expect(ids(branchTo(tree, 'e'))).toEqual(['a', 'd', 'e'])
    expect(ids(branchTo(tree, 'b'))).toEqual(['a', 'b'])
    expect(ids(branchTo(tree, 'a'))).toEqual(['a'])
  })

  it('is empty for no leaf or a leaf that is not there', () => {
    expect(branchTo(tree, null)).toEqual([])
    expect(branchTo(tree, 'x')).toEqual([])
    expect(branchTo([], 'a')).toEqual([])
  })

  it('walks nodes in any order, a parent after its child too', () => {
    const shuffled = [
      node('c', 'b'),
      node('e', 'd'),
      node('a', null),
      node('d', 'a'),
      node('b', 'a'),
    ]
    expect(ids(branchTo(shuffled, 'c'))).toEqual(['a', 'b', 'c'])
    expect(ids(branchTo(shuffled, 'e'))).toEqual(['a', 'd', 'e'])
  })

  it('ends at a parent missing from the nodes', () => {
    expect(ids(branchTo([node('b', 'gone'), node('c', 'b')], 'c'))).toEqual(['b', 'c'])
  })

  it('walks a long chain', () => {
    const chain = Array.from({ length: 1000 }, (_, i) =>
      node(`m${i}`, i === 0 ? null : `m${i - 1}`),
    )
    expect(branchTo(chain, 'm999')).toEqual(chain)
    expect(branchTo(chain, 'm499')).toEqual(chain.slice(0, 500))
  })
})
