import { describe, expect, it } from '@jest/globals';
import { redactUrl } from './log-redaction.js';

describe('redactUrl (request logs, issue 21 §4)', () => {
  it.each([
    ['/api/patients/3f1c/trends', '/api/patients/3f1c/trends'],
    ['/api/patients/3f1c/trends?metric=spo2&from=2026-01-01&bucket=1h', '/api/patients/3f1c/trends?metric=spo2&from=2026-01-01&bucket=1h'],
    ['/api/alerts?status=open&patientId=3f1c', '/api/alerts?status=open&patientId=[redacted]'],
    ['/console?token=eyJhbGciOi.secret', '/console?token=[redacted]'],
    ['/fhir/Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|1234567890123', '/fhir/Patient?identifier=[redacted]'],
    ['/api/users?username=jdupont&_count=10', '/api/users?username=[redacted]&_count=10'],
    ['/x?flag&%73tatus=open&st%61tus=x', '/x?flag&%73tatus=open&st%61tus=x'],
    ['/x?a=1&&b=', '/x?a=[redacted]&b=[redacted]'],
    ['/x?%E0%A4%A=1', '/x?%E0%A4%A=[redacted]'],
  ])('%s → %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });

  it('shortens an overlong key', () => {
    expect(redactUrl(`/x?${'k'.repeat(500)}=v`)).toBe(`/x?${'k'.repeat(64)}…=[redacted]`);
  });
});
