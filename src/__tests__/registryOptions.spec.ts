import {
  plainHttpByDefault,
  RegistryPolicy,
  remoteOptions,
  skipsTlsVerify
} from '../registryOptions';

describe('the registry-options policy', () => {
  it('offers plain HTTP for loopback registries only', () => {
    expect(plainHttpByDefault('127.0.0.1:5000', [])).toBe(true);
    expect(plainHttpByDefault('localhost:5000', [])).toBe(true);
    expect(plainHttpByDefault('[::1]:5000', [])).toBe(true);
    // A bare `localhost` is kit's local store, not a registry.
    expect(plainHttpByDefault('localhost', [])).toBe(false);
    expect(plainHttpByDefault('ghcr.io', [])).toBe(false);
  });

  it('treats a listed registry as TLS with an unchecked certificate', () => {
    const insecure = ['127.0.0.1:5443', 'registry.lan'];
    expect(skipsTlsVerify('127.0.0.1:5443', insecure)).toBe(true);
    expect(skipsTlsVerify('', insecure)).toBe(false);
    expect(plainHttpByDefault('127.0.0.1:5443', insecure)).toBe(false);
    expect(remoteOptions('127.0.0.1:5443', insecure)).toEqual({
      tlsVerify: false
    });
    expect(remoteOptions('registry.lan', insecure)).toEqual({
      tlsVerify: false
    });
  });

  it('sets only what differs from the server defaults', () => {
    expect(remoteOptions('ghcr.io', [])).toEqual({});
    expect(remoteOptions('127.0.0.1:5000', [])).toEqual({ plainHttp: true });
    // The user's choice in a dialog wins over the default.
    expect(remoteOptions('127.0.0.1:5000', [], false)).toEqual({});
    expect(remoteOptions('ghcr.io', [], true)).toEqual({ plainHttp: true });
    // The local store needs no network options at all.
    expect(remoteOptions('localhost', ['localhost'], true)).toEqual({});
    expect(remoteOptions('', [])).toEqual({});
  });

  it('reads the live settings on every call', () => {
    let insecure: string[] = [];
    const policy = new RegistryPolicy(() => insecure);
    expect(policy.forReference('127.0.0.1:5443/org/model:v1')).toEqual({
      plainHttp: true
    });
    insecure = ['127.0.0.1:5443'];
    expect(policy.forReference('127.0.0.1:5443/org/model:v1')).toEqual({
      tlsVerify: false
    });
    expect(policy.plainHttpByDefault(' 127.0.0.1:5443 ')).toBe(false);
    expect(policy.forReference('churn:v1')).toEqual({});
  });
});
