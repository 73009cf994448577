/** The compare view's settings kept in localStorage between sessions (invalid stored values fall back to defaults). */
import { CompareSettings } from '../compare/compare-settings.svelte.js';

export const COMPARE_SETTINGS_KEY = 'policylab.compare.settings.v1';

type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem'>;

export function loadCompareSettings(storage: Storage | undefined = globalThis.localStorage): CompareSettings {
  const settings = new CompareSettings();
  try {
    const text = storage?.getItem(COMPARE_SETTINGS_KEY);
    if (text) settings.load(JSON.parse(text));
  } catch {
    // Unreadable or not JSON: keep the defaults.
  }
  return settings;
}

export function saveCompareSettings(settings: CompareSettings, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(COMPARE_SETTINGS_KEY, JSON.stringify(settings.toJSON()));
  } catch {
    // Storage full or disabled: settings just do not persist.
  }
}
