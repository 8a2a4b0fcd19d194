import type { z } from 'zod'
import {
  accessAdvisorSchema,
  brakeSchema,
  type HubConfig,
  hubConfigFields,
  hubConfigSchema,
  type StoreConfig,
  storeConfigSchema,
} from '../shared/config.js'
import { loadSettings, type Setting } from './settings.js'

export type { HubConfig, StoreConfig }

/** Explicit values over the environment; an undefined one leaves the environment's. */
export type Overrides<T> = { [K in keyof T]?: T[K] | undefined }

export function loadStoreConfig(env: NodeJS.ProcessEnv, overrides: Overrides<StoreConfig> = {}): StoreConfig {
  return loadSettings(storeConfigSchema, env, overrides)
}

/**
 * Reads the configuration from environment variables (see SETTINGS), overlaid with explicit values
 * (CLI flags). Errors name the setting and its variable or flag.
 */
export function loadHubConfig(env: NodeJS.ProcessEnv, overrides: Overrides<HubConfig> = {}): HubConfig {
  return loadSettings(hubConfigSchema, env, overrides)
}

const GROUPS: Record<string, z.ZodObject> = { brake: brakeSchema, accessAdvisor: accessAdvisorSchema }

/** The default a setting takes when unset, as the README shows it. */
export function shownDefault(setting: Setting): string {
  if (!setting.key) return setting.shownDefault ?? '(none)'
  const [first = '', nested] = setting.key.split('.')
  const schema = nested ? GROUPS[first]?.shape[nested] : hubConfigFields.shape[first as keyof HubConfig]
  if (!schema) throw new Error(`setting ${setting.key} is not in the configuration schema`)
  const parsed = (schema as z.ZodType).safeParse(undefined)
  if (!parsed.success) return '(required)'
  const value = parsed.data
  if (value === undefined || (Array.isArray(value) && value.length === 0)) return '(none)'
  return `\`${typeof value === 'object' ? JSON.stringify(value) : String(value)}\``
}
