/**
 * Where PolicyLab keeps its data (db.json, runs/, datasets/).
 *
 * Order: `POLICYLAB_HOME` (tests and power users) → `defaultPath` when the caller has one
 * (the Electron app passes `app.getPath('userData')`) → the per-OS default for the CLI and browser mode:
 * - Linux and other Unix: `$XDG_DATA_HOME/policylab`, or `~/.local/share/policylab` (XDG Base Directory spec)
 * - macOS: `~/Library/Application Support/PolicyLab`
 * - Windows: `%APPDATA%\PolicyLab`, or `~\AppData\Roaming\PolicyLab` when APPDATA is unset
 * These match Electron's userData folder for an app named PolicyLab on macOS and Windows, so the
 * CLI and the app share runs there.
 */
import { homedir as osHomedir } from 'node:os';
import { posix, win32 } from 'node:path';

export interface ResolveHomeOptions {
  platform?: NodeJS.Platform;
  homedir?: string;
  /** The app's own data folder (Electron userData); wins over the per-OS default, not over POLICYLAB_HOME. */
  defaultPath?: string;
}

export function resolveHome(
  env: Record<string, string | undefined> = process.env,
  options: ResolveHomeOptions = {},
): string {
  const platform = options.platform ?? process.platform;
  const paths = platform === 'win32' ? win32 : posix;
  const override = env.POLICYLAB_HOME?.trim();
  if (override) return paths.resolve(override);
  if (options.defaultPath) return paths.resolve(options.defaultPath);
  return defaultHome(env, platform, options.homedir ?? osHomedir());
}

export function defaultHome(env: Record<string, string | undefined>, platform: NodeJS.Platform, home: string): string {
  if (platform === 'win32') {
    const appData = env.APPDATA?.trim();
    return win32.join(appData && win32.isAbsolute(appData) ? appData : win32.join(home, 'AppData', 'Roaming'), 'PolicyLab');
  }
  if (platform === 'darwin') return posix.join(home, 'Library', 'Application Support', 'PolicyLab');
  // XDG says a relative XDG_DATA_HOME is invalid and must be ignored.
  const xdg = env.XDG_DATA_HOME?.trim();
  return posix.join(xdg && posix.isAbsolute(xdg) ? xdg : posix.join(home, '.local', 'share'), 'policylab');
}
