/**
 * Registry authentication as containerd does it (core/remotes/docker/authorizer.go, auth/parse.go,
 * auth/fetch.go): WWW-Authenticate challenges parsed per RFC 7235, Basic, and Bearer tokens from
 * the realm, by OAuth2 POST when there are credentials (falling back to GET + Basic), else by an
 * anonymous GET. Pure parts here; the requests are made by client.ts.
 */

export interface Challenge {
  /** Lower-cased: `basic`, `bearer`. */
  scheme: string;
  /** Parameter names lower-cased; values unquoted. */
  params: Record<string, string>;
}

export interface Credentials {
  username: string;
  /** A password, a token, or (with an empty username) an identity/refresh token. */
  secret: string;
}

const TOKEN_CHAR = /[!#$%&'*+\-.^_`|~0-9A-Za-z]/;

/** Every challenge in a WWW-Authenticate value: `Bearer realm="…",service=…, Basic realm=…`. */
export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  const values = header === undefined ? [] : Array.isArray(header) ? header : [header];
  const out: Challenge[] = [];
  for (const value of values) {
    let i = 0;
    const skipSpace = () => {
      while (i < value.length && (value[i] === ' ' || value[i] === '\t')) i++;
    };
    const token = (): string => {
      const start = i;
      while (i < value.length && TOKEN_CHAR.test(value[i]!)) i++;
      return value.slice(start, i);
    };
    let current: Challenge | undefined;
    while (i < value.length) {
      skipSpace();
      if (value[i] === ',') {
        i++;
        continue;
      }
      const start = i;
      const word = token();
      if (word === '') {
        i++; // a character no rule allows: skip it, as a lenient parser does
        continue;
      }
      skipSpace();
      if (value[i] === '=' && current) {
        i++;
        skipSpace();
        let paramValue: string;
        if (value[i] === '"') {
          i++;
          paramValue = '';
          while (i < value.length && value[i] !== '"') {
            if (value[i] === '\\' && i + 1 < value.length) i++;
            paramValue += value[i];
            i++;
          }
          i++;
        } else {
          // A token, or a token68 such as a base64 blob with trailing '='.
          const begin = i;
          while (i < value.length && value[i] !== ',' && value[i] !== ' ') i++;
          paramValue = value.slice(begin, i);
        }
        current.params[word.toLowerCase()] = paramValue;
        continue;
      }
      i = start + word.length;
      current = { scheme: word.toLowerCase(), params: {} };
      out.push(current);
    }
  }
  return out;
}

/** The scopes containerd asks a token for: the challenge's, plus pull on the repository; sorted, unique. */
export function tokenScopes(challengeScope: string | undefined, repository: string): string[] {
  const scopes = new Set<string>(challengeScope ? challengeScope.split(' ').filter(Boolean) : []);
  scopes.add(`repository:${repository}:pull`);
  return [...scopes].sort();
}

/** `Basic base64(user:pass)`. */
export function basicAuthorization(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.secret}`).toString('base64')}`;
}

/** The token in a token endpoint's JSON answer: access_token wins over token (containerd). */
export function tokenFromAnswer(body: unknown): { token: string; expiresIn?: number } | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const record = body as Record<string, unknown>;
  const token =
    typeof record['access_token'] === 'string' && record['access_token'] !== ''
      ? record['access_token']
      : typeof record['token'] === 'string'
        ? record['token']
        : '';
  if (token === '') return undefined;
  const expires = record['expires_in'];
  return { token, ...(typeof expires === 'number' && expires > 0 ? { expiresIn: expires } : {}) };
}
