import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';

import { sendError } from './error-handler.js';

/** Where the admin UI is served; the Vite build's `base` is the same path. */
export const WEB_UI_PATH = '/integrations/sis/';

const NOT_BUILT = 'The admin UI is not built: run `npm run build`';

/** Hashed by the build: a file's name changes whenever its content does. */
const IMMUTABLE = 'public, max-age=31536000, immutable';

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  // The sign-in link carries its token in the fragment, which no Referer holds; nothing else should leak either.
  'referrer-policy': 'no-referrer',
};

/**
 * The built UI (`dist/web`), found from this module: `src/api/plugins` under tsx and
 * `dist/api/plugins` once compiled both lie two folders below the package root. The first
 * candidate that exists, else the first one (which then answers "not built").
 */
export function defaultWebRoot(): string {
  const candidates = [
    fileURLToPath(new URL('../../../dist/web', import.meta.url)),
    fileURLToPath(new URL('../../web', import.meta.url)),
  ];
  return candidates.find((dir) => existsSync(path.join(dir, 'index.html'))) ?? candidates[0]!;
}

async function isFile(file: string): Promise<boolean> {
  try {
    return (await stat(file)).isFile();
  } catch {
    return false;
  }
}

/** `relative` as a path inside `root`, or undefined when it leaves it or names a dotfile. */
function fileInside(root: string, relative: string): string | undefined {
  if (relative.split('/').some((part) => part.startsWith('.'))) return undefined;
  const file = path.resolve(root, relative);
  return file.startsWith(root + path.sep) ? file : undefined;
}

/**
 * The admin UI under /integrations/sis/: its files as built, and for any other path the app's
 * index.html, so a deep link works on reload (the UI routes on the client). A missing hashed asset
 * stays a 404: answering HTML for a script only hides the real problem. `/` and
 * `/integrations/sis` lead to it. Whether the UI is built is looked at per request: a build while
 * the server runs is picked up.
 */
export async function registerWebUi(app: FastifyInstance, webRoot: string): Promise<void> {
  const root = path.resolve(webRoot);
  const redirectToUi = (url: string, reply: FastifyReply) => {
    const query = url.indexOf('?');
    return reply.redirect(WEB_UI_PATH + (query === -1 ? '' : url.slice(query)), 302);
  };
  app.get('/', { schema: { hide: true } }, (request, reply) => redirectToUi(request.url, reply));

  await app.register(async (ui) => {
    await ui.register(fastifyStatic, {
      serve: false,
      decorateReply: true,
      cacheControl: false,
      dotfiles: 'deny',
      index: false,
      setHeaders: (res, file) => {
        const inAssets = file.startsWith(path.join(root, 'assets') + path.sep);
        res.setHeader('cache-control', inAssets ? IMMUTABLE : 'no-cache');
      },
    });
    ui.addHook('onSend', async (_request, reply) => {
      reply.headers(SECURITY_HEADERS);
    });

    ui.get(WEB_UI_PATH.slice(0, -1), { schema: { hide: true } }, (request, reply) =>
      redirectToUi(request.url, reply),
    );
    ui.get<{ Params: { '*': string } }>(
      `${WEB_UI_PATH}*`,
      { schema: { hide: true } },
      async (request, reply) => {
        if (!(await isFile(path.join(root, 'index.html')))) {
          return reply
            .status(503)
            .header('cache-control', 'no-store')
            .type('text/plain; charset=utf-8')
            .send(NOT_BUILT);
        }
        const relative = request.params['*'];
        const file = relative === '' ? undefined : fileInside(root, relative);
        if (file !== undefined && (await isFile(file))) return reply.sendFile(relative, root);
        if (relative.startsWith('assets/')) {
          return sendError(reply, 404, 'not_found', `no file ${WEB_UI_PATH}${relative}`);
        }
        return reply.sendFile('index.html', root);
      },
    );
  });
}
