// Download links: serving the file behind a window (the window is opened from the Software routes).
import { z } from 'zod';
import { route, type RouteDef } from './route.ts';

export const linkRoutes: RouteDef[] = [
  route({
    method: 'get',
    path: '/v1/downloads/:token',
    operationId: 'download',
    summary: 'Download the file behind a link: counts one download from its first byte; HEAD counts nothing; a Range that starts later resumes',
    tag: 'Download links',
    access: 'public',
    params: z.object({ token: z.string().max(200).describe('The link’s token, as in the URL “Get keys and downloads” gave') }),
    responses: {
      200: { description: 'The file (HEAD: its headers only, counting nothing)', headers: ['X-Downloads-Remaining'] },
      206: { description: 'The requested range of the file (a resumed download is not counted; see the README for the rule)', headers: ['X-Downloads-Remaining'] },
      302: { description: 'Redirect to the file in object storage', headers: ['Location', 'X-Downloads-Remaining'] },
      404: { description: 'Unknown link' },
      410: { description: 'The link expired (time or downloads) or was revoked', problems: ['link-expired', 'link-used-up', 'link-revoked'] },
      416: { description: 'The range lies outside the file' },
    },
    handler: async ({ params, req, services }) => services.links.download(params.token, req),
  }),
];
