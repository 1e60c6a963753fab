/**
 * Human-readable sizes, speeds and times for the panel. Pure functions (unit-tested by jest).
 * Sizes use SI units (1 kB = 1000 B), like the server's reports and `kit list`.
 */

const UNITS = ['B', 'kB', 'MB', 'GB', 'TB'];

/** `1234567` → `1.2 MB`; whole bytes below 1 kB. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return '–';
  }
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  if (unit === 0) {
    return `${Math.round(value)} B`;
  }
  // 3 significant digits at most: 1.23 MB, 12.3 MB, 123 MB.
  const digits = value >= 100 ? 0 : value >= 10 ? 1 : 2;
  return `${value.toFixed(digits)} ${UNITS[unit]}`;
}

/** `2500000` → `2.50 MB/s`; empty when nothing has moved yet. */
export function formatRate(bytesPerSecond: number): string {
  if (!Number.isFinite(bytesPerSecond) || bytesPerSecond <= 0) {
    return '';
  }
  return `${formatBytes(bytesPerSecond)}/s`;
}

/** Whole percent done, clamped to 0–100; 0 when the total is not known yet. */
export function percent(done: number, total: number): number {
  if (total <= 0) {
    return 0;
  }
  return Math.max(0, Math.min(100, Math.floor((done / total) * 100)));
}

/** Seconds left at the current rate, or null when it cannot be estimated. */
export function etaSeconds(
  done: number,
  total: number,
  bytesPerSecond: number
): number | null {
  if (bytesPerSecond <= 0 || total <= 0 || done >= total) {
    return null;
  }
  return (total - done) / bytesPerSecond;
}

/** `75` → `1 min 15 s`; `3700` → `1 h 2 min`; `4.2` → `5 s` (rounded up: never promise too early). */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) {
    return '';
  }
  const total = Math.max(0, Math.ceil(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) {
    return `${h} h ${m} min`;
  }
  if (m > 0) {
    return s > 0 ? `${m} min ${s} s` : `${m} min`;
  }
  return `${s} s`;
}

/** `sha256:0123456789abcdef…` → `sha256:0123456789ab` (what a list can show). */
export function shortDigest(digest: string): string {
  const [algorithm, hex] = digest.includes(':')
    ? digest.split(':', 2)
    : ['', digest];
  const short = hex.slice(0, 12);
  return algorithm ? `${algorithm}:${short}` : short;
}
