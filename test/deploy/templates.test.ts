import { loadAwsServiceSpec } from '@aws-cdk/aws-service-spec'
import type { SpecDatabase } from '@aws-cdk/service-spec-types'
import { beforeAll, describe, expect, it } from 'vitest'
import { SETTINGS } from '../../hub/settings.js'
import { STATE_TABLE } from '../../shared/aws/state/table-shape.js'
import { METRICS_NAMESPACE } from '../../shared/aws/sweep-metrics.js'
import { loadTemplate, PSEUDO, references, type Template } from '../support/cloudformation.js'

const TEMPLATES: Record<string, Template> = {
  'hub/template.yaml': loadTemplate('hub/template.yaml'),
  'spoke-role-template/spoke-role.yaml': loadTemplate('spoke-role-template/spoke-role.yaml'),
}

let db: SpecDatabase
beforeAll(async () => {
  db = await loadAwsServiceSpec()
})

type PropertyType = {
  type: string
  reference?: { $ref: string }
  element?: PropertyType
  types?: PropertyType[]
}
type Property = { type: PropertyType; required?: boolean }

const isIntrinsic = (v: unknown) =>
  !!v &&
  typeof v === 'object' &&
  !Array.isArray(v) &&
  Object.keys(v).length === 1 &&
  /^(Ref|Fn::|Condition)/.test(Object.keys(v)[0] ?? '')

/** Checks a value against CloudFormation's published schema; returns the problems found. */
function check(value: unknown, type: PropertyType, path: string): string[] {
  if (isIntrinsic(value)) return []
  switch (type.type) {
    case 'ref': {
      const def = db.get('typeDefinition', type.reference?.$ref ?? '') as unknown as {
        properties: Record<string, Property>
      }
      if (!value || typeof value !== 'object' || Array.isArray(value)) return [`${path}: expected an object`]
      return checkProperties(value as Record<string, unknown>, def.properties, path)
    }
    case 'array':
      return Array.isArray(value)
        ? value.flatMap((v, i) => check(v, type.element as PropertyType, `${path}[${i}]`))
        : [`${path}: expected a list`]
    case 'map':
      return value && typeof value === 'object'
        ? Object.entries(value).flatMap(([k, v]) => check(v, type.element as PropertyType, `${path}.${k}`))
        : [`${path}: expected a map`]
    case 'union':
      return (type.types ?? []).some((t) => check(value, t, path).length === 0)
        ? []
        : [`${path}: matches none of the allowed types`]
    case 'string':
    case 'date-time':
      return typeof value === 'string' ? [] : [`${path}: expected a string`]
    case 'integer':
    case 'number':
      return typeof value === 'number' || /^\d+$/.test(String(value)) ? [] : [`${path}: expected a number`]
    case 'boolean':
      return typeof value === 'boolean' || value === 'true' || value === 'false'
        ? []
        : [`${path}: expected a boolean`]
    default:
      return [] // json, tag and null: anything goes
  }
}

function checkProperties(
  value: Record<string, unknown>,
  properties: Record<string, Property>,
  path: string,
): string[] {
  const problems: string[] = []
  for (const [name, v] of Object.entries(value)) {
    const property = properties[name]
    if (!property) problems.push(`${path}.${name}: no such property`)
    else problems.push(...check(v, property.type, `${path}.${name}`))
  }
  for (const [name, property] of Object.entries(properties)) {
    if (property.required && !(name in value)) problems.push(`${path}.${name}: required`)
  }
  return problems
}

