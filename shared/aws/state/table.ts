import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb'
import type { z } from 'zod'
import { UnexpectedReplyError } from '../../errors.js'
import type { UnreadableRow } from '../../ports.js'
import { parseRow, unreadableRow } from './rows.js'
import { STATE_TABLE } from './table-shape.js'

export type QueryInput = Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>
type Key = { pk: string; sk: string }
type Item = Key & Record<string, unknown>

/** DynamoDB's largest batch write. */
export const BATCH_WRITE_ITEMS = 25
/** Rounds of sending back what a batch left unprocessed (throttled), with a growing pause between. */
const UNPROCESSED_ROUNDS = 6

/** The state table's plumbing, shared by the ledger, the user states and the audit queries. */
export class StateTable {
  /** Write requests made, so that the benchmark can measure them. */
  writeCount = 0

  /**
   * @param unreadable told each row a list or lookup leaves out because it cannot be read as what its key
   *   says (the wiring alerts it): one bad row never stops an audit view, a sweep's start or its resume.
   */
  constructor(
    private readonly db: DynamoDBDocumentClient,
    readonly name: string,
    readonly unreadable: (row: UnreadableRow) => void = () => undefined,
  ) {}

  async put(item: Item): Promise<void> {
    this.writeCount++
    await this.db.send(new PutCommand({ TableName: this.name, Item: item }))
  }

  /**
   * Unconditional puts, 25 to a request: one call instead of 25 when many rows are written together.
   * Items DynamoDB leaves unprocessed (throttled) are sent again; any still left after that fail the call.
   */
  async putAll(items: readonly Item[]): Promise<void> {
    for (let i = 0; i < items.length; i += BATCH_WRITE_ITEMS)
      await this.batchPut(items.slice(i, i + BATCH_WRITE_ITEMS))
  }

  private async batchPut(items: readonly Item[]): Promise<void> {
    let requests = items.map((Item) => ({ PutRequest: { Item } }))
    this.writeCount += requests.length
    for (let round = 0; requests.length > 0; round++) {
      if (round === UNPROCESSED_ROUNDS)
        throw new UnexpectedReplyError(
          `${requests.length} rows left unprocessed by BatchWriteItem on ${this.name}`,
        )
      if (round > 0) await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round))
      const reply = await this.db.send(new BatchWriteCommand({ RequestItems: { [this.name]: requests } }))
      requests = (reply.UnprocessedItems?.[this.name] ?? []).flatMap((r) =>
        r.PutRequest?.Item ? [{ PutRequest: { Item: r.PutRequest.Item as Item } }] : [],
      )
    }
  }

  /** A conditional put; false when the condition does not hold. */
  async putIf(
    item: Item,
    condition: Pick<
      ConstructorParameters<typeof PutCommand>[0],
      'ConditionExpression' | 'ExpressionAttributeNames' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    return this.unlessConditionFails(() =>
      this.db.send(new PutCommand({ TableName: this.name, Item: item, ...condition })),
    )
  }

  async update(
    key: Key,
    update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ): Promise<void> {
    this.writeCount++
    await this.db.send(new UpdateCommand({ TableName: this.name, Key: key, ...update }))
  }

  /** A conditional update; false when the condition does not hold. */
  async updateIf(
    key: Key,
    update: Omit<ConstructorParameters<typeof UpdateCommand>[0], 'TableName' | 'Key'>,
  ): Promise<boolean> {
    return this.unlessConditionFails(() =>
      this.db.send(new UpdateCommand({ TableName: this.name, Key: key, ...update })),
    )
  }

  async delete(key: Key): Promise<void> {
    this.writeCount++
    await this.db.send(new DeleteCommand({ TableName: this.name, Key: key }))
  }

  /** A conditional delete; false when the condition does not hold. */
  async deleteIf(
    key: Key,
    condition: Pick<
      ConstructorParameters<typeof DeleteCommand>[0],
      'ConditionExpression' | 'ExpressionAttributeValues'
    >,
  ): Promise<boolean> {
    return this.unlessConditionFails(() =>
      this.db.send(new DeleteCommand({ TableName: this.name, Key: key, ...condition })),
    )
  }

  /** Sends a conditional write; false when its condition does not hold (another writer got there). */
  private async unlessConditionFails(send: () => Promise<unknown>): Promise<boolean> {
    this.writeCount++
    try {
      await send()
      return true
    } catch (error) {
      if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return false
      throw error
    }
  }

  /** An item as stored, for the table's own bookkeeping rows. */
  async raw(key: Key): Promise<Record<string, unknown> | undefined> {
    return (await this.db.send(new GetCommand({ TableName: this.name, Key: key }))).Item
  }

  /** One item, parsed; a malformed one throws, naming its key. */
  async get<S extends z.ZodType>(key: Key, schema: S): Promise<z.output<S> | undefined> {
    const reply = await this.db.send(new GetCommand({ TableName: this.name, Key: key }))
    return reply.Item ? parseRow(schema, reply.Item) : undefined
  }

  /** One item, parsed; a malformed one is told and read as absent. */
  async find<S extends z.ZodType>(key: Key, schema: S): Promise<z.output<S> | undefined> {
    const reply = await this.db.send(new GetCommand({ TableName: this.name, Key: key }))
    return reply.Item ? this.readable(schema, [reply.Item])[0] : undefined
  }

  /** Every page of a query, as raw items. */
  async query(input: QueryInput): Promise<Record<string, unknown>[]> {
    const out: Record<string, unknown>[] = []
    for await (const page of paginateQuery({ client: this.db }, { TableName: this.name, ...input })) {
      out.push(...(page.Items ?? []))
    }
    return out
  }

  /** One page of a query (with a limit), parsed; rows that cannot be read are told and left out. */
  async queryPage<S extends z.ZodType>(input: QueryInput, schema: S): Promise<z.output<S>[]> {
    const { Items = [] } = await this.db.send(new QueryCommand({ TableName: this.name, ...input }))
    return this.readable(schema, Items)
  }

  /** Every page of a query, parsed; rows that cannot be read are told and left out. */
  async queryParsed<S extends z.ZodType>(input: QueryInput, schema: S): Promise<z.output<S>[]> {
    return this.readable(schema, await this.query(input))
  }

  /** Every page of a query, parsed; one row that cannot be read fails it (a list that must be whole). */
  async queryWhole<S extends z.ZodType>(input: QueryInput, schema: S): Promise<z.output<S>[]> {
    return (await this.query(input)).map((item) => parseRow(schema, item))
  }

  private readable<S extends z.ZodType>(schema: S, items: readonly Record<string, unknown>[]): z.output<S>[] {
    return items.flatMap((item) => {
      try {
        return [parseRow(schema, item)]
      } catch (error) {
        this.unreadable(unreadableRow(item, error))
        return []
      }
    })
  }

  /** Every row under one key of the status index. */
  async byIndex<S extends z.ZodType>(gsi1pk: string, schema: S): Promise<z.output<S>[]> {
    return this.queryParsed(
      {
        IndexName: STATE_TABLE.statusIndex.name,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': gsi1pk },
      },
      schema,
    )
  }
}
