import { MultiBar, Presets, type SingleBar } from 'cli-progress'
import type { SweepProgress } from '../../shared/app/org-sweep.js'
import type { AccountOutcome } from '../../shared/domain/records.js'

/**
 * The sweep's progress bar on a terminal: users done of those listed so far, accounts, elapsed time and
 * an estimate. A user is done when its report is read, and every user of an account when the account is
 * (most need no read), so a 5,000-user account moves the bar as it goes, not only at its end. Lines
 * logged meanwhile are printed whole above the bar (`log`): the terminal keeps wrapping them.
 */
export class SweepBar implements SweepProgress {
  private readonly multi: MultiBar
  private bar: SingleBar | undefined
  private readonly listedIn = new Map<string, number>()
  private readonly readIn = new Map<string, number>()
  private users = 0
  private done = 0
  private accounts = 0
  private accountsDone = 0

  constructor(stream: NodeJS.WritableStream) {
    this.multi = new MultiBar(
      {
        stream,
        // Fits 80 columns with 5,000-user counts: the bar is cut to the terminal's width, ETA last.
        format:
          '{bar} {value}/{total} users | {accountsDone}/{accounts} accounts | {duration_formatted} | ETA {eta_formatted}',
        barsize: 16,
        // The terminal keeps wrapping, so that lines printed above the bar are whole; the bar itself is
        // cut to the terminal's width.
        linewrap: true,
        hideCursor: true,
        etaBuffer: 100,
        fps: 4,
      },
      Presets.shades_classic,
    )
  }

  started(accounts: number): void {
    this.accounts = accounts
    this.bar ??= this.multi.create(0, 0, this.payload())
    this.show()
  }

  listed(accountId: string, users: number): void {
    // An account carried on lists its users again: they are counted once.
    if (this.listedIn.has(accountId)) return
    this.listedIn.set(accountId, users)
    this.users += users
    this.show()
  }

  read(accountId: string): void {
    this.readIn.set(accountId, (this.readIn.get(accountId) ?? 0) + 1)
    this.done++
    this.show()
  }

  accountDone(outcome: AccountOutcome): void {
    const listed = this.listedIn.get(outcome.accountId) ?? 0
    this.done += Math.max(0, listed - (this.readIn.get(outcome.accountId) ?? 0))
    this.readIn.set(outcome.accountId, listed)
    this.accountsDone++
    this.show()
  }

  /** A line printed above the bar, whole (it ends with a newline). */
  log(line: string): void {
    this.multi.log(line)
  }

  /** Flushes the lines not printed yet, then leaves the bar's last state on its own line. */
  stop(): void {
    this.multi.update()
    this.multi.stop()
  }

  private show(): void {
    if (!this.bar) return
    this.bar.setTotal(this.users)
    this.bar.update(Math.min(this.done, this.users), this.payload())
  }

  private payload() {
    return { accounts: this.accounts, accountsDone: this.accountsDone }
  }
}