describe.each(Object.entries(TEMPLATES))('%s', (_file, template) => {
  it("matches CloudFormation's published resource schemas", () => {
    const problems: string[] = []
    for (const [name, resource] of Object.entries(template.Resources)) {
      const spec = db.lookup('resource', 'cloudFormationType', 'equals', resource.Type)
      if (spec.length !== 1) {
        problems.push(`${name}: unknown resource type ${resource.Type}`)
        continue
      }
      const properties = (spec.only() as unknown as { properties: Record<string, Property> }).properties
      problems.push(...checkProperties(resource.Properties ?? {}, properties, name))
    }
    expect(problems).toEqual([])
  })

  it('every !Ref, !GetAtt and !Sub target exists', () => {
    const params = Object.keys(template.Parameters ?? {})
    const resources = Object.keys(template.Resources)
    const { ref, getAtt, sub } = references(template)
    const missing: string[] = []
    for (const r of ref)
      if (!params.includes(r) && !resources.includes(r) && !PSEUDO.includes(r)) missing.push(`Ref ${r}`)
    for (const [resource, attribute] of getAtt) {
      const type = template.Resources[resource ?? '']?.Type
      if (!type) {
        missing.push(`GetAtt ${resource}`)
        continue
      }
      const attributes = (
        db.lookup('resource', 'cloudFormationType', 'equals', type).only() as unknown as {
          attributes: Record<string, unknown>
        }
      ).attributes
      if (!attribute || !(attribute in attributes)) missing.push(`GetAtt ${resource}.${attribute}`)
    }
    for (const s of sub) {
      const [head, attribute] = s.split('.')
      if (PSEUDO.includes(s) || params.includes(s)) continue
      if (head && resources.includes(head) && (attribute === undefined || attribute === 'Arn')) continue
      missing.push(`Sub \${${s}}`)
    }
    expect(missing).toEqual([])
  })

  it('gives every parameter without a default a description or a pattern', () => {
    for (const [name, p] of Object.entries(template.Parameters ?? {})) {
      expect(p.Default !== undefined || 'Description' in p || 'AllowedPattern' in p, name).toBe(true)
    }
  })
})

