import { digestReference } from '../trustApi';
import type { IKitSummary } from '../tokens';

function kit(repository: string): IKitSummary {
  return {
    repository,
    tags: ['v1'],
    digest: 'sha256:' + 'a'.repeat(64),
    size: 1
  };
}

describe('the Kits tab verdict', () => {
  it('checks a kit from a registry by its exact digest', () => {
    expect(digestReference(kit('127.0.0.1:5000/org/churn'))).toBe(
      `127.0.0.1:5000/org/churn@sha256:${'a'.repeat(64)}`
    );
    expect(digestReference(kit('ghcr.io/org/churn'))).toBe(
      `ghcr.io/org/churn@sha256:${'a'.repeat(64)}`
    );
  });

  it('offers no check for a kit only packed here (no registry holds its signature)', () => {
    expect(digestReference(kit('localhost/churn'))).toBeNull();
  });
});
