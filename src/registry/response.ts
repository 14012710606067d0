/** A registry's answer, and what civctl reads of one: a header, the media type, the JSON body, the error code. */

export interface RegistryResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
  /** Where the answer came from: the request's URL, or the last redirect's. */
  url: URL;
}

/** A header's (first) value; names are lower-case, as undici gives them. */
export function headerOf(res: RegistryResponse, name: string): string | undefined {
  const value = res.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Content-Type without its parameters (`application/json; charset=utf-8` → `application/json`). */
export function contentTypeOf(res: RegistryResponse): string {
  return (headerOf(res, 'content-type') ?? '').split(';')[0]!.trim();
}

/** The body as JSON, or undefined when it is not. */
export function jsonOf(res: RegistryResponse): unknown {
  try {
    return JSON.parse(Buffer.from(res.body).toString('utf8'));
  } catch {
    return undefined;
  }
}

/** The first code of the distribution spec's error body (`NAME_UNKNOWN`, …). */
export function errorCodeOf(res: RegistryResponse): string | undefined {
  return (jsonOf(res) as { errors?: { code?: string }[] } | undefined)?.errors?.[0]?.code;
}
