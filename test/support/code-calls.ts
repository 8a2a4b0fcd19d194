/**
 * The AWS actions the project's code calls, read from its own source: every SDK command and paginator
 * it imports and uses, mapped to the IAM action that authorizes it. The role tests compare the templates
 * with this list, so a new call without a permission (or a permission without a call) fails a test.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

const PREFIX: Record<string, string> = {
  '@aws-sdk/client-iam': 'iam',
  '@aws-sdk/client-sts': 'sts',
  '@aws-sdk/client-organizations': 'organizations',
  '@aws-sdk/client-lambda': 'lambda',
  '@aws-sdk/lib-dynamodb': 'dynamodb',
  '@aws-sdk/client-secrets-manager': 'secretsmanager',
}

/** Where the SDK's command name differs from the IAM action. */
const ACTION_NAME: Record<string, string> = {
  'lambda:Invoke': 'lambda:InvokeFunction',
  'dynamodb:Put': 'dynamodb:PutItem',
  'dynamodb:Get': 'dynamodb:GetItem',
  'dynamodb:Update': 'dynamodb:UpdateItem',
  'dynamodb:Delete': 'dynamodb:DeleteItem',
  'dynamodb:BatchWrite': 'dynamodb:BatchWriteItem',
  'dynamodb:BatchGet': 'dynamodb:BatchGetItem',
}

/** Calls that need no permission: "No permissions are required to perform this operation" (STS reference). */
const NO_PERMISSION = new Set(['sts:GetCallerIdentity'])

/** Actions IAM checks in addition to the call's own (documented per API). */
const IMPLIED: Record<string, string[]> = {
  // CreatePolicy with Tags also needs iam:TagPolicy (the writer always tags).
  'iam:CreatePolicy': ['iam:TagPolicy'],
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return sources(path)
    return path.endsWith('.ts') && !path.endsWith('.d.ts') ? [path] : []
  })
}

export function codeCalls(root: string): Set<string> {
  const actions = new Set<string>()
  for (const file of [...sources(join(root, 'shared')), ...sources(join(root, 'hub'))]) {
    const text = readFileSync(file, 'utf8')
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
      const prefix = PREFIX[m[2] ?? '']
      if (!prefix) continue
      for (const raw of (m[1] ?? '').split(',')) {
        const name =
          raw
            .replace(/^\s*type\s+/, '')
            .trim()
            .split(/\s+as\s+/)[0] ?? ''
        const operation = /^(\w+)Command$/.exec(name)?.[1] ?? /^paginate(\w+)$/.exec(name)?.[1]
        if (!operation || raw.trim().startsWith('type ')) continue
        if (!new RegExp(`\\b${name}\\b`).test(text.replace(m[0], ''))) continue // imported but unused
        const action = ACTION_NAME[`${prefix}:${operation}`] ?? `${prefix}:${operation}`
        if (!NO_PERMISSION.has(action)) actions.add(action)
        for (const implied of IMPLIED[action] ?? []) actions.add(implied)
      }
    }
  }
  return actions
}
