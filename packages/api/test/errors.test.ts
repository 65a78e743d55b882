import { ErrorBody } from '@skypatch/protocol';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_BODY_BYTES } from '../src/app';
import { AppError } from '../src/lib/errors';
import { toErrorResponse } from '../src/middleware/errors';
import { request } from './request';

function expectErrorShape(res: { status: number; body: unknown }, status: number, code: string) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  const parsed = ErrorBody.parse(res.body);
  expect(parsed.error.code).toBe(code);
  expect(parsed.error.message.length).toBeGreaterThan(0);
  return parsed;
}

describe('error shape', () => {
  it('answers an unknown route with 404 in the error shape', async () => {
    const res = await request('GET', '/no/such/route');
    expectErrorShape(res, 404, 'NOT_FOUND');
  });

  it('denies an unknown /v1 route without credentials instead of confirming it exists', async () => {
    const res = await request('GET', '/v1/no-such-thing');
    expectErrorShape(res, 401, 'UNAUTHORIZED');
  });

  it('answers malformed JSON with 400', async () => {
    const res = await request('POST', '/v1/bootstrap', {
      raw: '{"email": ',
      headers: { 'content-type': 'application/json', 'x-bootstrap-token': 'test-bootstrap-token' },
    });
    expectErrorShape(res, 400, 'BAD_REQUEST');
  });

  it('answers a wrong content type with 415', async () => {
    const res = await request('POST', '/v1/bootstrap', {
      raw: 'email=a@b.c',
      headers: { 'content-type': 'text/plain', 'x-bootstrap-token': 'test-bootstrap-token' },
    });
    expectErrorShape(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('answers a body over the limit with 413 before reading it all', async () => {
    const res = await request('POST', '/v1/bootstrap', {
      raw: `{"orgName":"${'x'.repeat(MAX_JSON_BODY_BYTES)}"}`,
      headers: { 'content-type': 'application/json', 'x-bootstrap-token': 'test-bootstrap-token' },
    });
    expectErrorShape(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('answers a failed validation with 400 and the failing fields, without echoing input', async () => {
    const res = await request('POST', '/v1/bootstrap', {
      json: { email: 'not-an-email', password: 'hunter2' },
      headers: { 'x-bootstrap-token': 'test-bootstrap-token' },
    });
    const body = expectErrorShape(res, 400, 'BAD_REQUEST');
    expect(body.error.details).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ path: 'email' }),
        expect.objectContaining({ path: 'password' }),
      ]),
    );
    expect(res.text).not.toContain('hunter2');
  });

  it('carries a request id on every response, echoing a well-formed incoming one', async () => {
    const res = await request('GET', '/health', { headers: { 'x-request-id': 'abc12345-trace' } });
    expect(res.headers.get('x-request-id')).toBe('abc12345-trace');
    const fresh = await request('GET', '/nope');
    expect(fresh.headers.get('x-request-id')).toMatch(/^req_/);
  });
});

describe('toErrorResponse', () => {
  it('maps every AppError code to its status', () => {
    expect(toErrorResponse(new AppError('CONFLICT', 'x')).status).toBe(409);
    expect(toErrorResponse(new AppError('RATE_LIMITED', 'x')).status).toBe(429);
    expect(
      toErrorResponse(new AppError('BAD_REQUEST', 'x', { field: 'a' })).body.error.details,
    ).toEqual({ field: 'a' });
  });

  it('hides the message of an unexpected error behind a generic 500', () => {
    const { status, body } = toErrorResponse(new Error('secret connection string'));
    expect(status).toBe(500);
    expect(body).toEqual({ error: { code: 'INTERNAL', message: 'Internal error' } });
  });
});
