import type { IncomingMessage } from 'node:http';
import { handshakeCredentials } from './upgrades.js';

const handshake = (url: string, headers: Record<string, string> = {}) => ({ url, headers }) as unknown as IncomingMessage;

describe('handshakeCredentials (WebSocket API and subscriptions alike)', () => {
  it('reads ?token= as the bearer token when no Authorization header is sent', () => {
    expect(handshakeCredentials(handshake('/ws?token=abc'))).toEqual({ authorization: 'Bearer abc' });
  });

  it('lets the Authorization header win over ?token=, and keeps an API key beside either', () => {
    expect(handshakeCredentials(handshake('/ws?token=abc', { authorization: 'Bearer header' }))).toEqual({ authorization: 'Bearer header' });
    expect(handshakeCredentials(handshake('/graphql?token=abc', { 'x-api-key': 'key' }))).toEqual({ authorization: 'Bearer abc', 'x-api-key': 'key' });
  });

  it('passes only credentials, and nothing when there are none', () => {
    expect(handshakeCredentials(handshake('/ws', { 'x-api-key': 'key', cookie: 'a=b', host: 'x' }))).toEqual({ 'x-api-key': 'key' });
    expect(handshakeCredentials(handshake('/ws?token=', { cookie: 'a=b' }))).toBeUndefined();
  });
});
