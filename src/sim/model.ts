/**
 * The settings model the simulator validates PATCH bodies against: serde-style messages, the
 * Identifier and ValidBase64Json rules shared with civctl's own checks (policy/), variants
 * without the extension, and the legacy aws-ecs-3 model.
 */
import { apiAcceptanceProblem } from '../policy/acceptance.ts';
import { checkStrictBase64, decodeBase64 } from '../policy/base64.ts';
import { duplicateFieldText, invalidTypeText, SerdeNumber, unknownFieldText } from '../policy/serde.ts';
import { identifierError } from '../policy/names.ts';
import type { VariantModel } from '../policy/variants.ts';

export class ModelError extends Error {}

/** Every type error's text comes from the serde emulation (the body is read as serde's Content). */
function invalidType(value: unknown, expected: string): ModelError {
  return new ModelError(invalidTypeText(value, expected));
}

const isMap = (v: unknown): v is Map<string, unknown> => v instanceof Map;

/** ValidBase64Json (or the legacy ValidBase64 when jsonRequired is false). */
function trustPolicyError(value: string, jsonRequired: boolean): string | undefined {
  const type = jsonRequired ? 'ValidBase64Json' : 'ValidBase64';
  if (/[\u0000-\u001f\u007f]/.test(value))
    return `Unable to deserialize into ${type}: Invalid base64 input: contains control characters`;
  const base64Problem = checkStrictBase64(value);
  if (base64Problem)
    return `Unable to deserialize into ${type}: Invalid base64 input: ${base64Problem.message}`;
  if (!jsonRequired) return undefined;
  const problem = apiAcceptanceProblem(decodeBase64(value));
  if (!problem) return undefined;
  // A decoded value that is not UTF-8 fails before serde_json sees it.
  const reason = problem.kind === 'utf8' ? 'invalid unicode code point' : problem.serdeMessage;
  return `Unable to deserialize into ${type}: Invalid JSON: ${reason}`;
}

/** Settings the simulator knows besides image-verifier-plugins, by variant family. */
function topLevelFields(variant: string, model: VariantModel): string[] {
  const fields = ['motd', 'host-containers', 'kernel', 'network', 'ntp', 'updates'];
  if (variant.startsWith('aws-k8s')) fields.push('kubernetes');
  if (variant.startsWith('aws-ecs')) fields.push('ecs');
  if (model === 'extensible' || model === 'legacy') fields.push('image-verifier-plugins');
  return fields.sort();
}

/** Validates a PATCH /settings body and flattens it to dotted keys. Throws ModelError. */
export function flattenSettingsPatch(
  body: unknown,
  variant: string,
  model: VariantModel,
): Map<string, unknown> {
  if (!isMap(body)) throw invalidType(body, 'struct Settings');
  const out = new Map<string, unknown>();
  const fields = topLevelFields(variant, model);
  for (const [key, value] of body) {
    if (!fields.includes(key)) throw new ModelError(unknownFieldText(key, fields));
    if (key === 'image-verifier-plugins') flattenImageVerifier(value, model, out);
    else if (key === 'motd') {
      if (typeof value !== 'string') throw invalidType(value, 'a string');
      out.set('settings.motd', value);
    } else flattenAny(`settings.${key}`, value, out);
  }
  return out;
}

/** Content as stored: numbers as JS numbers (nesting is at most serde's 128 levels). */
function plainValue(value: unknown): unknown {
  if (value instanceof SerdeNumber) return value.valueOf();
  if (Array.isArray(value)) return value.map(plainValue);
  if (isMap(value)) return new Map([...value].map(([k, v]) => [k, plainValue(v)]));
  return value;
}

function flattenAny(prefix: string, value: unknown, out: Map<string, unknown>): void {
  if (isMap(value)) for (const [k, v] of value) flattenAny(`${prefix}.${k}`, v, out);
  else if (value !== null) out.set(prefix, plainValue(value));
}

function flattenImageVerifier(value: unknown, model: VariantModel, out: Map<string, unknown>): void {
  const prefix = 'settings.image-verifier-plugins';
  if (!isMap(value)) throw invalidType(value, 'struct ImageVerifierPluginsSettingsV1');
  for (const [key, entry] of value) {
    if (key === 'enabled') {
      if (entry === null) continue;
      if (typeof entry !== 'boolean') throw invalidType(entry, 'a boolean');
      out.set(`${prefix}.enabled`, entry);
      continue;
    }
    if (model === 'legacy' && key !== 'notation')
      throw new ModelError(unknownFieldText(key, ['enabled', 'notation']));
    const idError = identifierError(key);
    if (idError) throw new ModelError(idError);
    if (!isMap(entry)) throw invalidType(entry, 'struct VerifierPluginConfig');
    let seen = false;
    for (const [field, fieldValue] of entry) {
      const accepted = model === 'legacy' ? ['trustpolicy'] : ['trustpolicy', 'trust-policy'];
      if (!accepted.includes(field)) throw new ModelError(unknownFieldText(field, ['trustpolicy']));
      if (seen) throw new ModelError(duplicateFieldText('trustpolicy'));
      seen = true;
      if (fieldValue === null) continue;
      if (typeof fieldValue !== 'string') throw invalidType(fieldValue, 'a string');
      const problem = trustPolicyError(fieldValue, model !== 'legacy');
      if (problem) throw new ModelError(problem);
      out.set(`${prefix}.${key}.trustpolicy`, fieldValue);
    }
  }
}
