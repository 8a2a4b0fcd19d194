/**
 * The README's reference of the hub template's parameters, and of the settings the template leaves at
 * their defaults, derived from the template and the settings list: a test keeps the README equal to it.
 */
import { SETTINGS } from '../../hub/settings.js'
import { loadTemplate } from './cloudformation.js'

interface Parameter {
  Type: string
  Default?: unknown
  Description?: string
}

/** One row per parameter, in the template's order. */
export function parameterRows(): string[] {
  const template = loadTemplate('hub/template.yaml')
  return Object.entries((template.Parameters ?? {}) as Record<string, Parameter>).map(([name, p]) => {
    const shown =
      p.Default === undefined ? '(required)' : p.Default === '' ? '(none)' : `\`${String(p.Default)}\``
    return `| \`${name}\` | ${shown} | ${(p.Description ?? '').replace(/\|/g, '\\|')} |`
  })
}

/** Settings of the hub the template does not set: each runs at its default in a deployed hub. */
export function fixedSettings(): string[] {
  const template = loadTemplate('hub/template.yaml')
  const fn = template.Resources.HubFunction?.Properties as {
    Environment: { Variables: Record<string, unknown> }
  }
  const set = new Set(Object.keys(fn.Environment.Variables))
  // Read by the CLI alone: the hub has no use for them.
  const cliOnly = new Set(['HUB_FUNCTION_NAME', 'SLACK_WEBHOOK_URL'])
  return SETTINGS.map((s) => s.env).filter((env) => !set.has(env) && !cliOnly.has(env))
}
