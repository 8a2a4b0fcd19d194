/** A deterministic organization of any size for the benchmark: realistic mixes of users and use. */
import { CATALOG } from '../../shared/domain/actions/catalog.js'
import type { OrgSeed, UserSeed } from '../emulator/seed.js'

/**
 * What a use of a service touches: a few of its tracked reads, as most users call a handful of a
 * service's actions (Access Advisor then lists those, not all 700 of EC2's); the service itself when it
 * has no tracked action. The same service always gives the same actions.
 */
export function usedKeys(ns: string): string[] {
  const tracked = CATALOG.trackedIn(ns)
  if (tracked.length === 0) return [ns]
  const reads = tracked.filter((a) => /^(Get|List|Describe)/.test(a))
  return (reads.length > 0 ? reads : tracked).slice(0, 6).map((a) => `${ns}:${a}`)
}

/** `lastUsedDaysAgo` with each service's use spread over the actions it touches. */
function byAction(lastUsedDaysAgo: Record<string, number>): Record<string, number> {
  return Object.fromEntries(
    Object.entries(lastUsedDaysAgo).flatMap(([key, days]) =>
      (key.includes(':') ? [key] : usedKeys(key)).map((k) => [k, days] as const),
    ),
  )
}

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

const ADMIN = {
  policies: ['aws:AdministratorAccess'],
  services: ['s3:GetObject', 'ec2:DescribeInstances', 'iam:GetUser', 'sts:GetCallerIdentity', 'logs'],
}

export const BENCH_MANAGEMENT = '900000000000'

export function benchOrg(accounts: number, usersPerAccount: number): OrgSeed {
  const rand = random(42)
  const ids = Array.from({ length: accounts }, (_, i) => String(900000000000 + i))
  return {
    managementAccountId: BENCH_MANAGEMENT,
    accounts: ids.map((id) => ({
      id,
      users: Array.from({ length: usersPerAccount }, (_, u): UserSeed => {
        // One administrator per account, who uses a few actions of the services they use (so action-level
        // denies are written for them); everyone else holds one or two managed policies.
        const profile = u === 0 ? ADMIN : PROFILES[Math.floor(rand() * PROFILES.length)]
        const lastUsedDaysAgo: Record<string, number> = {}
        for (const ns of profile?.services ?? [])
          if (rand() < 0.6) lastUsedDaysAgo[ns] = Math.floor(rand() * 200)
        return {
          name: `user${String(u).padStart(3, '0')}`,
          createdDaysAgo: 200 + Math.floor(rand() * 600),
          policies: profile?.policies ?? [],
          lastUsedDaysAgo: byAction(lastUsedDaysAgo),
        }
      }),
    })),
  }
}

/** Services the week's users hold 20 of: common ones, all in IAM's catalog. */
const WEEK_SERVICES = [
  's3',
  'ec2',
  'lambda',
  'dynamodb',
  'sqs',
  'sns',
  'logs',
  'cloudwatch',
  'kms',
  'secretsmanager',
  'ssm',
  'ecr',
  'ecs',
  'eks',
  'rds',
  'athena',
  'glue',
  'kinesis',
  'firehose',
  'states',
  'events',
  'apigateway',
  'cloudformation',
  'cloudtrail',
  'config',
  'route53',
  'acm',
  'elasticloadbalancing',
  'autoscaling',
  'elasticache',
  'es',
  'redshift',
  'sagemaker',
  'codebuild',
  'codepipeline',
  'codecommit',
  'xray',
  'backup',
  'batch',
  'guardduty',
]

/** How a user uses one service: chance of a use on a day they are active. */
export interface Habit {
  namespace: string
  dailyUse: number
}

export interface WeekOrg {
  seed: OrgSeed
  /** Per account, per user name: their habits. */
  habits: Map<string, Map<string, Habit[]>>
}

/** Whether the week's user number `u` works in the console (with a password) rather than with a key. */
export const signsIn = (u: number) => u % 4 === 1
const lastActive = (lastUsedDaysAgo: Record<string, number>) => Math.min(...Object.values(lastUsedDaysAgo))

