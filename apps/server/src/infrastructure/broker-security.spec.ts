import { afterEach, describe, expect, it, jest } from '@jest/globals';
import { loadConfig } from '../config/app-config.js';
import {
  BrokerSecurityError,
  brokerSecurityProblems,
  brokerVerdict,
  guardBroker,
  type AnonymousProbe,
  type BrokerFacts,
  type BrokerGuard,
} from './broker-security.js';

const base: BrokerFacts = { embedded: false, url: 'mqtt://broker:1883', provisioning: true, provisions: true, anonymous: { outcome: 'refused', code: 5 } };
const accepted = (subscribeDevices: boolean | undefined): AnonymousProbe => ({ outcome: 'accepted', subscribeDevices });

describe('brokerSecurityProblems', () => {
  it.each<[string, Partial<BrokerFacts>, RegExp[]]>([
    ['a broker that refuses anonymous clients, provisioning set', {}, []],
    ['the embedded broker (its own device authentication)', { embedded: true, provisioning: false, anonymous: undefined }, []],
    ['an anonymous broker that lets them subscribe to every device', { anonymous: accepted(true) }, [/accepts anonymous clients.*lets them subscribe to tm\/v1\/devices\/#/]],
    ['an anonymous broker whose ACL refuses that subscription', { anonymous: accepted(false) }, [/accepts anonymous clients .*; its ACL refused them tm\/v1\/devices\/#$/]],
    ['no provisioning identity', { provisioning: false }, [/MQTT_ADMIN_USERNAME \/ MQTT_ADMIN_PASSWORD are not set/]],
    ['no provisioning identity, in a process that does not register devices', { provisioning: false, provisions: false }, []],
    ['an unreachable broker: nothing claimed', { anonymous: { outcome: 'unreachable', reason: 'ECONNREFUSED' } }, []],
    ['both', { provisioning: false, anonymous: accepted(true) }, [/anonymous/, /MQTT_ADMIN_USERNAME/]],
  ])('%s', (_name, facts, expected) => {
    const problems = brokerSecurityProblems({ ...base, ...facts });
    expect(problems).toHaveLength(expected.length);
    expected.forEach((re, i) => expect(problems[i]).toMatch(re));
  });

  it('does not put the broker password of the URL in the message', () => {
    const [p] = brokerSecurityProblems({ ...base, url: 'mqtt://u:secret@broker:1883', anonymous: accepted(true) });
    expect(p).toContain('mqtt://u:***@broker:1883');
    expect(p).not.toContain('secret');
  });
});

describe('brokerVerdict', () => {
  const anonymous = 'the broker at mqtt://b accepts anonymous clients (no username or password)';
  const noAdmin = 'MQTT_ADMIN_USERNAME / MQTT_ADMIN_PASSWORD are not set: …';

  it.each([
    [true, false, [], 'ok'],
    [true, true, [], 'ok'],
    [true, false, [anonymous], 'refuse'],
    [true, true, [anonymous], 'warn'],
    [false, false, [anonymous], 'warn'],
    [false, false, [noAdmin], 'warn'],
  ])('production %s, MQTT_INSECURE %s, %j → %s', (production, insecureAllowed, problems, action) => {
    expect(brokerVerdict(problems, { production, insecureAllowed }).action).toBe(action);
  });

  it('says what to set when it refuses', () => {
    const v = brokerVerdict([anonymous, noAdmin], { production: true, insecureAllowed: false });
    if (v.action !== 'refuse') throw new Error('expected a refusal');
    expect(v.message).toMatch(/NODE_ENV=production/);
    expect(v.message).toMatch(/allow_anonymous false/);
    expect(v.message).toMatch(/MQTT_ADMIN_USERNAME and MQTT_ADMIN_PASSWORD/);
    expect(v.message).toMatch(/MQTT_INSECURE=true/);
  });

  it('names only the fixes for what it found', () => {
    const v = brokerVerdict([noAdmin], { production: true, insecureAllowed: false });
    expect(v.action === 'refuse' && v.message).not.toMatch(/allow_anonymous/);
  });
});

describe('guardBroker', () => {
  const prodEnv = { DATABASE_URL: 'postgres://u@localhost/db', MQTT_URL: 'mqtt://broker:1883', JWT_SECRET: 'q7Vb2kLm9Xw4Rt8Zp1Nc6Hs3Jd5Fg0Ya', NODE_ENV: 'production' };
  const admin = { MQTT_ADMIN_USERNAME: 'prov', MQTT_ADMIN_PASSWORD: 'prov-password' };
  let guard: BrokerGuard | undefined;
  afterEach(() => {
    guard?.stop();
    guard = undefined;
    jest.useRealTimers();
  });
  const options = (probe: () => Promise<AnonymousProbe>) => {
    const warn = jest.fn<(m: string) => void>();
    const onRefused = jest.fn<(m: string) => void>();
    return { warn, onRefused, info: () => undefined, probe: jest.fn(probe), warnEveryMs: 1000, recheckEveryMs: 500 };
  };

  it('refuses production against an anonymous broker, naming MQTT_INSECURE', async () => {
    const o = options(async () => accepted(true));
    await expect(guardBroker(loadConfig({ ...prodEnv, ...admin }), o)).rejects.toThrow(BrokerSecurityError);
    await expect(guardBroker(loadConfig({ ...prodEnv, ...admin }), o)).rejects.toThrow(/MQTT_INSECURE=true/);
  });

  it('refuses production without provisioning even when the broker does not answer', async () => {
    const o = options(async () => ({ outcome: 'unreachable', reason: 'ECONNREFUSED' }));
    await expect(guardBroker(loadConfig(prodEnv), o)).rejects.toThrow(/MQTT_ADMIN_USERNAME/);
  });

  it('with MQTT_INSECURE=true: runs, warns at start and every period, exposes the problems', async () => {
    jest.useFakeTimers();
    const o = options(async () => accepted(true));
    guard = await guardBroker(loadConfig({ ...prodEnv, ...admin, MQTT_INSECURE: 'true' }), o);
    expect(guard.problems).toEqual([expect.stringMatching(/accepts anonymous clients/)]);
    expect(o.warn).toHaveBeenCalledTimes(1);
    expect(o.warn.mock.calls[0]![0]).toMatch(/MQTT_INSECURE=true/);
    jest.advanceTimersByTime(3000);
    expect(o.warn).toHaveBeenCalledTimes(4);
    guard.stop();
    jest.advanceTimersByTime(3000);
    expect(o.warn).toHaveBeenCalledTimes(4);
  });

  it('is quiet about a secured broker, and never probes the embedded one', async () => {
    const o = options(async () => ({ outcome: 'refused', code: 135 }));
    guard = await guardBroker(loadConfig({ ...prodEnv, ...admin }), o);
    expect(guard.problems).toEqual([]);
    expect(o.warn).not.toHaveBeenCalled();
    guard.stop();
    const embedded = options(async () => accepted(true));
    guard = await guardBroker(loadConfig({ NODE_ENV: 'production' }), embedded);
    expect(embedded.probe).not.toHaveBeenCalled();
    expect(guard.problems).toEqual([]);
  });

  it('outside production only warns', async () => {
    const o = options(async () => accepted(true));
    const { NODE_ENV: _, ...dev } = prodEnv;
    guard = await guardBroker(loadConfig(dev), o);
    expect(guard.problems).toHaveLength(2);
    expect(o.warn.mock.calls[0]![0]).toMatch(/NODE_ENV is not production/);
  });

  it('in production, judges a broker unreachable at start once it answers', async () => {
    jest.useFakeTimers();
    const answers: AnonymousProbe[] = [
      { outcome: 'unreachable', reason: 'ECONNREFUSED' },
      { outcome: 'unreachable', reason: 'ECONNREFUSED' },
      accepted(false),
    ];
    const o = options(async () => answers.shift()!);
    guard = await guardBroker(loadConfig({ ...prodEnv, ...admin }), o);
    expect(guard.problems).toEqual([]);
    expect(o.onRefused).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(500);
    expect(o.onRefused).not.toHaveBeenCalled();
    await jest.advanceTimersByTimeAsync(500);
    expect(o.onRefused).toHaveBeenCalledWith(expect.stringMatching(/MQTT_INSECURE/));
    expect(o.warn).toHaveBeenCalledTimes(1); // "not reachable", once
  });
});
