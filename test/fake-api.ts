/** A scriptable fake Bottlerocket API for command tests: routes answer from `answers`, every request is logged. */
import type { IncomingMessage, ServerResponse } from 'node:http';

export function fakeApi(answers: Record<string, (res: ServerResponse, body: string) => void> = {}) {
  const log: string[] = [];
  const pending = new Set<string>();
  const handler = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const key = `${req.method} ${url.pathname}`;
    log.push(`${key}${url.search}`);
    const tx = url.searchParams.get('tx');
    const json = (value: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(value));
    };
    if (key === 'PATCH /settings' && tx) pending.add(tx);
    if (key === 'DELETE /tx' && tx && !answers[key]) pending.delete(tx);
    const answer = answers[key];
    if (answer) return answer(res, body);
    if (key === 'GET /os') return json({ variant_id: 'aws-k8s-1.34', version_id: '1.63.0' });
    if (key === 'GET /') return json({ settings: { 'image-verifier-plugins': { enabled: true } } });
    if (key === 'GET /metadata/affected-services') return json({});
    if (key === 'PATCH /settings') {
      res.writeHead(204);
      return res.end();
    }
    if (key === 'DELETE /tx') return json([]);
    if (key === 'POST /tx/commit_and_apply') {
      if (tx) pending.delete(tx);
      return json(['settings.image-verifier-plugins.digestion.trustpolicy']);
    }
    res.writeHead(404);
    res.end();
  };
  return { handler, log, pending };
}
