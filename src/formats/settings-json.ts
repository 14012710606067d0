/** Settings JSON and the apiclient command that sets it (encode --format json, apiclient). */
import { type PluginPolicies, settingsTree } from '../policy/settings.ts';

/** `{"settings":{"image-verifier-plugins":{…}}}`, which apiclient apply and set --json accept. */
export function renderSettingsJson(input: PluginPolicies): string {
  return JSON.stringify(settingsTree(input));
}

/** Single-quotes a string for any POSIX shell. */
export function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function renderApiclient(input: PluginPolicies): string {
  return `apiclient set --json ${shellQuote(renderSettingsJson(input))}`;
}
