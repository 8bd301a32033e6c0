import { describe, expect, it } from 'vitest';
import { redactUrl } from '../../../src/observability/logger.js';

describe('redactUrl', () => {
  it('keeps scheme, host and path; drops credentials and the query', () => {
    expect(redactUrl('https://user:pw@hooks.example.com:8443/in?token=s3cret')).toBe('https://hooks.example.com:8443/in?…');
    expect(redactUrl('http://127.0.0.1:9000/hook')).toBe('http://127.0.0.1:9000/hook');
    expect(redactUrl('not a url')).toBe('(invalid url)');
  });
});
