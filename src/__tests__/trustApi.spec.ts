/**
 * The key management client (src/trustApi.ts) against a real Jupyter server with kitlab: key pairs are
 * made in kit's home and only their public halves come back; trusted keys are added and removed.
 */
import * as trust from '../trustApi';
import { useJupyterServer } from './support/jupyterServer';
import { rejection } from './support/rejection';

useJupyterServer({ 'notes.key': 'not a key\n' });

describe('the key management client', () => {
  it('generates a key pair and lists only its public half', async () => {
    const made = await trust.generateKey('team', 'a long password');
    expect(made.fingerprint).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(made.publicKey).toContain('-----BEGIN PUBLIC KEY-----');
    const keys = await trust.listKeys();
    expect(keys.signingKeys.map(k => k.name)).toEqual(['team']);
    expect(JSON.stringify(keys)).not.toContain('PRIVATE KEY');
    const again = await rejection(trust.generateKey('team', 'x'));
    expect(again.status).toBe(409);
  });

  it('trusts a pasted public key and forgets it again', async () => {
    const { signingKeys } = await trust.listKeys();
    const added = await trust.addTrustedKey('peer', signingKeys[0].publicKey);
    expect(added.fingerprint).toBe(signingKeys[0].fingerprint);
    expect((await trust.listKeys()).trustedKeys.map(k => k.name)).toEqual([
      'peer'
    ]);
    await trust.removeTrustedKey('peer');
    expect((await trust.listKeys()).trustedKeys).toEqual([]);
    const bad = await rejection(trust.addTrustedKey('bad', 'hello'));
    expect(bad.code).toBe('bad_key');
  });

  it('imports only a cosign key file inside the workspace', async () => {
    const outside = await rejection(trust.importKey('../cosign.key'));
    expect(outside.status).toBe(403);
    const notAKey = await rejection(trust.importKey('notes.key'));
    expect(notAKey.code).toBe('bad_key');
    expect(notAKey.message).toContain('not an encrypted cosign private key');
  });
});
