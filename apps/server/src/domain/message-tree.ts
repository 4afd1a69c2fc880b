/**
 * A session's messages form a tree: each message follows its parent, a first message has none.
 * An edit is a sibling of the message it edits, a regenerated reply a sibling of the reply. The
 * session shows one branch, from a root down to its active leaf. Messages come in the order they
 * were written, so a parent always comes before its children.
 */

/** What these functions need of a message. */
export interface TreeNode {
  id: string
  parentId: string | null
}

/**
 * The branch from a root down to `leafId`, oldest first; empty when `leafId` is none of them.
 *
 * @example
 * ```ts
 * branchTo([{ id: 'a', parentId: null }, { id: 'b', parentId: 'a' }, { id: 'c', parentId: 'a' }], 'c')
 * // [{ id: 'a', … }, { id: 'c', … }]
 * ```
 */
export function branchTo<T extends TreeNode>(nodes: readonly T[], leafId: string | null): T[] {
  if (leafId === null) return []
  // Parents come before their children: up from the leaf, each parent is the first node before
  // it with its id. No map of a long session's every message, and most often (one chain, the
  // leaf last) each step finds its parent at once.
  let index = nodes.length - 1
  while (index >= 0 && (nodes[index] as T).id !== leafId) index--
  if (index < 0) return []
  const branch: T[] = [nodes[index] as T]
  let wanted = (nodes[index] as T).parentId
  for (index--; wanted !== null && index >= 0; index--) {
    const node = nodes[index] as T
    if (node.id !== wanted) continue
    branch.push(node)
    wanted = node.parentId
  }
  // A parent that is not before its child (never stored, but the nodes are the caller's).
  return wanted === null ? branch.reverse() : branchByMap(nodes, leafId)
}

/** `branchTo` for nodes in any order, through a map of them by id. */
function branchByMap<T extends TreeNode>(nodes: readonly T[], leafId: string): T[] {
  const byId = new Map(nodes.map((node) => [node.id, node]))
  const branch: T[] = []
  // A parent missing from the nodes ends the walk, as a cycle would (neither is ever stored).
  for (let node = byId.get(leafId); node; ) {
    branch.push(node)
    if (branch.length > nodes.length) break
    node = node.parentId === null ? undefined : byId.get(node.parentId)
  }
  return branch.reverse()
}

/**
 * The leaf a switch to `fromId` lands on: down from it through the latest child at each step,
 * so the branch shown is the one last written under that message.
 *
 * @example
 * ```ts
 * deepestLatestLeaf([{ id: 'a', parentId: null }, { id: 'b', parentId: 'a' }, { id: 'c', parentId: 'a' }], 'a') // 'c'
 * ```
 */
export function deepestLatestLeaf(nodes: readonly TreeNode[], fromId: string): string {
  const latestChild = new Map<string, string>()
  // In the order of writing: the last child seen of each parent is its latest.
  for (const node of nodes) if (node.parentId !== null) latestChild.set(node.parentId, node.id)
  let leaf = fromId
  for (let steps = 0; steps < nodes.length; steps++) {
    const child = latestChild.get(leaf)
    if (child === undefined) break
    leaf = child
  }
  return leaf
}
