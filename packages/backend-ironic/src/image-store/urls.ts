/** A store's base URL, without trailing slashes. */
export function baseUrl(url: string): string {
  return url.replace(/\/+$/, '');
}

/** The URL of object `name` under `base`. */
export function objectUrl(base: string, name: string): string {
  return `${base}/${encodeURIComponent(name)}`;
}

/**
 * The object name `url` points at when it lies directly under `base` (same scheme, host and port,
 * one path segment below), else undefined.
 */
export function objectNameIn(base: string, url: string): string | undefined {
  const b = parse(base);
  const u = parse(url);
  if (b === undefined || u === undefined || u.origin !== b.origin || u.search !== '' || u.hash !== '') return undefined;
  const prefix = `${b.pathname.replace(/\/+$/, '')}/`;
  if (!u.pathname.startsWith(prefix)) return undefined;
  const rest = u.pathname.slice(prefix.length);
  if (rest === '' || rest.includes('/')) return undefined;
  try {
    return decodeURIComponent(rest);
  } catch {
    return undefined;
  }
}

/** `url` without user and password, for messages. */
export function safeUrl(url: string): string {
  const u = parse(url);
  if (u === undefined || (u.username === '' && u.password === '')) return url;
  u.username = '';
  u.password = '';
  return u.href;
}

function parse(url: string): URL | undefined {
  try {
    return new URL(url);
  } catch {
    return undefined;
  }
}
