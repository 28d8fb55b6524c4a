// httpd: what vouch's HTTP servers share: bounded, budgeted request bodies read only after a
// request has been admitted from its headers.
export {
  BodyBudget, BodyRefused, BUSY_RETRY_AFTER_SECONDS, DEFAULT_BYTES_IN_FLIGHT, LINGER_MS, closeIfBodyUnread, declaredBody, deferContinue, mustCloseAfterAnswer, openBody, processBodyBudget, readBody,
  type BodyRefusalKind, type HeldBody,
} from './body.js';