describe('hub template', () => {
  const hub = TEMPLATES['hub/template.yaml'] as Template
  const props = (name: string) => hub.Resources[name]?.Properties ?? {}

  it('declares the state table exactly as the code uses it, with PITR and TTL, kept unless its own creation fails', () => {
    const table = props('StateTable') as Record<string, unknown>
    expect(table.KeySchema).toEqual([
      { AttributeName: STATE_TABLE.partitionKey, KeyType: 'HASH' },
      { AttributeName: STATE_TABLE.sortKey, KeyType: 'RANGE' },
    ])
    expect(table.GlobalSecondaryIndexes).toEqual(
      STATE_TABLE.indexes.map((index) =>
        expect.objectContaining({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.partitionKey, KeyType: 'HASH' },
            { AttributeName: index.sortKey, KeyType: 'RANGE' },
          ],
        }),
      ),
    )
    // Kept when the stack goes, but taken back by a failed first deployment, which can then be retried:
    // a deletion protection would fail that rollback (the resource policy guards DeleteTable instead).
    expect(hub.Resources.StateTable).toMatchObject({
      DeletionPolicy: 'RetainExceptOnCreate',
      UpdateReplacePolicy: 'Retain',
    })
    expect(table.DeletionProtectionEnabled).toBeUndefined()
    expect(table).toMatchObject({
      BillingMode: 'PAY_PER_REQUEST',
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
      TimeToLiveSpecification: { AttributeName: STATE_TABLE.ttlAttribute, Enabled: true },
    })
  })

  it('runs nodejs22.x from the bundle in S3, for the longest Lambda time', () => {
    expect(props('HubFunction')).toMatchObject({
      Runtime: 'nodejs22.x',
      Handler: 'index.handler',
      Timeout: 900,
    })
  })

  it('sets only environment variables the hub reads, and every required one', () => {
    const env = (props('HubFunction').Environment as { Variables: Record<string, unknown> }).Variables
    for (const name of Object.keys(env))
      expect(
        SETTINGS.map((s) => s.env),
        name,
      ).toContain(name)
    expect(Object.keys(env)).toEqual(expect.arrayContaining(['TABLE_NAME', 'EXTERNAL_ID', 'SWEEP_MODE']))
  })

  it('alarms on silence: 26 hours without a completed sweep of the configured mode, missing data breaching', () => {
    expect(props('SilenceAlarm')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'SweepsCompleted',
      Dimensions: [{ Name: 'Mode', Value: { Ref: 'SweepMode' } }],
      Period: 3600,
      EvaluationPeriods: 26,
      DatapointsToAlarm: 26,
      ComparisonOperator: 'LessThanThreshold',
      Threshold: 1,
      TreatMissingData: 'breaching',
    })
  })

  it('starts nothing that records before the StackSet is in place: a failed first deployment takes back an empty table', () => {
    for (const name of ['HubFunction', 'DailySchedule', 'ScheduleMayInvokeHub', 'OperatorRole'])
      expect(hub.Resources[name]?.DependsOn, name).toBe('SpokeStackSet')
  })

  it('orders its resources without a circle, DependsOn included (CloudFormation refuses one)', () => {
    const resources = hub.Resources
    const edges = (name: string): string[] => {
      const r = resources[name]
      const found = references(r?.Properties ?? {})
      const named = [
        ...found.ref,
        ...found.getAtt.map((a) => a[0] ?? ''),
        ...found.sub.map((s) => s.split('.')[0] ?? ''),
      ]
      const dependsOn = r?.DependsOn === undefined ? [] : [r.DependsOn].flat()
      return [...named, ...dependsOn].filter((n) => n in resources)
    }
    const state = new Map<string, 'open' | 'done'>()
    const visit = (name: string, path: string[]): void => {
      state.set(name, 'open')
      for (const next of edges(name)) {
        expect(state.get(next), `${[...path, next].join(' -> ')}`).not.toBe('open')
        if (!state.has(next)) visit(next, [...path, next])
      }
      state.set(name, 'done')
    }
    for (const name of Object.keys(resources)) if (!state.has(name)) visit(name, [name])
  })

  it('defaults to plan mode', () => {
    expect(hub.Parameters?.SweepMode?.Default).toBe('plan')
  })

  it('onboards new accounts through a service-managed StackSet with auto-deployment, and keeps the spoke of one that leaves', () => {
    // An account moved out of the target OUs keeps its spoke roles, so that its denies stay lifted only
    // by an operator (rollback), never stranded with nobody able to remove them.
    expect(props('SpokeStackSet')).toMatchObject({
      PermissionModel: 'SERVICE_MANAGED',
      AutoDeployment: { Enabled: true, RetainStacksOnAccountRemoval: true },
      Capabilities: ['CAPABILITY_NAMED_IAM'],
    })
  })

  it('deploys the spoke role into the management account itself, with the same parameters', () => {
    const stackSetParams = (props('SpokeStackSet').Parameters as { ParameterKey: string }[])
      .map((p) => p.ParameterKey)
      .sort()
    expect(Object.keys(props('ManagementAccountSpoke').Parameters as object).sort()).toEqual(stackSetParams)
    const spokeParams = Object.keys(TEMPLATES['spoke-role-template/spoke-role.yaml']?.Parameters ?? {}).sort()
    expect(stackSetParams).toEqual(spokeParams)
  })

  it('grants the spoke roles key deletion exactly when the hub function deletes keys', () => {
    expect(hub.Conditions?.DeletesInactiveKeys).toEqual({
      'Fn::And': [
        { 'Fn::Equals': [{ Ref: 'Credentials' }, 'on'] },
        { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'CredentialDeleteAfterDays' }, 'off'] }] },
      ],
    })
    const choice = { 'Fn::If': ['DeletesInactiveKeys', 'true', 'false'] }
    const stackSet = props('SpokeStackSet').Parameters as { ParameterKey: string; ParameterValue: unknown }[]
    expect(stackSet.find((p) => p.ParameterKey === 'DeleteInactiveAccessKeys')?.ParameterValue).toEqual(
      choice,
    )
    expect(
      (props('ManagementAccountSpoke').Parameters as Record<string, unknown>).DeleteInactiveAccessKeys,
    ).toEqual(choice)
    const env = (props('HubFunction').Environment as { Variables: Record<string, unknown> }).Variables
    expect(env.CREDENTIAL_DELETE_AFTER_DAYS).toEqual({ Ref: 'CredentialDeleteAfterDays' })
    // The stack refuses what the hub's configuration would: off, or 30 days and more.
    const pattern = new RegExp(String(hub.Parameters?.CredentialDeleteAfterDays?.AllowedPattern))
    expect(['off', '30', '99', '100', '9999'].filter((v) => !pattern.test(v))).toEqual([])
    expect(['', '0', '29', '7', 'on', '030', '36500'].filter((v) => pattern.test(v))).toEqual([])
  })

  it('runs from a delegated administrator account too: StackSets called as one, no local spoke there', () => {
    expect(hub.Parameters?.HubAccountKind).toMatchObject({
      Default: 'management',
      AllowedValues: ['management', 'delegated-admin'],
    })
    expect(hub.Conditions?.InManagementAccount).toEqual({
      'Fn::Equals': [{ Ref: 'HubAccountKind' }, 'management'],
    })
    expect(props('SpokeStackSet').CallAs).toEqual({
      'Fn::If': ['InManagementAccount', 'SELF', 'DELEGATED_ADMIN'],
    })
    expect((hub.Resources.ManagementAccountSpoke as { Condition?: string }).Condition).toBe(
      'InManagementAccount',
    )
  })
})
