import { runSimulation } from '@cloud-copilot/iam-simulate'
import { describe, expect, it } from 'vitest'
import { STATE_TABLE } from '../../shared/aws/state/table-shape.js'
import { loadTemplate, resolve, type Template } from '../support/cloudformation.js'
import { codeCalls } from '../support/code-calls.js'

const HUB_ACCOUNT = '111111111111'
const MEMBER = '222222222222'
const PATH = '/least-privilege/'
const SPOKE = 'LeastPrivilegeSpoke'
const STACK = 'least-privilege'
const calls = codeCalls(process.cwd())
const iamCalls = [...calls].filter((a) => a.startsWith('iam:')).sort()
const hubCalls = [...calls].filter((a) => !a.startsWith('iam:')).sort()

type Statement = {
  Effect: string
  Action: string | string[]
  Resource: string | string[]
  Condition?: unknown
}
type Policy = { Version: string; Statement: Statement[] }

function rolePolicy(
  template: Template,
  resource: string,
  values: Record<string, string>,
  conditions = {},
): Policy {
  const props = resolve(template.Resources[resource]?.Properties, values, conditions) as {
    Policies: { PolicyDocument: Policy }[]
  }
  expect(props.Policies).toHaveLength(1)
  return props.Policies[0]?.PolicyDocument as Policy
}
const actionsOf = (policy: Policy) =>
  policy.Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])).sort()

const spokeWith = (deletesInactiveKeys: boolean) =>
  rolePolicy(
    loadTemplate('spoke-role-template/spoke-role.yaml'),
    'SpokeRole',
    {
      'AWS::Partition': 'aws',
      'AWS::AccountId': MEMBER,
      HubAccountId: HUB_ACCOUNT,
      HubRoleName: `${STACK}-hub`,
      OperatorRoleName: `${STACK}-operator`,
      RoleName: SPOKE,
      ExternalId: 'external-id',
      PolicyPath: PATH,
    },
    { DeletesInactiveKeys: deletesInactiveKeys },
  )
