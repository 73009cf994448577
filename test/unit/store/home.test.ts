import { describe, expect, it } from 'vitest';
import { resolveHome } from '../../../core/store/index.js';

describe('resolveHome', () => {
  it('prefers POLICYLAB_HOME over everything', () => {
    expect(resolveHome({ POLICYLAB_HOME: '/data/pl', XDG_DATA_HOME: '/xdg' }, { platform: 'linux', homedir: '/home/u' })).toBe('/data/pl');
    expect(resolveHome({ POLICYLAB_HOME: '/data/pl' }, { defaultPath: '/electron/userData' })).toBe('/data/pl');
  });

  it('resolves a relative POLICYLAB_HOME against the working directory', () => {
    expect(resolveHome({ POLICYLAB_HOME: 'rel/dir' }, { platform: 'linux' })).toBe(`${process.cwd()}/rel/dir`);
  });

  it("uses the app's own folder (Electron userData) when given and no override is set", () => {
    expect(resolveHome({ POLICYLAB_HOME: '  ' }, { platform: 'linux', homedir: '/home/u', defaultPath: '/cfg/PolicyLab' })).toBe('/cfg/PolicyLab');
  });

  it('follows XDG on Linux', () => {
    expect(resolveHome({ XDG_DATA_HOME: '/xdg/data' }, { platform: 'linux', homedir: '/home/u' })).toBe('/xdg/data/policylab');
    expect(resolveHome({}, { platform: 'linux', homedir: '/home/u' })).toBe('/home/u/.local/share/policylab');
    // The XDG spec says relative paths are invalid and must be ignored.
    expect(resolveHome({ XDG_DATA_HOME: 'relative' }, { platform: 'freebsd', homedir: '/home/u' })).toBe('/home/u/.local/share/policylab');
  });

  it('uses Application Support on macOS', () => {
    expect(resolveHome({ XDG_DATA_HOME: '/xdg' }, { platform: 'darwin', homedir: '/Users/u' })).toBe('/Users/u/Library/Application Support/PolicyLab');
  });

  it('uses %APPDATA% on Windows', () => {
    expect(resolveHome({ APPDATA: 'C:\\Users\\u\\AppData\\Roaming' }, { platform: 'win32', homedir: 'C:\\Users\\u' })).toBe(
      'C:\\Users\\u\\AppData\\Roaming\\PolicyLab',
    );
    expect(resolveHome({}, { platform: 'win32', homedir: 'C:\\Users\\u' })).toBe('C:\\Users\\u\\AppData\\Roaming\\PolicyLab');
  });
});
