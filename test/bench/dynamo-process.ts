/**
 * Child process of the benchmark: serves dynalite with the state table, and counts its writes. Apart from
 * the emulator, as DynamoDB is apart from IAM: a burst of state writes never delays an IAM reply.
 */
import { startDynalite } from '../support/dynalite.js'

export type DynamoCommand = { cmd: 'counts' } | { cmd: 'reset' } | { cmd: 'stop' }

const table = process.env.BENCH_TABLE ?? 'bench-state'
const dynamo = await startDynalite()
await dynamo.createTable(table)
process.send?.({ ready: true, url: dynamo.url })

process.on('message', async (message: DynamoCommand) => {
  if (message.cmd === 'counts') process.send?.({ dynamoWrites: dynamo.writes() })
  else if (message.cmd === 'reset') {
    dynamo.reset()
    process.send?.({ reset: true })
  } else {
    await dynamo.close()
    process.exit(0)
  }
})
