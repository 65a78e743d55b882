import { describe, expect, it } from 'vitest';
import { BootstrapBody, ErrorBody } from './index';

describe('BootstrapBody', () => {
  it('fills defaults for an empty body', () => {
    expect(BootstrapBody.parse({})).toEqual({
      email: 'owner@skypatch.local',
      orgName: 'My Organization',
    });
  });

  it('refuses a short password and a bad email', () => {
    const result = BootstrapBody.safeParse({ email: 'not-an-email', password: 'short' });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path[0]).sort()).toEqual([
      'email',
      'password',
    ]);
  });
});

describe('ErrorBody', () => {
  it('accepts the error shape and rejects an unknown code', () => {
    expect(ErrorBody.safeParse({ error: { code: 'NOT_FOUND', message: 'x' } }).success).toBe(true);
    expect(ErrorBody.safeParse({ error: { code: 'TEAPOT', message: 'x' } }).success).toBe(false);
  });
});
