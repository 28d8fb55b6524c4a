// The servers' structured logs (pino): one setting for both servers.
import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/** pino options (optionally with a `stream` destination), an existing logger, true for defaults, or false (silent). */
export type LoggerSetting = boolean | Logger | (LoggerOptions & { stream?: DestinationStream });

export function makeLogger(setting: LoggerSetting | undefined): Logger {
  if (setting === undefined || setting === false) return pino({ level: 'silent' });
  if (setting === true) return pino();
  if (typeof (setting as Logger).child === 'function') return setting as Logger;
  const { stream, ...options } = setting as LoggerOptions & { stream?: DestinationStream };
  return stream ? pino(options, stream) : pino(options);
}
