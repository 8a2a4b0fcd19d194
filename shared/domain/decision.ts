/** Every status a user's decision can have, with what it means: the one list the CLI and docs use. */
export const DECISION_STATUSES = {
  planned: 'plan mode: these writes would be made',
  enforced:
    'the deny policies are in force: created or given a new default version (enforce mode), or already exactly right',
  unchanged: 'the live policies already deny exactly the right set; no write call is made',
  exempt:
    "the user carries an exemption tag from the account's baseline or holds an operator's exemption; any deny of ours is lifted",
  'too-young': 'the user is younger than the window and has not had the chance to use what they hold',
  'quota-blocked':
    "the user has no free slot for the deny policy under the account's attached-policies quota",
  error: 'something failed (for example an Access Advisor job FAILED): nothing changes for the user',
  braked: 'writes were due, but the blast-radius brake held back every write in the account',
  'rolled-back': "an operator removed the project's policies with `rollback`",
  released: 'an operator lifted denied services with `release`; their clocks restart',
} as const

export type DecisionStatus = keyof typeof DECISION_STATUSES

export const DECISION_STATUS_NAMES = Object.keys(DECISION_STATUSES) as DecisionStatus[]

/** `plan` reports only; `enforce` writes. */
export const MODES = ['plan', 'enforce'] as const
export type Mode = (typeof MODES)[number]
