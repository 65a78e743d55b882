/**
 * Enough of a User-Agent to label a session in "your sessions" (seed 004's device_type,
 * os_name, browser_name). A label, not a security decision, so a short ordered list of
 * patterns is enough; the first match wins.
 */
export interface DeviceLabel {
  deviceType: 'desktop' | 'mobile' | 'tablet' | 'cli' | null;
  osName: string | null;
  browserName: string | null;
}

const OS: [RegExp, string][] = [
  [/iPad|iPhone|iPod/, 'iOS'],
  [/Android/, 'Android'],
  [/Mac OS X|Macintosh/, 'macOS'],
  [/Windows/, 'Windows'],
  [/CrOS/, 'ChromeOS'],
  [/Linux/, 'Linux'],
];

const BROWSERS: [RegExp, string][] = [
  [/Edg\//, 'Edge'],
  [/Firefox\//, 'Firefox'],
  [/Chrome\//, 'Chrome'],
  [/Safari\//, 'Safari'],
];

const CLIS: [RegExp, string][] = [
  [/^skypatch-cli\//i, 'Skypatch CLI'],
  [/^curl\//, 'curl'],
  [/^node|undici/i, 'Node.js'],
];

const firstMatch = (ua: string, table: [RegExp, string][]) =>
  table.find(([pattern]) => pattern.test(ua))?.[1] ?? null;

export function describeUserAgent(userAgent: string | null): DeviceLabel {
  if (!userAgent) return { deviceType: null, osName: null, browserName: null };
  const cli = firstMatch(userAgent, CLIS);
  if (cli) return { deviceType: 'cli', osName: null, browserName: cli };
  const tablet =
    /iPad|Tablet/.test(userAgent) || (/Android/.test(userAgent) && !/Mobile/.test(userAgent));
  const mobile = /Mobile|iPhone|iPod/.test(userAgent);
  return {
    deviceType: tablet ? 'tablet' : mobile ? 'mobile' : 'desktop',
    osName: firstMatch(userAgent, OS),
    browserName: firstMatch(userAgent, BROWSERS),
  };
}
