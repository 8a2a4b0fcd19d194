// dynalite ships no types; this is the one call the tests make.
declare module 'dynalite' {
  import type { Server } from 'node:http'
  export default function dynalite(options?: Record<string, unknown>): Server
}
