import type { FastifyInstance } from 'fastify';
import { UI_CSP, UI_HTML } from './page-html.js';

/** Path of the web page. */
export const UI_PATH = '/ui/';

/** Serves the self-contained web page at `/ui/` (and redirects `/ui` there). */
export function registerUiRoutes(app: FastifyInstance): void {
  app.get(
    UI_PATH,
    { schema: { tags: ['ui'], summary: 'Web page to try the model', produces: ['text/html'] } },
    async (_request, reply) =>
      reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('content-security-policy', UI_CSP)
        .header('cache-control', 'no-cache')
        .send(UI_HTML),
  );
  app.get(UI_PATH.slice(0, -1), (_request, reply) => reply.redirect(UI_PATH, 307));
}
