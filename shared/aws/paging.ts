import { UnexpectedReplyError } from '../errors.js'

/**
 * The pages of an SDK paginator, failing on a next-page token served twice: such a reply would page for
 * ever (the SDK's own `stopOnSameToken` would stop quietly, a partial list read as whole).
 */
export async function* endingPages<T>(
  pages: AsyncIterable<T>,
  nextToken: (page: T) => string | undefined,
  what: string,
): AsyncGenerator<T> {
  const seen = new Set<string>()
  for await (const page of pages) {
    yield page
    const token = nextToken(page)
    if (token === undefined) continue
    if (seen.has(token)) throw new UnexpectedReplyError(`${what} served the same page token twice`)
    seen.add(token)
  }
}
