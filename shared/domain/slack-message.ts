/** A Slack message in Block Kit, kept within Slack's documented limits. */

type Text = { type: 'mrkdwn'; text: string; verbatim: true } | { type: 'plain_text'; text: string }

/**
 * mrkdwn that Slack renders but does not auto-parse: names come from IAM (a user may be named
 * `@channel`), so only the mentions we write out (`<@U…>`) are mentions.
 */
export const mrkdwn = (text: string): Text => ({ type: 'mrkdwn', text, verbatim: true })

export type Block =
  | { type: 'header'; text: Text }
  | { type: 'section'; text: Text }
  | { type: 'context'; elements: Text[] }
  | { type: 'divider' }

export interface SlackMessage {
  /** Notification fallback. */
  text: string
  blocks: Block[]
}

/**
 * A value put into mrkdwn as text, never as markup: Slack reads `&`, `<` and `>` as control characters
 * (`<!channel>`, `<https://…|a link>`), and a user's path, a tag or an AWS error message may carry them.
 * Only the mentions and formatting we write ourselves stay unescaped.
 */
export function escapeText(value: string | number): string {
  return String(value).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
}

/** Slack's documented limits for a message. */
export const SLACK_LIMITS = { blocks: 50, sectionText: 3000, headerText: 150, totalText: 12_000 }

/** Joins lines up to `max` characters, ending with a count of the lines left out. */
export function clampLines(lines: readonly string[], max: number): string {
  const out: string[] = []
  let length = 0
  for (const [i, line] of lines.entries()) {
    const more = `…and ${lines.length - i} more`
    const clipped = line.length > max - more.length - 1 ? `${line.slice(0, max - more.length - 2)}…` : line
    if (length + clipped.length + 1 + more.length + 1 > max && i < lines.length) {
      out.push(more)
      return out.join('\n')
    }
    out.push(clipped)
    length += clipped.length + 1
  }
  return out.join('\n')
}

/**
 * A message of a title, a summary, sections of lines and a closing context: sections beyond the block
 * limit are counted in a last one, and each is cut to its share of the total text.
 */
export function sectionedMessage(parts: {
  title: string
  summary: string
  sections: readonly (readonly string[])[]
  context: string
  fallback: string
}): SlackMessage {
  const { sections } = parts
  const title = parts.title.slice(0, SLACK_LIMITS.headerText)
  const fixed = 4 // header, summary, divider, context
  const room = SLACK_LIMITS.blocks - fixed
  const kept = sections.length > room ? sections.slice(0, room - 1) : sections
  const perSection = Math.min(
    SLACK_LIMITS.sectionText,
    Math.floor(SLACK_LIMITS.totalText / Math.max(1, kept.length + 1)),
  )
  const bodies = kept.map((lines) => clampLines(lines, perSection))
  if (kept.length < sections.length)
    bodies.push(`…and ${sections.length - kept.length} more sections (see \`least-privilege audit\`)`)
  const blocks: Block[] = [
    { type: 'header', text: { type: 'plain_text', text: title } },
    { type: 'section', text: mrkdwn(clampLines([parts.summary], SLACK_LIMITS.sectionText)) },
    { type: 'divider' },
    ...bodies.map((text): Block => ({ type: 'section', text: mrkdwn(text) })),
    { type: 'context', elements: [mrkdwn(parts.context)] },
  ]
  return { text: `${title}: ${parts.fallback}`.slice(0, 3000), blocks }
}

/** A message of one section. */
export function oneSection(text: string): SlackMessage {
  return { text, blocks: [{ type: 'section', text: mrkdwn(clampLines([text], SLACK_LIMITS.sectionText)) }] }
}
