import { QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, describe, expect, it } from 'vitest'
import { DynamoStateStore } from '../../shared/aws/state/dynamo-store.js'
import { startDynalite } from '../support/dynalite.js'

const TABLE = 'ledger-test'
const dynamo = await startDynalite()
await dynamo.createTable(TABLE)
afterAll(() => dynamo.close())
const db = dynamo.documentClient()

describe('the sweep ledger at scale', () => {
  it('keeps 20,000 target accounts in rows far below the 400 KB item limit, and its rows expire', async () => {
    const store = new DynamoStateStore(db, TABLE, 30)
    const targets = Array.from({ length: 20_000 }, (_, i) => String(100_000_000_000 + i))
    const startedAt = new Date().toISOString()
    const sweepId = `large-${Date.now()}`
    await store.sweeps.start(
      {
        sweepId,
        mode: 'plan',
        trigger: 'test',
        startedAt,
        status: 'running',
        accountCount: targets.length,
        invocations: 1,
      },
      targets,
    )
    expect(await store.sweeps.targets(sweepId)).toEqual(targets)
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `SWEEP#${sweepId}` },
      }),
    )
    expect(Items.length).toBe(11) // the summary and 10 rows of targets
    for (const item of Items) {
      expect(JSON.stringify(item).length).toBeLessThan(100_000)
      expect(item.expiresAt).toBe(Math.floor(Date.parse(startedAt) / 1000) + 30 * 86_400)
    }
  })
})
