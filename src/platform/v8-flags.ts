// V8 settings for the server process, applied before the other modules load (server.ts imports this
// first). Allocation-site pretenuring is off: under ingest load V8 saw every request's small object
// literals (Node's stream and listener fields, Fastify's request logger bindings) survive one young
// collection, from then on made them directly in the old generation, and each such object, dead with
// its request but kept until the next full collection, held that request's young objects alive: every
// young collection copied and promoted about a fifth of everything allocated (8 to 13 MB, 10 to 30 ms
// a pause), and those promotions kept the decision in place. Without it a request's objects die young.
// Measured in docs/ingest.md, "Garbage collection under ingest".
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-allocation-site-pretenuring');
