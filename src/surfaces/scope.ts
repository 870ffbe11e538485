// A surface is a prefix, an auth hook and the list of feature routes it mounts. This helper gives
// each surface its own encapsulated Fastify scope (hooks apply to its routes only) with the TypeBox
// type provider, so feature route files read the same on every surface.
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { App } from '../platform/http.js';

export async function surface(app: App, prefix: string, mount: (scope: App) => void): Promise<void> {
  await app.register(
    async (instance) => {
      mount(instance.withTypeProvider<TypeBoxTypeProvider>());
    },
    { prefix },
  );
}
