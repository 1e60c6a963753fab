import {
  etaSeconds,
  formatBytes,
  formatDuration,
  formatRate,
  percent,
  shortDigest
} from '../format';

describe('formatBytes', () => {
  it.each([
    [0, '0 B'],
    [999, '999 B'],
    [1000, '1.00 kB'],
    [12_345, '12.3 kB'],
    [123_456_789, '123 MB'],
    [4_100_000_000, '4.10 GB']
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatBytes(bytes)).toBe(text);
  });

  it('shows a dash for nonsense', () => {
    expect(formatBytes(-1)).toBe('–');
    expect(formatBytes(Number.NaN)).toBe('–');
  });
});

describe('progress', () => {
  it('formats a rate and hides a zero rate', () => {
    expect(formatRate(2_500_000)).toBe('2.50 MB/s');
    expect(formatRate(0)).toBe('');
  });

  it('clamps percent and handles an unknown total', () => {
    expect(percent(50, 200)).toBe(25);
    expect(percent(199, 200)).toBe(99);
    expect(percent(300, 200)).toBe(100);
    expect(percent(10, 0)).toBe(0);
  });

  it('estimates the time left only when it can', () => {
    expect(etaSeconds(250, 1000, 50)).toBe(15);
    expect(etaSeconds(0, 1000, 0)).toBeNull();
    expect(etaSeconds(1000, 1000, 10)).toBeNull();
    expect(etaSeconds(0, 0, 10)).toBeNull();
  });

  it('formats durations, rounding up', () => {
    expect(formatDuration(4.2)).toBe('5 s');
    expect(formatDuration(75)).toBe('1 min 15 s');
    expect(formatDuration(120)).toBe('2 min');
    expect(formatDuration(3700)).toBe('1 h 1 min');
    expect(formatDuration(null)).toBe('');
  });
});

describe('shortDigest', () => {
  it('keeps the algorithm and 12 hex digits', () => {
    expect(shortDigest(`sha256:${'ab'.repeat(32)}`)).toBe(
      'sha256:abababababab'
    );
    expect(shortDigest('0123456789abcdef')).toBe('0123456789ab');
  });
});
