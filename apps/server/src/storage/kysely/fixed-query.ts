import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely'
import type { Database } from './schema.ts'

/** A value's stand-in while the statement is compiled: no value a client sends holds a NUL. */
const standIn = (index: number) => `\u0000fixed-query-value-${index}\u0000`

/**
 * A statement of one shape whatever its values, built and compiled by Kysely once and then run
 * with other values: Kysely builds and compiles every query anew (its builders, parsers and
 * compiler were ~10% of a create's time on the write path; docs/performance.md, "Writes have
 * regressed"), and the statements of the write path are a handful of shapes. The SQL text is
 * the same each time, so the store's statement cache (SQLite) finds it at once too.
 *
 * `build` is called once, on the first executor, with stand-ins for `values`: it must pass each
 * straight to Kysely as a value (never compute with it or choose the shape by it), and use
 * every one. The dialect is the executor's: one fixed query serves one store.
 *
 * @example
 * ```ts
 * const rename = fixedQuery((db, id: string, name: string) =>
 *   db.updateTable('sessions').set({ name }).where('id', '=', id),
 * )
 * const { numAffectedRows } = await rename(trx, 's1', 'New name')
 * ```
 */
export function fixedQuery<Values extends unknown[], Row>(
  build: (db: Kysely<Database>, ...values: Values) => Compilable<Row>,
): (executor: Kysely<Database>, ...values: Values) => Promise<QueryResult<Row>> {
  let compiled: { query: CompiledQuery<Row>; slots: Array<number | undefined> } | undefined
  return async (executor, ...values) => {
    if (!compiled) {
      const standIns = values.map((_, index) => standIn(index))
      const query = build(executor, ...(standIns as Values)).compile()
      const slotOf = new Map(standIns.map((value, index) => [value, index]))
      const slots = query.parameters.map((parameter) =>
        typeof parameter === 'string' ? slotOf.get(parameter) : undefined,
      )
      const used = new Set(slots.filter((slot) => slot !== undefined))
      if (used.size !== values.length)
        throw new Error('fixedQuery: every value must be a parameter of the statement')
      compiled = { query, slots }
    }
    const { query, slots } = compiled
    return executor.executeQuery({
      ...query,
      parameters: slots.map((slot, index) =>
        slot === undefined ? query.parameters[index] : values[slot],
      ),
    })
  }
}
