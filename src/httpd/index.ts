// httpd: what vouch's HTTP servers share: the Node adapter that puts a handler `(request) → answer`
// on a socket, and bounded, budgeted request bodies read only after a request has been admitted
// from its headers.
export {
  BodyBudget, BodyRefused, BUSY_RETRY_AFTER_SECONDS, DEFAULT_BYTES_IN_FLIGHT, LINGER_MS, RequestBody, declaredBody, deferContinue, lingerBeforeClose, processBodyBudget,
  type BodyRefusalKind, type HeldBody,
} from './body.js';
export { KEEP_ALIVE_TIMEOUT_MS, finalHeaders, listenAt, serve, type Answer, type Handler, type HttpRequest, type NodeServer, type ServeOptions } from './serve.js';
export { makeLogger, type LoggerSetting } from './log.js';
export { parseListenAddress } from './addr.js';
export { Counter, EXPOSITION_CONTENT_TYPE, Histogram, single, escapeLabel, exposition, family, labels, processGauges, type MetricType } from './prometheus.js';
