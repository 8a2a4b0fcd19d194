import { describe, expect, it } from 'vitest'
import { endingPages } from '../../shared/aws/paging.js'
import { UnexpectedReplyError } from '../../shared/errors.js'

async function* pagesOf(tokens: (string | undefined)[]) {
  for (const [i, token] of tokens.entries()) yield { n: i, token }
}

async function read(tokens: (string | undefined)[]) {
  const seen: number[] = []
  for await (const page of endingPages(pagesOf(tokens), (p) => p.token, 'ListThings')) seen.push(page.n)
  return seen
}

describe('endingPages', () => {
  it('yields every page of a listing that ends', async () => {
    expect(await read(['a', 'b', undefined])).toEqual([0, 1, 2])
  })

  it('fails, naming the call, on a page token served twice: a listing that would never end', async () => {
    const listing = read(['a', 'b', 'a', 'b'])
    await expect(listing).rejects.toThrow(UnexpectedReplyError)
    await expect(listing).rejects.toThrow('ListThings served the same page token twice')
  })
})
