import { type DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { StateTable } from '../../shared/aws/state/table.js'
import { type LocalDynamo, startDynalite } from '../support/dynalite.js'

const TABLE = 'batch-test'
let dynamo: LocalDynamo
let db: DynamoDBDocumentClient

beforeAll(async () => {
  dynamo = await startDynalite()
  await dynamo.createTable(TABLE)
  db = dynamo.documentClient()
})
afterAll(async () => {
  await dynamo.close()
})

const rows = (pk: string, n: number) =>
  Array.from({ length: n }, (_, i) => ({ pk, sk: `report#${String(i).padStart(3, '0')}`, n: i }))

/** A client whose BatchWriteItem leaves the first `unprocessed` items of each request for `rounds` rounds. */
function stubDb(unprocessed: number, rounds: number) {
  const requests: number[] = []
  const send = vi.fn(async (command: { input: { RequestItems: Record<string, unknown[]> } }) => {
    const items = command.input.RequestItems[TABLE] ?? []
    requests.push(items.length)
    const left = requests.length <= rounds ? items.slice(0, unprocessed) : []
    return { UnprocessedItems: left.length > 0 ? { [TABLE]: left } : {} }
  })
  return { db: { send } as unknown as DynamoDBDocumentClient, requests }
}

describe('StateTable.putAll', () => {
  it('writes 60 rows in three requests, every row readable after', async () => {
    const table = new StateTable(db, TABLE)
    const before = dynamo.operations.filter((o) => o === 'BatchWriteItem').length
    await table.putAll(rows('account#batch-60', 60))
    expect(dynamo.operations.filter((o) => o === 'BatchWriteItem').length - before).toBe(3)
    const { Items = [] } = await db.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'account#batch-60' },
      }),
    )
    expect(Items.map((i) => i.n).sort((a, b) => a - b)).toEqual(rows('x', 60).map((r) => r.n))
    // Counted as the writes they are (the benchmark's measure), not as requests.
    expect(table.writeCount).toBe(60)
  })

  it('sends again what DynamoDB leaves unprocessed until none is left', async () => {
    vi.useFakeTimers()
    try {
      const { db: stub, requests } = stubDb(4, 2)
      const done = new StateTable(stub, TABLE).putAll(rows('account#x', 10))
      await vi.runAllTimersAsync()
      await done
      expect(requests).toEqual([10, 4, 4])
    } finally {
      vi.useRealTimers()
    }
  })

  it('fails, naming how many rows are left, when DynamoDB keeps leaving them unprocessed', async () => {
    vi.useFakeTimers()
    try {
      const { db: stub, requests } = stubDb(3, Number.POSITIVE_INFINITY)
      const done = new StateTable(stub, TABLE).putAll(rows('account#x', 5))
      const failed = expect(done).rejects.toThrow(/3 rows left unprocessed by BatchWriteItem on batch-test/)
      await vi.runAllTimersAsync()
      await failed
      expect(requests).toEqual([5, 3, 3, 3, 3, 3])
    } finally {
      vi.useRealTimers()
    }
  })
})
