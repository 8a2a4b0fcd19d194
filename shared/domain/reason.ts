import { z } from 'zod'

/**
 * Why an operator changes something, as recorded and later shown in a terminal: words, not blanks, and
 * nothing that moves or hides text (an escape sequence, a bidirectional override, a zero-width or line
 * separator could fake, reorder or hide what an auditor reads). The CLI and the hub's events both check it.
 */
export const reasonText = z
  .string()
  .max(1000)
  .refine((t) => t.trim().length > 0, 'a reason in words, not blank')
  .refine(
    (t) => !/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/u.test(t),
    'no control characters, nor formatting ones (newlines, escapes, direction overrides, zero-width)',
  )
