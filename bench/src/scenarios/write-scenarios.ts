import type { BenchConfig } from '../config.ts'
import type { BodySpec, LoadSpec } from '../load/load-spec.ts'
import type { WriteRow } from '../report/results.ts'
import type { ServiceProcess } from '../runtime/service-process.ts'
import { describeRound, measureInterleaved, progress } from './measure.ts'

const MiB = 1024 * 1024

const promptFields = {
  agent_id: 'echo',
  text_prompt: 'Summarise the interview notes from Tuesday.',
}
const prompt: BodySpec = { kind: 'multipart', fields: promptFields, files: [] }

interface WriteScenario {
  scenario: string
  label: string
  spec: Omit<LoadSpec, 'baseUrl' | 'connections' | 'durationS' | 'warmupS' | 'timeoutS'>
}

/**
 * The write scenarios, against our server only (the limit and the peer serve reads). The echo
 * agent answers at once (ECHO_DELAY_MS=0), so a waiting request measures the whole turn: store
 * the prompt, run the agent, store the reply, read the session back.
 */
function writeScenarios(seededSessions: number): WriteScenario[] {
  return [
    {
      scenario: 'create-async',
      label: 'POST /sessions/text, respond-async',
      spec: {
        method: 'POST',
        path: '/sessions/text',
        headers: { prefer: 'respond-async' },
        body: prompt,
      },
    },
    {
      scenario: 'create-wait',
      label: 'POST /sessions/text, waiting',
      spec: { method: 'POST', path: '/sessions/text', body: prompt },
    },
    {
      scenario: 'continue-wait',
      label: 'PUT /sessions/{id}, waiting (rotated)',
      spec: {
        method: 'PUT',
        path: '/sessions/{id}',
        body: { kind: 'json', value: { text_prompt: 'Now make it shorter.' } },
        // Every seeded session is Ready or Flushed, and one is continued again only after all
        // the others: never while its previous run is still going.
        rotateSeededSessions: { from: 0, count: seededSessions },
      },
    },
    {
      scenario: 'upload-1mib',
      label: 'POST /sessions/text + 1 MiB file, waiting',
      spec: {
        method: 'POST',
        path: '/sessions/text',
        body: {
          kind: 'multipart',
          fields: promptFields,
          files: [{ name: 'notes.bin', contentType: 'application/octet-stream', bytes: MiB }],
        },
      },
    },
  ]
}

/**
 * Runs every write scenario against our (running) server, with `seededSessions` in its store.
 */
export async function runWrites(options: {
  config: BenchConfig
  ours: ServiceProcess
  seededSessions: number
}): Promise<WriteRow[]> {
  const { config, ours, seededSessions } = options
  const rows: WriteRow[] = []
  for (const write of writeScenarios(seededSessions)) {
    const spec = (round: number): LoadSpec => {
      const rotation = write.spec.rotateSeededSessions
      return {
        ...write.spec,
        // Each round continues sessions the previous ones did not, so sessions do not grow.
        ...(rotation && {
          rotateSeededSessions: {
            ...rotation,
            start: Math.floor(((round + 1) * rotation.count) / (config.rounds + 1)),
          },
        }),
        baseUrl: ours.baseUrl,
        connections: config.connections,
        durationS: config.durationS,
        warmupS: config.warmupS,
        timeoutS: 30,
      }
    }
    const { ours: measured } = await measureInterleaved(
      { ours: [ours, spec] },
      config,
      (_, round, result) =>
        progress(`writes, ${write.scenario} #${round + 1}: ${describeRound(result)}`),
    )
    rows.push({
      kind: 'write',
      scenario: write.scenario,
      label: write.label,
      store: 'SQLite',
      sessions: seededSessions,
      ours: measured,
    })
  }
  return rows
}
