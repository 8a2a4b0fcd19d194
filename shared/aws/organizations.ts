import { type OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations'
import { UnexpectedReplyError } from '../errors.js'

export interface OrgAccount {
  id: string
  name: string
  /** `State` when Organizations returns it, else the legacy `Status`. */
  state: string
}

/** Every account of the organization, through the SDK's paginator. */
export async function listAccounts(client: OrganizationsClient): Promise<OrgAccount[]> {
  const accounts: OrgAccount[] = []
  for await (const page of paginateListAccounts({ client }, {})) {
    for (const a of page.Accounts ?? []) {
      const state = a.State ?? a.Status
      if (!a.Id || !state)
        throw new UnexpectedReplyError('ListAccounts returned an account without Id or State/Status')
      accounts.push({ id: a.Id, name: a.Name ?? a.Id, state })
    }
  }
  return accounts
}
