/** A deterministic organization of any size for the benchmark: realistic mixes of users and use. */
import type { OrgSeed, UserSeed } from '../emulator/seed.js'

/** mulberry32: a tiny seeded PRNG, so every run sweeps the same organization. */
function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const PROFILES = [
  { policies: ['aws:AmazonS3FullAccess'], services: ['s3', 's3-object-lambda'] },
  {
    policies: ['aws:AmazonEC2FullAccess'],
    services: ['ec2', 'elasticloadbalancing', 'cloudwatch', 'autoscaling'],
  },
  {
    policies: ['aws:AmazonDynamoDBFullAccess'],
    services: ['dynamodb', 'dax', 'lambda', 'sns', 'cloudwatch'],
  },
  { policies: ['aws:ReadOnlyAccess'], services: ['ec2', 's3', 'iam', 'cloudtrail', 'logs', 'rds'] },
  { policies: ['aws:AmazonS3FullAccess', 'aws:AmazonEC2FullAccess'], services: ['s3', 'ec2', 'cloudwatch'] },
]

export const BENCH_MANAGEMENT = '900000000000'

export function benchOrg(accounts: number, usersPerAccount: number): OrgSeed {
  const rand = random(42)
  const ids = Array.from({ length: accounts }, (_, i) => String(900000000000 + i))
  return {
    managementAccountId: BENCH_MANAGEMENT,
    accounts: ids.map((id) => ({
      id,
      users: Array.from({ length: usersPerAccount }, (_, u): UserSeed => {
        // One administrator per account; everyone else holds one or two managed policies.
        const profile =
          u === 0
            ? { policies: ['aws:AdministratorAccess'], services: ['s3', 'ec2', 'iam', 'sts', 'logs'] }
            : PROFILES[Math.floor(rand() * PROFILES.length)]
        const lastUsedDaysAgo: Record<string, number> = {}
        for (const ns of profile?.services ?? [])
          if (rand() < 0.6) lastUsedDaysAgo[ns] = Math.floor(rand() * 200)
        return {
          name: `user${String(u).padStart(3, '0')}`,
          createdDaysAgo: 200 + Math.floor(rand() * 600),
          policies: profile?.policies ?? [],
          lastUsedDaysAgo,
        }
      }),
    })),
  }
}
