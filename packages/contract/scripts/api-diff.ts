/**
 * What changed between two versions of an OpenAPI 3.1 document, each change classified as
 * breaking (an existing client may fail) or additive. No maintained npm tool diffs OpenAPI 3.1
 * (openapi-diff rejects it, oasdiff is Go, optic is archived): this one covers what this API's
 * clients depend on. Breaking: a removed operation, parameter, request or response field, enum
 * value, status or content type; a new required request field or parameter, or one that became
 * required; a response field that became optional; a narrowed type (a type dropped, a tighter
 * limit, a new or changed pattern, enum or const), in a request or a response alike; a response
 * that may come in a new content type. Additions and widenings are not.
 */

/** One classified change. */
export interface ApiChange {
  breaking: boolean
  /** Short, stable name of the kind of change, e.g. `response-field-removed`. */
  kind: string
  /** Where: the operation (its operationId, else method and path) and the place in it. */
  where: string
  /** What happened, in words. */
  message: string
}

// biome-ignore lint/suspicious/noExplicitAny: documents are untyped YAML data here
type Node = any
type Direction = 'request' | 'response'

const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'] as const

/** Follows a local `$ref` (`#/components/...`) until a node without one. */
function resolve(document: Node, node: Node): Node {
  let current = node
  for (let hops = 0; current && typeof current.$ref === 'string' && hops < 32; hops++) {
    const path = current.$ref.replace(/^#\//, '').split('/')
    const target = path.reduce(
      (at: Node, key: string) => at?.[key.replaceAll('~1', '/').replaceAll('~0', '~')],
      document,
    )
    // Siblings of a $ref (3.1 allows them) refine the target.
    const { $ref: _, ...siblings } = current
    current = target && typeof target === 'object' ? { ...target, ...siblings } : target
  }
  return current
}

const typesOf = (schema: Node): Set<string> =>
  new Set(schema?.type === undefined ? [] : [schema.type].flat())

/**
 * Every change between two documents, breaking ones first.
 *
 * @example
 * ```ts
 * const changes = diffOpenApi(lastRelease, current)
 * if (changes.some((change) => change.breaking)) process.exitCode = 1
 * ```
 */
export function diffOpenApi(before: Node, after: Node): ApiChange[] {
  const changes: ApiChange[] = []
  const add = (breaking: boolean, kind: string, where: string, message: string) =>
    changes.push({ breaking, kind, where, message })

  /** Schemas compared as one side's data read by the other: `request`, clients send it. */
  const compareSchemas = (
    was: Node,
    now: Node,
    direction: Direction,
    where: string,
    seen: Set<string>,
  ) => {
    const key = `${direction}:${was?.$ref ?? ''}:${now?.$ref ?? ''}:${where}`
    if (seen.has(key) || seen.size > 2000) return
    seen.add(key)
    const a = resolve(before, was)
    const b = resolve(after, now)
    if (!a || !b || typeof a !== 'object' || typeof b !== 'object') return
    const { breaking: narrowed, additive: widened } = compareConstraints(a, b)
    for (const message of narrowed) add(true, 'type-narrowed', where, message)
    for (const message of widened) add(false, 'type-widened', where, message)

    const wasProperties = a.properties ?? {}
    const nowProperties = b.properties ?? {}
    const wasRequired = new Set<string>(a.required ?? [])
    const nowRequired = new Set<string>(b.required ?? [])
    for (const name of Object.keys(wasProperties)) {
      const at = `${where}.${name}`
      if (!(name in nowProperties)) {
        add(true, `${direction}-field-removed`, at, `${direction} field \`${name}\` removed`)
        continue
      }
      if (direction === 'response' && wasRequired.has(name) && !nowRequired.has(name)) {
        add(true, 'response-field-optional', at, `response field \`${name}\` no longer always sent`)
      }
      if (direction === 'request' && !wasRequired.has(name) && nowRequired.has(name)) {
        add(true, 'request-field-required', at, `request field \`${name}\` became required`)
      }
      compareSchemas(wasProperties[name], nowProperties[name], direction, at, seen)
    }
    for (const name of Object.keys(nowProperties)) {
      if (name in wasProperties) continue
      const at = `${where}.${name}`
      if (direction === 'request' && nowRequired.has(name)) {
        add(true, 'request-field-required-added', at, `new required request field \`${name}\``)
      } else {
        add(false, `${direction}-field-added`, at, `${direction} field \`${name}\` added`)
      }
    }
    if (a.items && b.items) compareSchemas(a.items, b.items, direction, `${where}[]`, seen)
    for (const keyword of ['allOf', 'oneOf', 'anyOf'] as const) {
      const wasList: Node[] = a[keyword] ?? []
      const nowList: Node[] = b[keyword] ?? []
      wasList.forEach((part, index) => {
        if (index < nowList.length) {
          compareSchemas(part, nowList[index], direction, `${where}(${keyword}[${index}])`, seen)
        } else if (keyword !== 'allOf') {
          add(true, 'type-narrowed', where, `${keyword} alternative ${index} removed`)
        }
      })
    }
  }

  const operationsOf = (document: Node) => {
    const found = new Map<string, { operation: Node; item: Node; name: string }>()
    for (const [path, item] of Object.entries<Node>(document.paths ?? {})) {
      for (const method of methods) {
        const operation = item?.[method]
        if (!operation) continue
        const name = operation.operationId ?? `${method.toUpperCase()} ${path}`
        found.set(`${method.toUpperCase()} ${path}`, { operation, item, name })
      }
    }
    return found
  }
  const parametersOf = (document: Node, item: Node, operation: Node) => {
    const found = new Map<string, Node>()
    for (const parameter of [...(item.parameters ?? []), ...(operation.parameters ?? [])]) {
      const resolved = resolve(document, parameter)
      if (resolved?.name)
        found.set(`${resolved.in}:${String(resolved.name).toLowerCase()}`, resolved)
    }
    return found
  }

  const wasOperations = operationsOf(before)
  const nowOperations = operationsOf(after)
  for (const [route, { name }] of wasOperations) {
    if (!nowOperations.has(route)) add(true, 'operation-removed', name, `${route} removed`)
  }
  for (const [route, { name }] of nowOperations) {
    if (!wasOperations.has(route)) add(false, 'operation-added', name, `${route} added`)
  }

  for (const [route, was] of wasOperations) {
    const now = nowOperations.get(route)
    if (!now) continue
    const op = now.name
    const seen = new Set<string>()

    const wasParameters = parametersOf(before, was.item, was.operation)
    const nowParameters = parametersOf(after, now.item, now.operation)
    for (const [key, parameter] of wasParameters) {
      const label = `${parameter.in} parameter \`${parameter.name}\``
      const current = nowParameters.get(key)
      if (!current) {
        add(true, 'parameter-removed', op, `${label} removed`)
        continue
      }
      if (!parameter.required && current.required) {
        add(true, 'parameter-required', op, `${label} became required`)
      }
      compareSchemas(parameter.schema, current.schema, 'request', `${op} ${label}`, seen)
    }
    for (const [key, parameter] of nowParameters) {
      if (wasParameters.has(key)) continue
      const label = `${parameter.in} parameter \`${parameter.name}\``
      if (parameter.required) add(true, 'parameter-required-added', op, `new required ${label}`)
      else add(false, 'parameter-added', op, `optional ${label} added`)
    }

    const wasBody = resolve(before, was.operation.requestBody)
    const nowBody = resolve(after, now.operation.requestBody)
    if (!wasBody && nowBody?.required) {
      add(true, 'request-body-required-added', op, 'a request body is now required')
    }
    if (wasBody && !nowBody) add(true, 'request-body-removed', op, 'the request body was removed')
    if (wasBody && nowBody) {
      if (!wasBody.required && nowBody.required) {
        add(true, 'request-body-required', op, 'the request body became required')
      }
      for (const [type, media] of Object.entries<Node>(wasBody.content ?? {})) {
        const current = nowBody.content?.[type]
        if (!current) add(true, 'content-type-removed', op, `request body ${type} no longer taken`)
        else compareSchemas(media.schema, current.schema, 'request', `${op} body`, seen)
      }
      for (const type of Object.keys(nowBody.content ?? {})) {
        if (!wasBody.content?.[type]) {
          add(false, 'content-type-added', op, `request body ${type} also taken`)
        }
      }
    }

    const wasResponses = was.operation.responses ?? {}
    const nowResponses = now.operation.responses ?? {}
    for (const [status, response] of Object.entries<Node>(wasResponses)) {
      const current = resolve(after, nowResponses[status])
      if (!current) {
        add(true, 'status-removed', op, `status ${status} no longer answered`)
        continue
      }
      const wasContent = resolve(before, response)?.content ?? {}
      const nowContent = current.content ?? {}
      for (const [type, media] of Object.entries<Node>(wasContent)) {
        const at = `${op} ${status} ${type}`
        const currentMedia = nowContent[type]
        if (!currentMedia) add(true, 'content-type-removed', op, `${status} ${type} no longer sent`)
        else compareSchemas(media.schema, currentMedia.schema, 'response', at, seen)
      }
      for (const type of Object.keys(nowContent)) {
        if (!wasContent[type]) {
          add(true, 'response-content-type-added', op, `${status} may now be ${type}`)
        }
      }
    }
    for (const status of Object.keys(nowResponses)) {
      if (!(status in wasResponses)) add(false, 'status-added', op, `status ${status} documented`)
    }
  }
  return changes.sort((x, y) => Number(y.breaking) - Number(x.breaking))
}

/** How a schema's own constraints moved: what accepts less (breaking), what accepts more. */
function compareConstraints(a: Node, b: Node): { breaking: string[]; additive: string[] } {
  const breaking: string[] = []
  const additive: string[] = []
  const wasTypes = typesOf(a)
  const nowTypes = typesOf(b)
  if (wasTypes.size > 0) {
    // `integer` is a narrower `number`; the reverse is a widening.
    const covers = (set: Set<string>, type: string) =>
      set.has(type) || (type === 'integer' && set.has('number'))
    for (const type of wasTypes) {
      if (!covers(nowTypes, type) && nowTypes.size > 0)
        breaking.push(`type ${type} no longer allowed`)
    }
    for (const type of nowTypes) if (!covers(wasTypes, type)) additive.push(`type ${type} allowed`)
  } else if (nowTypes.size > 0) {
    breaking.push(`now only ${[...nowTypes].join(' or ')}`)
  }
  const bounds: Array<[string, 'upper' | 'lower']> = [
    ['maxLength', 'upper'],
    ['maxItems', 'upper'],
    ['maximum', 'upper'],
    ['exclusiveMaximum', 'upper'],
    ['maxProperties', 'upper'],
    ['minLength', 'lower'],
    ['minItems', 'lower'],
    ['minimum', 'lower'],
    ['exclusiveMinimum', 'lower'],
    ['minProperties', 'lower'],
  ]
  for (const [keyword, side] of bounds) {
    const was = a[keyword]
    const now = b[keyword]
    if (was === now) continue
    const tighter =
      now !== undefined && (was === undefined || (side === 'upper' ? now < was : now > was))
    const message = `${keyword} ${was ?? 'none'} -> ${now ?? 'none'}`
    ;(tighter ? breaking : additive).push(message)
  }
  if (b.pattern !== undefined && b.pattern !== a.pattern) {
    breaking.push(`pattern ${a.pattern ?? 'none'} -> ${b.pattern}`)
  } else if (a.pattern !== undefined && b.pattern === undefined) {
    additive.push(`pattern ${a.pattern} dropped`)
  }
  if (b.const !== undefined && JSON.stringify(a.const) !== JSON.stringify(b.const)) {
    breaking.push(`const ${JSON.stringify(b.const)}`)
  }
  const wasEnum: unknown[] | undefined = a.enum
  const nowEnum: unknown[] | undefined = b.enum
  if (nowEnum && !wasEnum) breaking.push(`now one of ${JSON.stringify(nowEnum)}`)
  if (wasEnum && nowEnum) {
    const has = (list: unknown[], value: unknown) =>
      list.some((item) => JSON.stringify(item) === JSON.stringify(value))
    for (const value of wasEnum) {
      if (!has(nowEnum, value)) breaking.push(`enum value ${JSON.stringify(value)} removed`)
    }
    for (const value of nowEnum) {
      if (!has(wasEnum, value)) additive.push(`enum value ${JSON.stringify(value)} added`)
    }
  }
  if (b.format !== undefined && b.format !== a.format && a.format !== undefined) {
    breaking.push(`format ${a.format} -> ${b.format}`)
  }
  return { breaking, additive }
}

/**
 * The report printed by the check: one line a change, a change to a shared schema once with
 * every place it shows (`operationId status`), then the count.
 *
 * @example
 * ```ts
 * console.log(formatReport(diffOpenApi(before, after)))
 * ```
 */
export function formatReport(changes: ApiChange[]): string {
  const groups = new Map<string, { change: ApiChange; field: string; places: string[] }>()
  for (const change of changes) {
    // `where` is `operation [status] [media type][.field path]`.
    const [head = '', ...path] = change.where.split('.')
    const field = path.length > 0 ? `.${path.join('.')}` : ''
    const place = head
      .split(' ')
      .filter((part) => !part.includes('/'))
      .join(' ')
    const key = `${change.breaking}|${change.kind}|${change.message}|${field}`
    const group = groups.get(key) ?? { change, field, places: [] }
    if (!group.places.includes(place)) group.places.push(place)
    groups.set(key, group)
  }
  const lines = [...groups.values()].map(({ change, field, places }) => {
    const label = change.breaking ? 'BREAKING' : 'additive'
    const at = field ? ` at ${field}` : ''
    return `  ${label}  ${change.message}${at} (${change.kind}): ${places.join(', ')}`
  })
  const breaking = changes.filter((change) => change.breaking).length
  lines.push(
    changes.length === 0
      ? '  no change to the API'
      : `${changes.length} change(s): ${breaking} breaking, ${changes.length - breaking} additive`,
  )
  return lines.join('\n')
}