/** As deployed by default: CREDENTIAL_DELETE_AFTER_DAYS off. */
const spokePolicy = spokeWith(false)
/** The one call the code makes only when the operator turned key deletion on. */
const DELETION = 'iam:DeleteAccessKey'
const SLACK_SECRET = `arn:aws:secretsmanager:us-east-1:${HUB_ACCOUNT}:secret:least-privilege/slack-AbCdEf`
const TABLE_ARN = `arn:aws:dynamodb:us-east-1:${HUB_ACCOUNT}:table/${STACK}-state`
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${HUB_ACCOUNT}:function:${STACK}-hub`
const FAILED_QUEUE = `arn:aws:sqs:us-east-1:${HUB_ACCOUNT}:${STACK}-failed-invocations`
const STACK_ID = `arn:aws:cloudformation:us-east-1:${HUB_ACCOUNT}:stack/${STACK}/0f1e2d3c-aaaa-bbbb-cccc-123456789012`
/** What CloudFormation substitutes in the hub template for a stack named least-privilege. */
const HUB_VALUES = {
  'AWS::Partition': 'aws',
  'AWS::AccountId': HUB_ACCOUNT,
  'AWS::Region': 'us-east-1',
  'AWS::StackName': STACK,
  'AWS::StackId': STACK_ID,
  SpokeRoleName: SPOKE,
  'StateTable.Arn': TABLE_ARN,
  'HubLogGroup.Arn': `arn:aws:logs:us-east-1:${HUB_ACCOUNT}:log-group:/aws/lambda/${STACK}-hub`,
  'FailedInvocationsQueue.Arn': FAILED_QUEUE,
  'HubFunction.Arn': FUNCTION_ARN,
  SlackWebhookSecretArn: SLACK_SECRET,
}
const hubPolicy = rolePolicy(loadTemplate('hub/template.yaml'), 'HubRole', HUB_VALUES, {
  HasSlackWebhook: true,
})

const spokePrincipal = `arn:aws:iam::${MEMBER}:role/${SPOKE}`
const hubPrincipal = `arn:aws:iam::${HUB_ACCOUNT}:role/${STACK}-hub`
const operatorPrincipal = `arn:aws:iam::${HUB_ACCOUNT}:role/${STACK}-operator`
const OUR_POLICY = `arn:aws:iam::${MEMBER}:policy${PATH}LeastPrivilegeDeny.1.bob`
const BOB = `arn:aws:iam::${MEMBER}:user/bob`
const SPOKE_ROLE = `arn:aws:iam::${MEMBER}:role/${SPOKE}`
const ALLOW_ALL = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
/** Lambda puts the function's ARN on every call its code makes with the role's credentials. */
const INSIDE_HUB = { 'lambda:SourceFunctionArn': FUNCTION_ARN }
/** A cross-account request inside the organization, with the spoke role's ExternalId. */
const ORG = { 'sts:ExternalId': 'external-id', 'aws:PrincipalOrgID': 'o-ours', 'aws:ResourceOrgID': 'o-ours' }

/** A representative request for every call the code makes with the spoke role. */
const SPOKE_REQUESTS: Record<string, { resource: string; context?: Record<string, string> }> = {
  'iam:GetAccountAuthorizationDetails': { resource: '*' },
  'iam:GetAccountSummary': { resource: '*' },
  'iam:GetServiceLastAccessedDetails': { resource: '*' },
  'iam:GenerateServiceLastAccessedDetails': { resource: BOB },
  'iam:GenerateCredentialReport': { resource: '*' },
  'iam:GetCredentialReport': { resource: '*' },
  'iam:ListAccessKeys': { resource: BOB },
  'iam:GetAccessKeyLastUsed': { resource: BOB },
  'iam:GetLoginProfile': { resource: BOB },
  'iam:GetUser': { resource: BOB },
  'iam:UpdateAccessKey': { resource: BOB },
  'iam:ListSSHPublicKeys': { resource: BOB },
  'iam:ListServiceSpecificCredentials': { resource: BOB },
  'iam:UpdateSSHPublicKey': { resource: BOB },
  'iam:UpdateServiceSpecificCredential': { resource: BOB },
  'iam:DeleteLoginProfile': { resource: BOB },
  'iam:CreatePolicy': { resource: OUR_POLICY },
  'iam:TagPolicy': { resource: OUR_POLICY },
  'iam:CreatePolicyVersion': { resource: OUR_POLICY },
  'iam:DeletePolicyVersion': { resource: OUR_POLICY },
  'iam:DeletePolicy': { resource: OUR_POLICY },
  'iam:AttachUserPolicy': { resource: BOB, context: { 'iam:PolicyARN': OUR_POLICY } },
  'iam:DetachUserPolicy': { resource: BOB, context: { 'iam:PolicyARN': OUR_POLICY } },
  'iam:ListEntitiesForPolicy': { resource: OUR_POLICY },
  'iam:DetachGroupPolicy': {
    resource: `arn:aws:iam::${MEMBER}:group/dev`,
    context: { 'iam:PolicyARN': OUR_POLICY },
  },
  'iam:DetachRolePolicy': {
    resource: `arn:aws:iam::${MEMBER}:role/app`,
    context: { 'iam:PolicyARN': OUR_POLICY },
  },
}
const HUB_REQUESTS: Record<string, string> = {
  'organizations:ListAccounts': '*',
  'sts:AssumeRole': `arn:aws:iam::${MEMBER}:role/${SPOKE}`,
  'dynamodb:GetItem': TABLE_ARN,
  'dynamodb:PutItem': TABLE_ARN,
  'dynamodb:BatchWriteItem': TABLE_ARN,
  'dynamodb:UpdateItem': TABLE_ARN,
  'dynamodb:DeleteItem': TABLE_ARN,
  'dynamodb:Query': `${TABLE_ARN}/index/status-index`,
  'lambda:InvokeFunction': FUNCTION_ARN,
  'secretsmanager:GetSecretValue': SLACK_SECRET,
}

const trustPolicy = resolve(
  loadTemplate('spoke-role-template/spoke-role.yaml').Resources.SpokeRole?.Properties
    ?.AssumeRolePolicyDocument,
  {
    'AWS::Partition': 'aws',
    HubAccountId: HUB_ACCOUNT,
    HubRoleName: `${STACK}-hub`,
    OperatorRoleName: `${STACK}-operator`,
    ExternalId: 'external-id',
  },
) as { Statement: { Condition: Record<string, Record<string, string>> }[] }

async function verdict(
  policy: Policy,
  principal: string,
  action: string,
  resource: string,
  context: Record<string, string | string[]> = {},
  resourcePolicy?: unknown,
  scp?: unknown,
) {
  const result = await runSimulation(
    {
      identityPolicies: [{ name: 'role', policy }],
      // SCPs filter what identity policies allow: the root keeps AWS's default FullAWSAccess beside ours.
      serviceControlPolicies: scp
        ? [
            {
              orgIdentifier: 'r-root',
              policies: [
                { name: 'FullAWSAccess', policy: ALLOW_ALL },
                { name: 'guardrail', policy: scp },
              ],
            },
          ]
        : [],
      resourceControlPolicies: [],
      ...(resourcePolicy ? { resourcePolicy } : {}),
      request: {
        action,
        principal,
        // A request on "*" is in the caller's own account.
        resource: { resource, accountId: resource.split(':')[4] || principal.split(':')[4] || MEMBER },
        contextVariables: context,
      },
    },
    {},
  )
  if (result.resultType === 'error')
    throw new Error(`${action} on ${resource}: ${JSON.stringify(result.errors)}`)
  return result.overallResult
}

describe('the spoke role grants exactly what the engine calls', () => {
  it('lists the same IAM actions as the code calls, no more, no fewer; deletion only when turned on', () => {
    expect(iamCalls).toContain(DELETION)
    expect(actionsOf(spokePolicy)).toEqual(iamCalls.filter((a) => a !== DELETION))
    expect(actionsOf(spokeWith(true))).toEqual(iamCalls)
    expect(Object.keys(SPOKE_REQUESTS).sort()).toEqual(iamCalls.filter((a) => a !== DELETION))
  })

  it("deletes a user's access key only when key deletion is turned on, and only this account's", async () => {
    expect(await verdict(spokePolicy, spokePrincipal, DELETION, BOB)).not.toBe('Allowed')
    const deleting = spokeWith(true)
    expect(await verdict(deleting, spokePrincipal, DELETION, BOB)).toBe('Allowed')
    expect(await verdict(deleting, spokePrincipal, DELETION, 'arn:aws:iam::999999999999:user/bob')).not.toBe(
      'Allowed',
    )
    // Turning deletion on grants nothing else.
    expect(actionsOf(deleting).filter((a) => !actionsOf(spokePolicy).includes(a))).toEqual([DELETION])
    for (const [action, resource] of [
      ['iam:CreateAccessKey', BOB],
      ['iam:DeleteUser', BOB],
      ['iam:DeleteSSHPublicKey', BOB],
      ['iam:DeleteServiceSpecificCredential', BOB],
      ['iam:DeleteSigningCertificate', BOB],
    ] as const)
      expect(await verdict(deleting, spokePrincipal, action, resource)).not.toBe('Allowed')
  })

  it.each(Object.entries(SPOKE_REQUESTS))('allows %s', async (action, request) => {
    expect(await verdict(spokePolicy, spokePrincipal, action, request.resource, request.context)).toBe(
      'Allowed',
    )
  })

  it.each([
    [
      'attaching AdministratorAccess',
      'iam:AttachUserPolicy',
      BOB,
      { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    ],
    [
      'attaching a customer policy outside the path',
      'iam:AttachUserPolicy',
      BOB,
      { 'iam:PolicyARN': `arn:aws:iam::${MEMBER}:policy/team-policy` },
    ],
    [
      "detaching the user's own policies",
      'iam:DetachUserPolicy',
      BOB,
      { 'iam:PolicyARN': `arn:aws:iam::${MEMBER}:policy/team-policy` },
    ],
    [
      'editing a policy outside the path',
      'iam:CreatePolicyVersion',
      `arn:aws:iam::${MEMBER}:policy/team-policy`,
      {},
    ],
    ['creating a policy outside the path', 'iam:CreatePolicy', `arn:aws:iam::${MEMBER}:policy/Anything`, {}],
    [
      'deleting a policy outside the path',
      'iam:DeletePolicy',
      `arn:aws:iam::${MEMBER}:policy/team-policy`,
      {},
    ],
    ['switching a default version (never needed)', 'iam:SetDefaultPolicyVersion', OUR_POLICY, {}],
    ['inline policies on users', 'iam:PutUserPolicy', BOB, {}],
    ['creating users', 'iam:CreateUser', `arn:aws:iam::${MEMBER}:user/mallory`, {}],
    ['creating access keys', 'iam:CreateAccessKey', BOB, {}],
    ['creating login profiles', 'iam:CreateLoginProfile', BOB, {}],
    ["setting a user's password", 'iam:UpdateLoginProfile', BOB, {}],
    [
      'resetting a service-specific credential (its new password comes back)',
      'iam:ResetServiceSpecificCredential',
      BOB,
      {},
    ],
    ['creating service-specific credentials', 'iam:CreateServiceSpecificCredential', BOB, {}],
    ['uploading SSH keys', 'iam:UploadSSHPublicKey', BOB, {}],
    ['deleting access keys (deactivating is reversible)', 'iam:DeleteAccessKey', BOB, {}],
    ['deactivating MFA devices', 'iam:DeactivateMFADevice', BOB, {}],
    [
      "changing the keys of another account's users",
      'iam:UpdateAccessKey',
      'arn:aws:iam::999999999999:user/bob',
      {},
    ],
    ['changing role trust', 'iam:UpdateAssumeRolePolicy', `arn:aws:iam::${MEMBER}:role/Admin`, {}],
    ['attaching policies to roles', 'iam:AttachRolePolicy', `arn:aws:iam::${MEMBER}:role/Admin`, {}],
    ['assuming roles', 'sts:AssumeRole', `arn:aws:iam::${MEMBER}:role/Admin`, {}],
    ['reading data', 's3:GetObject', 'arn:aws:s3:::secrets/key', {}],
  ])('denies %s', async (_name, action, resource, context) => {
    expect(await verdict(spokePolicy, spokePrincipal, action, resource, context)).not.toBe('Allowed')
  })
})

describe('the hub role grants exactly what the hub calls', () => {
  it("lists the same actions as the code calls, plus only the runtime's log writes and failed-invocation record", () => {
    expect(actionsOf(hubPolicy)).toEqual(
      [...hubCalls, 'logs:CreateLogStream', 'logs:PutLogEvents', 'sqs:SendMessage'].sort(),
    )
    expect(Object.keys(HUB_REQUESTS).sort()).toEqual(hubCalls)
  })

  it.each(Object.entries(HUB_REQUESTS))('allows %s', async (action, resource) => {
    // AssumeRole is cross-account: the spoke role's trust policy must agree too.
    const assume = action === 'sts:AssumeRole'
    const context: Record<string, string> = {
      ...INSIDE_HUB,
      ...(assume ? { ...ORG, 'aws:PrincipalArn': hubPrincipal } : {}),
    }
    expect(
      await verdict(hubPolicy, hubPrincipal, action, resource, context, assume ? trustPolicy : undefined),
    ).toBe('Allowed')
  })

  it.each(Object.entries(HUB_REQUESTS))(
    "refuses %s to the role's credentials outside the hub function",
    async (action, resource) => {
      const assume = action === 'sts:AssumeRole'
      const cross = assume ? { ...ORG, 'aws:PrincipalArn': hubPrincipal } : {}
      const trust = assume ? trustPolicy : undefined
      // Taken out of the function (no key), or used by another function given the role.
      const other = { 'lambda:SourceFunctionArn': `${FUNCTION_ARN}-copy` }
      expect(await verdict(hubPolicy, hubPrincipal, action, resource, cross, trust)).not.toBe('Allowed')
      expect(
        await verdict(hubPolicy, hubPrincipal, action, resource, { ...cross, ...other }, trust),
      ).not.toBe('Allowed')
    },
  )

  it('lets Lambda itself record a failed invocation, a call made outside the function', async () => {
    expect(await verdict(hubPolicy, hubPrincipal, 'sqs:SendMessage', FAILED_QUEUE)).toBe('Allowed')
  })

  it('cannot assume the spoke role without the ExternalId, as another principal, or outside the organization', async () => {
    const spoke = HUB_REQUESTS['sts:AssumeRole'] ?? ''
    const elsewhere = { ...ORG, 'aws:ResourceOrgID': 'o-someoneelse', 'aws:PrincipalArn': hubPrincipal }
    expect(await verdict(hubPolicy, hubPrincipal, 'sts:AssumeRole', spoke, elsewhere, trustPolicy)).not.toBe(
      'Allowed',
    )
    const noExternalId = {
      'aws:PrincipalArn': hubPrincipal,
      'aws:PrincipalOrgID': 'o-ours',
      'aws:ResourceOrgID': 'o-ours',
    }
    expect(
      await verdict(hubPolicy, hubPrincipal, 'sts:AssumeRole', spoke, noExternalId, trustPolicy),
    ).not.toBe('Allowed')
    const admin = `arn:aws:iam::${HUB_ACCOUNT}:role/Admin`
    const allowAll = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: '*', Resource: '*' }] }
    const other = { 'sts:ExternalId': 'external-id', 'aws:PrincipalArn': admin }
    expect(await verdict(allowAll, admin, 'sts:AssumeRole', spoke, other, trustPolicy)).not.toBe('Allowed')
  })

  it.each([
    [
      'assuming the organization admin role',
      'sts:AssumeRole',
      `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`,
    ],
    [
      'any IAM change in the management account',
      'iam:CreateUser',
      `arn:aws:iam::${HUB_ACCOUNT}:user/mallory`,
    ],
    [
      'attaching policies in the management account',
      'iam:AttachUserPolicy',
      `arn:aws:iam::${HUB_ACCOUNT}:user/bob`,
    ],
    ['changing the organization', 'organizations:CreateAccount', '*'],
    ['another table', 'dynamodb:PutItem', `arn:aws:dynamodb:us-east-1:${HUB_ACCOUNT}:table/payments`],
    ['scanning the table', 'dynamodb:Scan', TABLE_ARN],
    ['deleting the table', 'dynamodb:DeleteTable', TABLE_ARN],
    [
      'invoking other functions',
      'lambda:InvokeFunction',
      `arn:aws:lambda:us-east-1:${HUB_ACCOUNT}:function:payments`,
    ],
    [
      'reading any secret',
      'secretsmanager:GetSecretValue',
      `arn:aws:secretsmanager:us-east-1:${HUB_ACCOUNT}:secret:db-AbCdEf`,
    ],
  ])('denies %s', async (_name, action, resource) => {
    expect(await verdict(hubPolicy, hubPrincipal, action, resource)).not.toBe('Allowed')
  })
})

describe('without a Slack secret', () => {
  it('the hub role may read no secret at all', () => {
    const policy = rolePolicy(loadTemplate('hub/template.yaml'), 'HubRole', HUB_VALUES, {
      HasSlackWebhook: false,
    })
    expect(actionsOf(policy).filter((a) => a.startsWith('secretsmanager:'))).toEqual([])
  })
})

describe('the spoke role trust', () => {
  it('admits only the hub role, and only with the ExternalId', () => {
    expect(trustPolicy.Statement).toHaveLength(1)
    expect(trustPolicy.Statement[0]?.Condition).toEqual({
      StringEquals: { 'sts:ExternalId': 'external-id' },
      ArnEquals: { 'aws:PrincipalArn': hubPrincipal },
    })
  })
})

describe('the operator role (the CLI) can do what the README says, and nothing more', () => {
  const hub = loadTemplate('hub/template.yaml')
  const spokeTemplate = loadTemplate('spoke-role-template/spoke-role.yaml')
  const SSO = 'arn:aws:iam::111111111111:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_SecurityAdmin_*'
  const values = { ...HUB_VALUES, OperatorPrincipalArns: SSO, ExternalIdParameter: `/${STACK}/external-id` }
  const operatorPolicy = rolePolicy(hub, 'OperatorRole', values)
  const operatorTrust = resolve(hub.Resources.OperatorRole?.Properties?.AssumeRolePolicyDocument, values)
  const spokeValues = {
    'AWS::Partition': 'aws',
    'AWS::AccountId': MEMBER,
    HubAccountId: HUB_ACCOUNT,
    OperatorRoleName: `${STACK}-operator`,
    RoleName: SPOKE,
    ExternalId: 'external-id',
    PolicyPath: PATH,
  }
  const operatorSpokePolicy = rolePolicy(spokeTemplate, 'OperatorSpokeRole', spokeValues)
  const operatorSpokeTrust = resolve(
    spokeTemplate.Resources.OperatorSpokeRole?.Properties?.AssumeRolePolicyDocument,
    spokeValues,
  )
  const operatorSpoke = `arn:aws:iam::${MEMBER}:role/${SPOKE}Operator`
  const PARAMETER = `arn:aws:ssm:us-east-1:${HUB_ACCOUNT}:parameter/${STACK}/external-id`
  // What the CLI calls with the operator role: the hub's calls but its Slack secret (the CLI posts only
  // to a URL it is given); plus what the README reads with the AWS CLI: the ExternalId, and the stack's
  // outputs (the names of the table, the function and the parameter).
  // Of the table, reads only: what records, the hub carries out for the operator.
  const OPERATOR_REQUESTS: Record<string, string> = {
    'organizations:ListAccounts': '*',
    'sts:AssumeRole': operatorSpoke,
    'dynamodb:GetItem': TABLE_ARN,
    'dynamodb:Query': `${TABLE_ARN}/index/status-index`,
    'lambda:InvokeFunction': FUNCTION_ARN,
    'ssm:GetParameter': PARAMETER,
    'cloudformation:DescribeStacks': STACK_ID,
  }
  /** The IAM calls the CLI makes in a spoke account: reads only (removals are the hub's, recorded). */
  const OPERATOR_SPOKE_ACTIONS = [
    'iam:GenerateServiceLastAccessedDetails',
    'iam:GetAccessKeyLastUsed',
    'iam:GetAccountAuthorizationDetails',
    'iam:GetAccountSummary',
    'iam:GetLoginProfile',
    'iam:GetServiceLastAccessedDetails',
    'iam:GetUser',
    'iam:ListAccessKeys',
    'iam:ListEntitiesForPolicy',
    'iam:ListSSHPublicKeys',
    'iam:ListServiceSpecificCredentials',
  ]

  it('lists the calls the CLI makes, no more, no fewer', () => {
    expect(actionsOf(operatorPolicy)).toEqual(Object.keys(OPERATOR_REQUESTS).sort())
    expect(actionsOf(operatorSpokePolicy)).toEqual(OPERATOR_SPOKE_ACTIONS)
    expect(OPERATOR_SPOKE_ACTIONS.every((a) => iamCalls.includes(a))).toBe(true)
  })

  it.each(STATE_TABLE.indexes.map((index) => index.name))(
    'may query the %s, as the audit views do (audit scheduled reads the schedule index)',
    async (index) => {
      const resource = `${TABLE_ARN}/index/${index}`
      expect(await verdict(operatorPolicy, operatorPrincipal, 'dynamodb:Query', resource)).toBe('Allowed')
    },
  )

  it("reads this stack's outputs, and no other stack's", async () => {
    const other = `arn:aws:cloudformation:us-east-1:${HUB_ACCOUNT}:stack/payments/11111111-2222-3333-4444-555555555555`
    expect(await verdict(operatorPolicy, operatorPrincipal, 'cloudformation:DescribeStacks', STACK_ID)).toBe(
      'Allowed',
    )
    expect(await verdict(operatorPolicy, operatorPrincipal, 'cloudformation:DescribeStacks', other)).not.toBe(
      'Allowed',
    )
  })

  it.each(Object.entries(OPERATOR_REQUESTS))('allows %s', async (action, resource) => {
    const assume = action === 'sts:AssumeRole'
    const context: Record<string, string> = assume ? { ...ORG, 'aws:PrincipalArn': operatorPrincipal } : {}
    expect(
      await verdict(
        operatorPolicy,
        operatorPrincipal,
        action,
        resource,
        context,
        assume ? operatorSpokeTrust : undefined,
      ),
    ).toBe('Allowed')
  })

  it("reaches an account only through its operator spoke role, with the ExternalId, inside the organization; never the hub's", async () => {
    const as = (resource: string, context: Record<string, string>, trust: unknown) =>
      verdict(operatorPolicy, operatorPrincipal, 'sts:AssumeRole', resource, context, trust)
    const inOrg = { ...ORG, 'aws:PrincipalArn': operatorPrincipal }
    expect(await as(operatorSpoke, inOrg, operatorSpokeTrust)).toBe('Allowed')
    expect(await as(spokePrincipal, inOrg, trustPolicy)).not.toBe('Allowed')
    const { 'sts:ExternalId': _id, ...noExternalId } = inOrg
    expect(await as(operatorSpoke, noExternalId, operatorSpokeTrust)).not.toBe('Allowed')
    expect(
      await as(operatorSpoke, { ...inOrg, 'aws:ResourceOrgID': 'o-someoneelse' }, operatorSpokeTrust),
    ).not.toBe('Allowed')
    // The hub role cannot use the operator's way in either.
    expect(
      await verdict(
        ALLOW_ALL,
        hubPrincipal,
        'sts:AssumeRole',
        operatorSpoke,
        { ...ORG, 'aws:PrincipalArn': hubPrincipal },
        operatorSpokeTrust,
      ),
    ).not.toBe('Allowed')
  })

  it.each(OPERATOR_SPOKE_ACTIONS)('in an account, allows %s', async (action) => {
    const request = SPOKE_REQUESTS[action]
    if (!request) throw new Error(`no request for ${action}`)
    expect(await verdict(operatorSpokePolicy, operatorSpoke, action, request.resource, request.context)).toBe(
      'Allowed',
    )
  })

  it.each([
    ['creating a policy under the path (an Allow in disguise)', 'iam:CreatePolicy', OUR_POLICY, {}],
    ['editing one of ours', 'iam:CreatePolicyVersion', OUR_POLICY, {}],
    ['making an old version default', 'iam:SetDefaultPolicyVersion', OUR_POLICY, {}],
    ['attaching one of ours', 'iam:AttachUserPolicy', BOB, { 'iam:PolicyARN': OUR_POLICY }],
    [
      'attaching AdministratorAccess',
      'iam:AttachUserPolicy',
      BOB,
      { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    ],
    [
      "detaching the user's own policies",
      'iam:DetachUserPolicy',
      BOB,
      { 'iam:PolicyARN': `arn:aws:iam::${MEMBER}:policy/team` },
    ],
    ['tagging a user exempt', 'iam:TagUser', BOB, { 'aws:TagKeys': 'least-privilege-exempt' }],
    ['inline policies', 'iam:PutUserPolicy', BOB, {}],
  ])('in an account, denies %s', async (_name, action, resource, context) => {
    expect(await verdict(operatorSpokePolicy, operatorSpoke, action, resource, context)).not.toBe('Allowed')
  })

  it.each([
    ['reading the Slack secret', 'secretsmanager:GetSecretValue', SLACK_SECRET],
    [
      'any IAM change in the management account',
      'iam:CreateUser',
      `arn:aws:iam::${HUB_ACCOUNT}:user/mallory`,
    ],
    ["assuming the hub's spoke role", 'sts:AssumeRole', spokePrincipal],
    ['assuming another role', 'sts:AssumeRole', `arn:aws:iam::${MEMBER}:role/OrganizationAccountAccessRole`],
    ['changing the hub', 'lambda:UpdateFunctionCode', FUNCTION_ARN],
    [
      'invoking other functions',
      'lambda:InvokeFunction',
      `arn:aws:lambda:us-east-1:${HUB_ACCOUNT}:function:payments`,
    ],
    [
      'reading other parameters',
      'ssm:GetParameter',
      `arn:aws:ssm:us-east-1:${HUB_ACCOUNT}:parameter/db/password`,
    ],
    ['scanning the table', 'dynamodb:Scan', TABLE_ARN],
    ['deleting the table', 'dynamodb:DeleteTable', TABLE_ARN],
    ['another table', 'dynamodb:PutItem', `arn:aws:dynamodb:us-east-1:${HUB_ACCOUNT}:table/payments`],
    ['changing the organization', 'organizations:CreateAccount', '*'],
  ])('denies %s', async (_name, action, resource) => {
    expect(await verdict(operatorPolicy, operatorPrincipal, action, resource)).not.toBe('Allowed')
  })

  it("may be assumed only by the listed principals: Identity Center's roles in us-east-1 and elsewhere", async () => {
    const assume = (principal: string) =>
      verdict(
        ALLOW_ALL,
        principal,
        'sts:AssumeRole',
        operatorPrincipal,
        { 'aws:PrincipalArn': principal },
        operatorTrust,
      )
    const sso = `arn:aws:iam::${HUB_ACCOUNT}:role/aws-reserved/sso.amazonaws.com`
    expect(await assume(`${sso}/AWSReservedSSO_SecurityAdmin_0123abcd`)).toBe('Allowed')
    expect(await assume(`${sso}/eu-west-1/AWSReservedSSO_SecurityAdmin_0123abcd`)).toBe('Allowed')
    expect(await assume(`${sso}/AWSReservedSSO_Developer_0123abcd`)).not.toBe('Allowed')
    expect(await assume(`arn:aws:iam::${HUB_ACCOUNT}:role/PowerUser`)).not.toBe('Allowed')
  })

  it('requires the list of operator principals: no default lets the whole account in', () => {
    const parameter = hub.Parameters?.OperatorPrincipalArns as { Default?: unknown } | undefined
    expect(parameter).toBeDefined()
    expect(parameter?.Default).toBeUndefined()
  })

  it.each(OPERATOR_SPOKE_ACTIONS)(
    'under the guardrail SCP, still lets the operator spoke role %s',
    async (action) => {
      const request = SPOKE_REQUESTS[action]
      if (!request) throw new Error(`no request for ${action}`)
      const scp = resolve(
        hub.Resources.GuardrailScp?.Properties,
        {
          ...values,
          PolicyPath: PATH,
          ExemptTagKeys: 'least-privilege-exempt',
          GuardrailScpTargetIds: 'r-ab12',
        },
        { HasGuardrailScp: true },
      ) as { Content: unknown }
      const context = { ...request.context, 'aws:PrincipalArn': operatorSpoke }
      expect(
        await verdict(
          operatorSpokePolicy,
          operatorSpoke,
          action,
          request.resource,
          context,
          undefined,
          scp.Content,
        ),
      ).toBe('Allowed')
    },
  )

  it("leaves the README's removal to the hub: the operator spoke may detach or delete nothing", async () => {
    for (const action of ['iam:DetachUserPolicy', 'iam:DetachRolePolicy', 'iam:DeletePolicy']) {
      const request = SPOKE_REQUESTS[action]
      if (!request) throw new Error(`no request for ${action}`)
      expect(
        await verdict(operatorSpokePolicy, operatorSpoke, action, request.resource, request.context),
      ).not.toBe('Allowed')
    }
  })

  it("lets the hub carry out the README's removal in an account: detach and delete every policy of ours", async () => {
    for (const action of [
      'iam:GetAccountAuthorizationDetails',
      'iam:ListEntitiesForPolicy',
      'iam:DetachUserPolicy',
      'iam:DetachRolePolicy',
      'iam:DeletePolicyVersion',
      'iam:DeletePolicy',
    ]) {
      const request = SPOKE_REQUESTS[action]
      if (!request) throw new Error(`no request for ${action}`)
      expect(await verdict(spokePolicy, spokePrincipal, action, request.resource, request.context)).toBe(
        'Allowed',
      )
    }
  })
})

describe("the state table's own policy: only the hub writes it", () => {
  const table = resolve(
    loadTemplate('hub/template.yaml').Resources.StateTable?.Properties,
    HUB_VALUES,
    {},
  ) as {
    ResourcePolicy: { PolicyDocument: unknown }
  }
  const tablePolicy = table.ResourcePolicy.PolicyDocument
  const admin = `arn:aws:iam::${HUB_ACCOUNT}:role/Admin`
  const operatorPolicy = rolePolicy(loadTemplate('hub/template.yaml'), 'OperatorRole', {
    ...HUB_VALUES,
    OperatorPrincipalArns: 'arn:aws:iam::111111111111:role/ops',
    ExternalIdParameter: `/${STACK}/external-id`,
  })
  const WRITES = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']

  it.each(WRITES)('lets the hub function %s', async (action) => {
    expect(
      await verdict(
        hubPolicy,
        hubPrincipal,
        action,
        TABLE_ARN,
        { ...INSIDE_HUB, 'aws:PrincipalArn': hubPrincipal },
        tablePolicy,
      ),
    ).toBe('Allowed')
  })

  it.each(WRITES)(
    'refuses %s to an administrator of the account and to the operator role',
    async (action) => {
      expect(
        await verdict(ALLOW_ALL, admin, action, TABLE_ARN, { 'aws:PrincipalArn': admin }, tablePolicy),
      ).toBe('ExplicitlyDenied')
      const operator = { 'aws:PrincipalArn': operatorPrincipal }
      expect(
        await verdict(operatorPolicy, operatorPrincipal, action, TABLE_ARN, operator, tablePolicy),
      ).not.toBe('Allowed')
    },
  )

  it('still lets the operator read it, as the audit views do', async () => {
    const operator = { 'aws:PrincipalArn': operatorPrincipal }
    for (const action of ['dynamodb:GetItem', 'dynamodb:Query'])
      expect(await verdict(operatorPolicy, operatorPrincipal, action, TABLE_ARN, operator, tablePolicy)).toBe(
        'Allowed',
      )
  })

  it('keeps its policy, and the table itself, from being lifted first, except through CloudFormation', async () => {
    const asAdmin = { 'aws:PrincipalArn': admin }
    for (const action of [
      'dynamodb:DeleteResourcePolicy',
      'dynamodb:PutResourcePolicy',
      'dynamodb:UpdateTable',
      'dynamodb:DeleteTable',
      'dynamodb:UpdateTimeToLive',
      'dynamodb:UpdateContinuousBackups',
    ]) {
      expect(await verdict(ALLOW_ALL, admin, action, TABLE_ARN, asAdmin, tablePolicy)).toBe(
        'ExplicitlyDenied',
      )
      const viaStack = { ...asAdmin, 'aws:CalledVia': ['cloudformation.amazonaws.com'] }
      expect(await verdict(ALLOW_ALL, admin, action, TABLE_ARN, viaStack, tablePolicy)).toBe('Allowed')
    }
  })
})

describe("the hub's own SCP, from a delegated administrator account", () => {
  const deployer = `arn:aws:iam::${HUB_ACCOUNT}:role/Deployer`
  const scp = resolve(
    loadTemplate('hub/template.yaml').Resources.HubGuardScp?.Properties,
    { ...HUB_VALUES, HubDeployerArns: deployer },
    { GuardsTheHub: true },
  ) as { Content: unknown; TargetIds: string[] }
  const admin = `arn:aws:iam::${HUB_ACCOUNT}:role/Admin`
  const as = (principal: string, action: string, resource: string) =>
    verdict(ALLOW_ALL, principal, action, resource, { 'aws:PrincipalArn': principal }, undefined, scp.Content)

  it('fits the 5,120 characters an SCP may hold', () => {
    expect(JSON.stringify(scp.Content).length).toBeLessThanOrEqual(5120)
  })

  it.each([
    ['lambda:UpdateFunctionConfiguration', FUNCTION_ARN],
    ['lambda:UpdateFunctionCode', FUNCTION_ARN],
    ['lambda:DeleteFunctionCodeSigningConfig', FUNCTION_ARN],
    ['iam:PutRolePolicy', hubPrincipal],
    ['iam:UpdateAssumeRolePolicy', operatorPrincipal],
    ['dynamodb:DeleteTable', TABLE_ARN],
    ['dynamodb:DeleteResourcePolicy', TABLE_ARN],
    ['lambda:PutFunctionConcurrency', FUNCTION_ARN],
    ['lambda:RemovePermission', FUNCTION_ARN],
    ['cloudformation:UpdateStack', `arn:aws:cloudformation:us-east-1:${HUB_ACCOUNT}:stack/${STACK}/abc`],
    ['events:DisableRule', `arn:aws:events:us-east-1:${HUB_ACCOUNT}:rule/${STACK}-DailySchedule-X1`],
    ['cloudwatch:DeleteAlarms', `arn:aws:cloudwatch:us-east-1:${HUB_ACCOUNT}:alarm:${STACK}-no-sweep`],
    [
      'organizations:DetachPolicy',
      `arn:aws:organizations::${HUB_ACCOUNT}:policy/o-abc/service_control_policy/p-abc`,
    ],
  ])('keeps everyone but the deployer from %s', async (action, resource) => {
    expect(scp.TargetIds).toEqual([HUB_ACCOUNT])
    expect(await as(admin, action, resource)).toBe('ExplicitlyDenied')
    expect(await as(deployer, action, resource)).toBe('Allowed')
  })
})

describe('the optional guardrail SCP', () => {
  const hub = loadTemplate('hub/template.yaml')
  const scp = resolve(
    hub.Resources.GuardrailScp?.Properties,
    {
      ...HUB_VALUES,
      PolicyPath: PATH,
      ExemptTagKeys: 'least-privilege-exempt,breakglass',
      GuardrailScpTargetIds: 'r-ab12',
    },
    { HasGuardrailScp: true },
  ) as { Content: unknown; TargetIds: string[] }
  const admin = `arn:aws:iam::${MEMBER}:role/AccountAdmin`
  const asAdmin = (action: string, resource: string, context: Record<string, string | string[]> = {}) =>
    verdict(
      ALLOW_ALL,
      admin,
      action,
      resource,
      { ...context, 'aws:PrincipalArn': admin },
      undefined,
      scp.Content,
    )

  it('fits the 5,120 characters an SCP may hold', () => {
    expect(JSON.stringify(scp.Content).length).toBeLessThanOrEqual(5120)
  })

  it('is attached to the given targets, and only when some are given', () => {
    expect(scp.TargetIds).toEqual(['r-ab12'])
    expect((hub.Resources.GuardrailScp as { Condition?: string } | undefined)?.Condition).toBe(
      'HasGuardrailScp',
    )
  })

  it.each([
    [
      'create a policy under the path',
      'iam:CreatePolicy',
      `arn:aws:iam::${MEMBER}:policy${PATH}backdoor`,
      {},
    ],
    ['edit one of ours', 'iam:CreatePolicyVersion', OUR_POLICY, {}],
    ['make an old version default', 'iam:SetDefaultPolicyVersion', OUR_POLICY, {}],
    ['delete one of ours', 'iam:DeletePolicy', OUR_POLICY, {}],
    ['attach one to a user', 'iam:AttachUserPolicy', BOB, { 'iam:PolicyARN': OUR_POLICY }],
    ['detach one from a user', 'iam:DetachUserPolicy', BOB, { 'iam:PolicyARN': OUR_POLICY }],
    [
      'attach one to a role',
      'iam:AttachRolePolicy',
      `arn:aws:iam::${MEMBER}:role/app`,
      { 'iam:PolicyARN': OUR_POLICY },
    ],
    ['tag a user exempt', 'iam:TagUser', BOB, { 'aws:TagKeys': ['least-privilege-exempt'] }],
    ['untag an exemption', 'iam:UntagUser', BOB, { 'aws:TagKeys': ['Breakglass'] }],
    [
      'create a user born exempt',
      'iam:CreateUser',
      `arn:aws:iam::${MEMBER}:user/new`,
      { 'aws:TagKeys': ['breakglass'] },
    ],
    ["widen the spoke role's trust", 'iam:UpdateAssumeRolePolicy', SPOKE_ROLE, {}],
    ['give the spoke role an inline policy', 'iam:PutRolePolicy', SPOKE_ROLE, {}],
    [
      'attach a policy to the spoke role',
      'iam:AttachRolePolicy',
      SPOKE_ROLE,
      { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/AdministratorAccess' },
    ],
    [
      'detach a policy from the operator spoke role',
      'iam:DetachRolePolicy',
      `${SPOKE_ROLE}Operator`,
      { 'iam:PolicyARN': 'arn:aws:iam::aws:policy/ReadOnlyAccess' },
    ],
    ['set a boundary on the spoke role', 'iam:PutRolePermissionsBoundary', SPOKE_ROLE, {}],
    ["take the spoke role's boundary away", 'iam:DeleteRolePermissionsBoundary', SPOKE_ROLE, {}],
    ['delete the spoke role', 'iam:DeleteRole', SPOKE_ROLE, {}],
    ['re-create the spoke role', 'iam:CreateRole', SPOKE_ROLE, {}],
    ['tag the spoke role', 'iam:TagRole', SPOKE_ROLE, { 'aws:TagKeys': ['owner'] }],
    [
      "set one of ours as a user's boundary",
      'iam:PutUserPermissionsBoundary',
      BOB,
      { 'iam:PermissionsBoundary': OUR_POLICY },
    ],
    [
      'create a role bounded by one of ours',
      'iam:CreateRole',
      `arn:aws:iam::${MEMBER}:role/new`,
      { 'iam:PermissionsBoundary': OUR_POLICY },
    ],
    // The execution role the spoke roles trust to change them: nobody in the account makes or takes one.
    [
      'make a role named like the StackSet execution role',
      'iam:CreateRole',
      `arn:aws:iam::${MEMBER}:role/stacksets-exec-mine`,
      {},
    ],
    [
      "rewrite the StackSet execution role's trust",
      'iam:UpdateAssumeRolePolicy',
      `arn:aws:iam::${MEMBER}:role/stacksets-exec-0123456789abcdef`,
      {},
    ],
    [
      'assume the StackSet execution role',
      'sts:AssumeRole',
      `arn:aws:iam::${MEMBER}:role/stacksets-exec-0123456789abcdef`,
      {},
    ],
  ])("keeps a member account's administrator from: %s", async (_what, action, resource, context) => {
    expect(await asAdmin(action, resource, context)).not.toBe('Allowed')
  })

  it('lets the StackSet deploy, update and remove the spoke roles', async () => {
    const exec = `arn:aws:iam::${MEMBER}:role/stacksets-exec-0123456789abcdef`
    const asStackSet = (action: string, resource: string) =>
      verdict(ALLOW_ALL, exec, action, resource, { 'aws:PrincipalArn': exec }, undefined, scp.Content)
    for (const action of [
      'iam:CreateRole',
      'iam:PutRolePolicy',
      'iam:UpdateAssumeRolePolicy',
      'iam:DeleteRolePolicy',
      'iam:DeleteRole',
    ])
      expect(await asStackSet(action, SPOKE_ROLE), action).toBe('Allowed')
  })

  it('leaves the rest of IAM to the administrator', async () => {
    const team = `arn:aws:iam::${MEMBER}:policy/team-policy`
    const app = `arn:aws:iam::${MEMBER}:role/app`
    expect(await asAdmin('iam:UpdateAssumeRolePolicy', app)).toBe('Allowed')
    expect(await asAdmin('iam:PutRolePermissionsBoundary', app, { 'iam:PermissionsBoundary': team })).toBe(
      'Allowed',
    )
    expect(await asAdmin('iam:CreatePolicy', team)).toBe('Allowed')
    expect(await asAdmin('iam:AttachUserPolicy', BOB, { 'iam:PolicyARN': team })).toBe('Allowed')
    expect(await asAdmin('iam:TagUser', BOB, { 'aws:TagKeys': ['team'] })).toBe('Allowed')
  })

  it.each(Object.entries(SPOKE_REQUESTS))('still lets the spoke role %s', async (action, request) => {
    expect(
      await verdict(
        spokePolicy,
        spokePrincipal,
        action,
        request.resource,
        { ...request.context, 'aws:PrincipalArn': spokePrincipal },
        undefined,
        scp.Content,
      ),
    ).toBe('Allowed')
  })
})
