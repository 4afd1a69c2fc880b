/**
 * Collecting the problems of one location (path, query, header or form) the way FastAPI lists
 * them: conversion problems first claim a value, Ajv's follow, all in field declaration order.
 */
import type { ValidateFunction } from 'ajv'
import type { Loc, ValidationIssue } from '../errors/fastapi-errors.ts'
import { ajvIssues, startsWith } from '../errors/pydantic-issues.ts'

/** A validated value and the problems found in it. */
export interface Checked {
  value: unknown
  issues: ValidationIssue[]
}

/** Orders issues by the declaration order of the field they are about (`loc[1]`); stable. */
export function inFieldOrder(
  issues: ValidationIssue[],
  fields: readonly string[],
): ValidationIssue[] {
  const rank = (issue: ValidationIssue) => {
    const field = issue.loc[1]
    if (field === undefined) return -1
    const index = fields.indexOf(String(field))
    return index < 0 ? fields.length : index
  }
  return [...issues].sort((a, b) => rank(a) - rank(b))
}

/** The value at `path` inside `root`, if there is one. */
function valueAt(root: unknown, path: Loc): { found: boolean; value: unknown } {
  let node = root
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) {
      return { found: false, value: undefined }
    }
    node = (node as Record<string | number, unknown>)[key]
  }
  return { found: true, value: node }
}

/**
 * Adds Ajv's problems to those met converting strings. A converted value keeps its first
 * problem (Ajv's on the same value are dropped), and Ajv's problems show the value as it was
 * sent, as FastAPI does (`"input": "0"` for `limit=0`): `raw` holds the strings by field.
 */
export function withAjvIssues(
  validate: ValidateFunction,
  data: Record<string, unknown>,
  raw: Record<string, unknown>,
  prefix: Loc,
  early: ValidationIssue[],
): ValidationIssue[] {
  if (validate(data)) return early
  const found = ajvIssues(validate.errors, prefix, data)
    .filter((issue) => !early.some((claimed) => startsWith(issue.loc, claimed.loc)))
    .map((issue) => {
      if (issue.type === 'missing') return issue
      const sent = valueAt(raw, issue.loc.slice(prefix.length))
      return sent.found ? { ...issue, input: sent.value } : issue
    })
  return [...early, ...found]
}