/**
 * The simulated week's organization: every user holds 20 services (one inline policy) with habits:
 * regular ones (30%) used most active days, occasional ones (45%) now and then, abandoned ones (5%) last
 * used 80 to 100 days ago, so that some drift past a 90-day window during the week, and 20% never used.
 * Each account's administrator holds every service and uses a few. A `dormantShare` of the other users
 * (spread evenly, whatever the random draws) is dormant: last active two weeks or more before the week,
 * and idle through it, as leavers and forgotten service users are.
 */
export function weekOrg(accounts: number, usersPerAccount: number, dormantShare = 0): WeekOrg {
  const rand = random(7)
  const habits = new Map<string, Map<string, Habit[]>>()
  const ids = Array.from({ length: accounts }, (_, i) => String(900000000000 + i))
  const seed: OrgSeed = {
    managementAccountId: BENCH_MANAGEMENT,
    accounts: ids.map((id) => {
      const byUser = new Map<string, Habit[]>()
      habits.set(id, byUser)
      return {
        id,
        users: Array.from({ length: usersPerAccount }, (_, u): UserSeed => {
          const name = `user${String(u).padStart(3, '0')}`
          const held =
            u === 0 ? WEEK_SERVICES.slice(0, 30) : [...WEEK_SERVICES].sort(() => rand() - 0.5).slice(0, 20)
          const lastUsedDaysAgo: Record<string, number> = {}
          const mine: Habit[] = []
          for (const ns of held) {
            const kind = rand()
            if (kind < 0.3) {
              mine.push({ namespace: ns, dailyUse: 0.6 })
              lastUsedDaysAgo[ns] = Math.floor(rand() * 3)
            } else if (kind < 0.75) {
              mine.push({ namespace: ns, dailyUse: 0.04 })
              lastUsedDaysAgo[ns] = 5 + Math.floor(rand() * 55)
            } else if (kind < 0.8) {
              // Abandoned 80 to 100 days ago: past a 90-day window already, or drifting past it this week.
              lastUsedDaysAgo[ns] = 80 + Math.floor(rand() * 21)
            } // else never used
          }
          const dormant = u !== 0 && (u * 0.618_033_988_75) % 1 < dormantShare
          if (dormant)
            for (const ns of Object.keys(lastUsedDaysAgo))
              lastUsedDaysAgo[ns] = (lastUsedDaysAgo[ns] ?? 0) + 14
          byUser.set(name, dormant ? [] : mine)
          return {
            name,
            createdDaysAgo: 300 + Math.floor(rand() * 500),
            ...(u === 0
              ? { policies: ['aws:AdministratorAccess'] }
              : {
                  inline: [
                    {
                      Version: '2012-10-17',
                      Statement: [{ Effect: 'Allow', Action: held.map((s) => `${s}:*`), Resource: '*' }],
                    },
                  ],
                }),
            lastUsedDaysAgo: byAction(lastUsedDaysAgo),
            // Every user signs their requests with something that keeps its last use: one in four signs in
            // to the console, the others use an access key (last used when they last used a service).
            ...(signsIn(u)
              ? {
                  password: Number.isFinite(lastActive(lastUsedDaysAgo))
                    ? { lastUsedDaysAgo: lastActive(lastUsedDaysAgo) }
                    : {},
                }
              : { accessKeys: [{}] }),
          }
        }),
      }
    }),
  }
  return { seed, habits }
}

/**
 * One day of the week: 60% of users are active, and an active user uses each service with its habit's
 * chance. The same day gives the same uses in every copy of the organization.
 */
export function dayOfUse(
  habits: WeekOrg['habits'],
  day: number,
  use: (accountId: string, userName: string, namespace: string) => void,
): void {
  const rand = random(1_000 + day)
  for (const [accountId, users] of habits)
    for (const [userName, mine] of users) {
      if (rand() >= 0.6) continue
      for (const habit of mine) if (rand() < habit.dailyUse) use(accountId, userName, habit.namespace)
    }
}
