// What may be shown of a secret-bearing string (logs, error messages, health answers).

/** A URL with its password replaced: `postgres://user:***@host/db` (the user name stays). */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@]*):[^@/]*@/i, '$1:***@');
}

/** Free text (a driver's error message) with every URL's user info and `password=` value replaced. */
export function redactSecrets(text: string): string {
  return text.replace(/(\w+:\/\/)[^/@\s]*@/g, '$1***@').replace(/password=[^&\s]*/gi, 'password=***');
}
