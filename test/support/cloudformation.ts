/** Reads CloudFormation YAML (short-form tags included) and resolves intrinsics for policy checks. */
import { readFileSync } from 'node:fs'
import { parse, type Tags } from 'yaml'

const FUNCTIONS = [
  'Base64',
  'Cidr',
  'FindInMap',
  'GetAZs',
  'If',
  'ImportValue',
  'Join',
  'Select',
  'Split',
  'Sub',
  'Equals',
  'And',
  'Or',
  'Not',
  'Condition',
]

const customTags: Tags = [
  { tag: '!Ref', resolve: (value: string) => ({ Ref: value }) },
  { tag: '!GetAtt', resolve: (value: string) => ({ 'Fn::GetAtt': value.split('.') }) },
  ...FUNCTIONS.flatMap((name) =>
    (['scalar', 'seq', 'map'] as const).map((collection) => ({
      tag: `!${name}`,
      collection: collection === 'scalar' ? undefined : collection,
      resolve: (value: unknown) => ({ [name === 'Condition' ? 'Condition' : `Fn::${name}`]: toJs(value) }),
    })),
  ),
] as Tags

function toJs(value: unknown): unknown {
  return value && typeof value === 'object' && 'toJSON' in value
    ? (value as { toJSON: () => unknown }).toJSON()
    : value
}

export interface Template {
  Conditions?: Record<string, unknown>
  Parameters?: Record<string, { Type: string; Default?: unknown; AllowedPattern?: string }>
  Resources: Record<
    string,
    { Type: string; Properties?: Record<string, unknown>; DependsOn?: string | string[] }
  >
  Outputs?: Record<string, { Value: unknown }>
}

export function loadTemplate(path: string): Template {
  return parse(readFileSync(path, 'utf8'), { customTags }) as Template
}

export const PSEUDO = [
  'AWS::AccountId',
  'AWS::Partition',
  'AWS::Region',
  'AWS::StackName',
  'AWS::StackId',
  'AWS::URLSuffix',
  'AWS::NoValue',
  'AWS::NotificationARNs',
]

/** Every intrinsic in a template: the references a test must find targets for. */
export function references(
  node: unknown,
  out: { ref: string[]; getAtt: string[][]; sub: string[] } = { ref: [], getAtt: [], sub: [] },
) {
  if (Array.isArray(node)) for (const n of node) references(n, out)
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'Ref' && typeof value === 'string') out.ref.push(value)
      else if (key === 'Fn::GetAtt' && Array.isArray(value)) out.getAtt.push(value.map(String))
      else if (key === 'Fn::Sub') {
        const text = Array.isArray(value) ? value[0] : value
        for (const m of String(text).matchAll(/\$\{([^}!]+)\}/g)) if (m[1]) out.sub.push(m[1])
        if (Array.isArray(value)) references(value[1], out)
      } else references(value, out)
    }
  }
  return out
}

const NO_VALUE = Symbol('AWS::NoValue')

/**
 * Replaces Ref / Fn::Sub / Fn::GetAtt / Fn::If with concrete values, as CloudFormation would at deploy
 * time; `conditions` gives each condition's outcome.
 */
export function resolve(
  node: unknown,
  values: Record<string, string>,
  conditions: Record<string, boolean> = {},
): unknown {
  const inner = (n: unknown): unknown => resolve(n, values, conditions)
  if (Array.isArray(node)) return node.map(inner).filter((n) => n !== NO_VALUE)
  if (node && typeof node === 'object') {
    const entries = Object.entries(node)
    const [key, value] = entries[0] ?? []
    if (entries.length === 1 && key === 'Ref' && value === 'AWS::NoValue') return NO_VALUE
    if (entries.length === 1 && key === 'Fn::If') {
      const [condition, yes, no] = value as [string, unknown, unknown]
      if (!(condition in conditions)) throw new Error(`no outcome given for condition ${condition}`)
      return inner(conditions[condition] ? yes : no)
    }
    if (entries.length === 1 && key === 'Ref') return lookup(values, String(value))
    if (entries.length === 1 && key === 'Fn::GetAtt') return lookup(values, (value as string[]).join('.'))
    if (entries.length === 1 && key === 'Fn::Split') {
      const [separator, source] = value as [string, unknown]
      return String(inner(source)).split(separator)
    }
    if (entries.length === 1 && key === 'Fn::Sub') {
      return String(value).replace(/\$\{([^}!]+)\}/g, (_m, name: string) => lookup(values, name))
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, inner(v)]).filter(([, v]) => v !== NO_VALUE))
  }
  return node
}

function lookup(values: Record<string, string>, name: string): string {
  const value = values[name]
  if (value === undefined) throw new Error(`no value for ${name}`)
  return value
}
