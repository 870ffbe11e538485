// The public pixel surface: the tracker script at each pixel's installation URL and the collect
// endpoints it (and server-side senders) post to. No credentials: pixels are public by design.
import { collectRoutes } from '../collect/routes.pixel.js';
import { pixelScriptRoutes } from '../pixels/routes.pixel.js';
import type { App } from '../platform/http.js';
import type { Services } from '../services.js';
import { surface } from './scope.js';

export async function pixelSurface(app: App, s: Services): Promise<void> {
  await surface(app, '', (scope) => {
    collectRoutes(scope, s);
    pixelScriptRoutes(scope, s);
  });
}
