/**
 * The user settings (schema/plugin.json), read once and kept current.
 */
import type { ISettingRegistry } from '@jupyterlab/settingregistry';

import { Compression, DEFAULT_SETTINGS, IKitlabSettings } from './tokens';

const COMPRESSIONS: readonly Compression[] = [
  'none',
  'gzip',
  'gzip-fastest',
  'zstd'
];

/** The typed settings from a plugin's composite settings; unknown values fall back to defaults. */
export function readSettings(
  composite: Record<string, unknown>
): IKitlabSettings {
  const text = (key: string, fallback: string): string => {
    const value = composite[key];
    return typeof value === 'string' ? value.trim() : fallback;
  };
  const compression = composite.compression;
  const insecure = composite.insecureRegistries;
  return {
    defaultRegistry: text('defaultRegistry', DEFAULT_SETTINGS.defaultRegistry),
    defaultRepository: text(
      'defaultRepository',
      DEFAULT_SETTINGS.defaultRepository
    ),
    compression: COMPRESSIONS.includes(compression as Compression)
      ? (compression as Compression)
      : DEFAULT_SETTINGS.compression,
    insecureRegistries: Array.isArray(insecure)
      ? insecure
          .filter((host): host is string => typeof host === 'string')
          .map(host => host.trim())
          .filter(host => host !== '')
      : DEFAULT_SETTINGS.insecureRegistries,
    autoScan:
      typeof composite.autoScan === 'boolean'
        ? composite.autoScan
        : DEFAULT_SETTINGS.autoScan,
    signOnPush:
      typeof composite.signOnPush === 'boolean'
        ? composite.signOnPush
        : DEFAULT_SETTINGS.signOnPush
  };
}

/** Live settings: `current()` always returns the latest values (defaults until loaded). */
export class SettingsHolder {
  private _current: IKitlabSettings = DEFAULT_SETTINGS;

  current(): IKitlabSettings {
    return this._current;
  }

  async load(
    registry: ISettingRegistry | null,
    pluginId: string
  ): Promise<void> {
    if (registry === null) {
      return;
    }
    try {
      const settings = await registry.load(pluginId);
      const update = (): void => {
        this._current = readSettings(
          settings.composite as Record<string, unknown>
        );
      };
      update();
      settings.changed.connect(update);
    } catch (error) {
      console.warn('kitlab: settings not loaded, using defaults', error);
    }
  }
}
