/** DynamoDB for tests and the demo: dynalite on 127.0.0.1, with the project's table and a write counter. */
import type { Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { CreateTableCommand, DynamoDBClient, UpdateTimeToLiveCommand } from '@aws-sdk/client-dynamodb'
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb'
import dynalite from 'dynalite'
import { STATE_TABLE } from '../../shared/aws/state/table-shape.js'

const WRITE_OPERATIONS = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
])

export interface LocalDynamo {
  url: string
  /** Operation names received, in order. */
  operations: string[]
  writes: () => number
  reset: () => void
  createTable: (name: string) => Promise<void>
  /** A document client on this server, marshalling as the hub's does. */
  documentClient: () => DynamoDBDocumentClient
  close: () => Promise<void>
}

export async function startDynalite(port = 0): Promise<LocalDynamo> {
  const server: Server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 })
  const operations: string[] = []
  server.on('request', (req) => {
    const target = req.headers['x-amz-target']
    if (typeof target === 'string') operations.push(target.split('.').pop() ?? target)
  })
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', resolve)
  })
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  return {
    url,
    operations,
    writes: () => operations.filter((o) => WRITE_OPERATIONS.has(o)).length,
    reset: () => {
      operations.length = 0
    },
    createTable: (name) => createStateTable(url, name),
    documentClient: () =>
      DynamoDBDocumentClient.from(localClient(url), { marshallOptions: { removeUndefinedValues: true } }),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections?.()
        server.close(() => resolve())
      }),
  }
}

/** Creates the state table as the hub template declares it (keys, status index, TTL). */
async function createStateTable(endpoint: string, name: string): Promise<void> {
  const client = localClient(endpoint)
  const { partitionKey, sortKey, indexes, ttlAttribute } = STATE_TABLE
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [
        partitionKey,
        sortKey,
        ...indexes.flatMap((index) => [index.partitionKey, index.sortKey]),
      ].map((n) => ({ AttributeName: n, AttributeType: 'S' })),
      KeySchema: [
        { AttributeName: partitionKey, KeyType: 'HASH' },
        { AttributeName: sortKey, KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: indexes.map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: 'HASH' },
          { AttributeName: index.sortKey, KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      })),
    }),
  )
  await client
    .send(
      new UpdateTimeToLiveCommand({
        TableName: name,
        TimeToLiveSpecification: { AttributeName: ttlAttribute, Enabled: true },
      }),
    )
    .catch(() => undefined) // dynalite does not implement TTL; AWS does.
  client.destroy()
}

function localClient(endpoint: string): DynamoDBClient {
  return new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  })
}
