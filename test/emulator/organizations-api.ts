/** Organizations over JSON 1.1, as much as the hub calls: ListAccounts, from the management account only. */
import type { EmState } from './model.js'
import { AwsFault } from './wire.js'

export interface OrganizationsContext {
  state: EmState
  callerAccountId: string
  /** Accounts seeded as from before `State` existed report only the legacy `Status`. */
  legacyStatusAccounts: ReadonlySet<string>
}

const LEGACY_STATUS: Record<string, string> = {
  ACTIVE: 'ACTIVE',
  SUSPENDED: 'SUSPENDED',
  PENDING_CLOSURE: 'PENDING_CLOSURE',
  CLOSED: 'SUSPENDED',
  PENDING_ACTIVATION: 'ACTIVE',
}

export function handleOrganizations(
  ctx: OrganizationsContext,
  operation: string,
  body: Record<string, unknown>,
): object {
  if (operation !== 'ListAccounts') throw new AwsFault('InvalidAction', `Unknown operation ${operation}`)
  if (ctx.callerAccountId !== ctx.state.managementAccountId) {
    throw new AwsFault('AccessDeniedException', "You don't have permissions to access this resource.", 400)
  }
  const max = body.MaxResults === undefined ? 20 : Number(body.MaxResults)
  if (!Number.isInteger(max) || max < 1 || max > 20)
    throw new AwsFault('InvalidInputException', 'MaxResults must be 1 to 20', 400)
  const start =
    typeof body.NextToken === 'string' ? Number(Buffer.from(body.NextToken, 'base64').toString()) : 0
  if (!Number.isInteger(start) || start < 0)
    throw new AwsFault('InvalidInputException', 'invalid NextToken', 400)
  const all = [...ctx.state.accounts.values()]
  const slice = all.slice(start, start + max).map((a) => ({
    Id: a.id,
    Arn: `arn:aws:organizations::${ctx.state.managementAccountId}:account/o-emulator/${a.id}`,
    Email: a.email,
    Name: a.name,
    ...(ctx.legacyStatusAccounts.has(a.id)
      ? { Status: LEGACY_STATUS[a.state] ?? a.state }
      : { State: a.state }),
    JoinedMethod: a.id === ctx.state.managementAccountId ? 'CREATED' : 'INVITED',
    JoinedTimestamp: 1_600_000_000,
  }))
  const next = start + max
  return next < all.length
    ? { Accounts: slice, NextToken: Buffer.from(String(next)).toString('base64') }
    : { Accounts: slice }
}
