/** Sessions as the server sends them, from openapi.yaml's examples. */
import type { GetSessionsResponse, Session } from '../src/index.ts'

export const baseUrl = 'http://api.test'
export const sessionId = '0f8a4f0e-6a8e-4c47-9a43-1f6a9e1c2b3d'

export const readySession: Session = {
  id: sessionId,
  agent_id: 'echo',
  name: 'Summarise the attached notes.',
  created_at: '2026-11-26T09:12:43.870Z',
  updated_at: '2026-11-26T09:12:44.120Z',
  status: 'Ready',
  routine_id: null,
  messages: [
    {
      id: '7c1e2d3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
      role: 'user',
      text: 'Summarise the attached notes.',
      created_at: '2026-11-26T09:12:43.870Z',
    },
    {
      id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      role: 'assistant',
      text: 'You said: Summarise the attached notes.',
      created_at: '2026-11-26T09:12:44.120Z',
    },
  ],
}

export const runningSession: Session = {
  ...readySession,
  status: 'Running',
  messages: readySession.messages.slice(0, 1),
}

/** A page of `count` sessions with ids `s<from>`..., and `next_cursor` when given. */
export function page(from: number, count: number, next_cursor?: string): GetSessionsResponse {
  const sessions = Array.from({ length: count }, (_, i) => ({
    ...readySession,
    id: `s${from + i}`,
  }))
  return next_cursor === undefined ? { sessions } : { sessions, next_cursor }
}
