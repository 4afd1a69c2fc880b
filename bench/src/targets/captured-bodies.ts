/** The bytes our server answered to each read scenario, as the limit server replays them. */
export interface CapturedBodies {
  /** `GET /sessions/{id}` of the ten-message session. */
  get: string
  /** `GET /sessions?agent_id=echo`: a page of 50. */
  list: string
  /** `GET /sessions/grouped?limit=100`. */
  grouped: string
}
