import Table from 'cli-table3'

let terminalWidth: number | undefined

/** Tables printed to a terminal this wide wrap their last column to fit it. */
export function setTableWidth(columns: number | undefined): void {
  terminalWidth = columns
}

/**
 * Human-readable tables for the CLI; `--json` prints the records themselves instead. `optional` names the
 * columns that may be left out, in that order, when the table cannot fit the terminal otherwise (a
 * footnote says which): the IDs stay whole, and what is left out is one `--output text` away. A table
 * that still cannot fit (a value longer than the terminal allows beside the others) is printed as
 * records, a field a line, every field whole.
 */
export function table(head: string[], rows: (string | number)[][], optional: readonly string[] = []): string {
  const cells = rows.map((r) => r.map(String))
  let shown = head.map((_h, i) => i)
  let fit = widths(head, cells)
  const left: string[] = []
  for (const name of optional) {
    if (fit.fits || !terminalWidth) break
    shown = shown.filter((i) => head[i] !== name)
    left.push(name)
    fit = widths(
      shown.map((i) => head[i] ?? ''),
      cells.map((r) => shown.map((i) => r[i] ?? '')),
    )
  }
  if (!fit.fits) return records(head, cells)
  // Narrowed columns wrap between words; no column is narrower than its longest word (see widths).
  const t = new Table({
    head: shown.map((i) => head[i] ?? ''),
    style: { head: [], border: [] },
    wordWrap: true,
    wrapOnWordBoundary: true,
    ...(fit.colWidths ? { colWidths: fit.colWidths } : {}),
  })
  t.push(...cells.map((r) => shown.map((i) => r[i] ?? '')))
  const note =
    left.length > 0 ? `\nleft out at this width (--output text shows them):\n${left.join(', ')}` : ''
  return `${t.toString()}${note}`
}

/** Each row as lines of `heading: value`, a blank line between rows. */
function records(head: readonly string[], cells: readonly string[][]): string {
  const label = Math.max(...head.map((h) => h.length)) + 1
  return cells
    .map((r) => head.map((h, i) => `${`${h}:`.padEnd(label)} ${r[i] ?? ''}`.trimEnd()).join('\n'))
    .join('\n\n')
}

/**
 * Column widths that fit the terminal: every column as wide as its content, but the widest give way
 * (wrapping between words) down to a common cap, the largest that fits. No column is narrowed below its
 * longest word, heading included: an ID, a name, a time or a count is never broken or cut (a cut ID
 * cannot be copied, and a line too wide is better than one that lies). Nothing is set off a terminal,
 * where lines are for programs.
 */
function widths(head: string[], cells: string[][]): { colWidths?: number[]; fits: boolean } {
  const width = terminalWidth
  if (!width) return { fits: true }
  const natural = head.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)) + 2)
  const longestWord = (text: string) => Math.max(0, ...text.split(/\s+/).map((w) => w.length))
  const floor = head.map((h, i) => Math.max(longestWord(h), ...cells.map((r) => longestWord(r[i] ?? ''))) + 2)
  const borders = head.length + 1
  const capped = (cap: number) => natural.map((w, i) => Math.max(Math.min(w, cap), floor[i] ?? w))
  const fits = (cap: number) => capped(cap).reduce((n, w) => n + w, 0) + borders <= width
  if (fits(Number.POSITIVE_INFINITY)) return { fits: true }
  let cap = Math.max(...natural)
  while (cap > 8 && !fits(cap)) cap--
  return { colWidths: capped(cap), fits: fits(cap) }
}

/**
 * `--output text`: tab-separated, one record a line, nothing cut, as the AWS CLI's text output. A list
 * gives a line per record, its fields in order (nested ones as JSON); a record, a line per field.
 */
export function textLines(data: unknown): string {
  const cell = (value: unknown) =>
    value === undefined || value === null
      ? ''
      : typeof value === 'object'
        ? JSON.stringify(value)
        : String(value).replace(/[\t\n]/g, ' ')
  if (Array.isArray(data)) {
    // Every line has the same columns: the fields of all the records, in the order first seen, an absent
    // one an empty cell, so that `cut -f3` means the same field on every line.
    const records = data.filter(
      (row): row is Record<string, unknown> => row !== null && typeof row === 'object',
    )
    const keys = [...new Set(records.flatMap((row) => Object.keys(row)))]
    return data
      .map((row) =>
        row !== null && typeof row === 'object'
          ? keys.map((k) => cell((row as Record<string, unknown>)[k])).join('\t')
          : cell(row),
      )
      .join('\n')
  }
  if (data !== null && typeof data === 'object')
    return Object.entries(data)
      .map(([key, value]) => `${key}\t${cell(value)}`)
      .join('\n')
  return cell(data)
}

/** Text cut to `max` characters says so, with an ellipsis. */
export const cut = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text)

export const list = (items: readonly string[], max = 8) =>
  items.length > max ? `${items.slice(0, max).join(' ')} … (+${items.length - max})` : items.join(' ')
