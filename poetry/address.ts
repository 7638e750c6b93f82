/**
 * Parsing `host:port` arguments. A bare port means 127.0.0.1, as in the series' clients; a port
 * outside 0–65535 or a word that is not a number is rejected here, with the argument named, rather
 * than failing later inside a model.
 */
import type { Address } from './contract.ts';

export class AddressError extends Error {
  override readonly name = 'AddressError';
}

export function parseAddress(text: string, defaultHost = '127.0.0.1'): Address {
  const trimmed = text.trim();
  let host = defaultHost;
  let portText = trimmed;
  const bracketed = /^\[([^\]]+)\]:(.*)$/.exec(trimmed);
  if (bracketed) {
    host = bracketed[1] as string;
    portText = bracketed[2] as string;
  } else if (trimmed.includes(':')) {
    const at = trimmed.lastIndexOf(':');
    host = trimmed.slice(0, at) || defaultHost;
    portText = trimmed.slice(at + 1);
  }
  if (!/^\d+$/.test(portText)) {
    throw new AddressError(`invalid address "${text}": port "${portText}" is not a number`);
  }
  const port = Number(portText);
  if (port < 1 || port > 65535) {
    throw new AddressError(`invalid address "${text}": port ${port} is outside 1-65535`);
  }
  return { host, port };
}
