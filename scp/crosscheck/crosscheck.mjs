// Runs each simulation the Go side (magefiles/internal/scpcheck) built for a row of
// vend's SCP/RCP matrix through @cloud-copilot/iam-simulate, an evaluator written
// independently of vend's, and prints the raw outcomes as JSON. The Go side decides
// what agrees: this script stays a thin adapter so that the comparison logic is
// unit-tested in one place.
//
// Usage: node crosscheck.mjs INPUT.json  (INPUT is {"jobs": [{"id", "simulation"}]})
import { readFile } from 'node:fs/promises'
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate'

const input = JSON.parse(await readFile(process.argv[2], 'utf8'))
// The package's exports map hides package.json, so read it from the install directly.
const { version } = JSON.parse(
  await readFile(new URL('./node_modules/@cloud-copilot/iam-simulate/package.json', import.meta.url), 'utf8')
)

const outcomes = []
for (const job of input.jobs) {
  const simulation = job.simulation
  // JSON cannot carry the library's marker object by identity; the Go side sends null
  // for an unauthenticated caller (AssumeRoleWithSAML / AssumeRoleWithWebIdentity).
  if (simulation.request.principal === null) {
    simulation.request.principal = anonymousPrincipal
  }
  try {
    const r = await runSimulation(simulation, { simulationMode: 'Strict' })
    outcomes.push({
      id: job.id,
      result_type: r.resultType,
      overall_result: r.overallResult ?? '',
      errors: r.resultType === 'error' ? r.errors : undefined,
      ignored_context_keys: r.result?.ignoredContextKeys ?? [],
      blocked_by: r.result?.analysis?.blockedBy ?? []
    })
  } catch (err) {
    outcomes.push({ id: job.id, result_type: 'error', errors: { message: String(err?.message ?? err) } })
  }
}
process.stdout.write(JSON.stringify({ simulator: '@cloud-copilot/iam-simulate@' + version, outcomes }) + '\n')
