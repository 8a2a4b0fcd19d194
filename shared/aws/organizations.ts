import { type OrganizationsClient, paginateListAccounts } from '@aws-sdk/client-organizations'
import { UnexpectedReplyError } from '../errors.js'
import type { OrgAccount, Organization } from '../ports.js'
import { endingPages } from './paging.js'

/** The organization's accounts, through the SDK's paginator. */
export function organizationOver(client: OrganizationsClient): Organization {
  return {
    async accounts(): Promise<OrgAccount[]> {
      const accounts: OrgAccount[] = []
      for await (const page of endingPages(
        paginateListAccounts({ client }, {}),
        (p) => p.NextToken,
        'ListAccounts',
      )) {
        for (const a of page.Accounts ?? []) {
          const state = a.State ?? a.Status
          if (!a.Id || !state)
            throw new UnexpectedReplyError('ListAccounts returned an account without Id or State/Status')
          accounts.push({ id: a.Id, name: a.Name ?? a.Id, state })
        }
      }
      return accounts
    },
  }
}
