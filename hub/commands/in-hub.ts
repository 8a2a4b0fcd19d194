import type { z } from 'zod'
import { askHub } from '../../shared/aws/hub-invoke.js'
import type { OperatorRequest } from '../event.js'
import type { CliContext } from './context.js'

/**
 * Has the deployed hub carry out an operator's request (what writes denies or records: the operator role
 * may only read), signed as the operator so that the hub acts for them as AWS names them; the hub's
 * answer is parsed with `reply`.
 */
export async function inHub<S extends z.ZodType>(
  cli: CliContext,
  functionName: string,
  request: OperatorRequest,
  reply: S,
): Promise<z.output<S>> {
  const { event } = await cli.asOperator(request, functionName)
  return askHub(cli.lambda(), { functionName, event, reply })
}
