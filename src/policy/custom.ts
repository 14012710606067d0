/** Custom verifiers: validation against the user's JSON Schema (draft-07 or 2020-12) with ajv. */
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';

/** A user JSON Schema, compiled: the errors for a value (empty when it conforms). */
export type SchemaValidator = (value: unknown) => { instancePath: string; message: string }[];

export function compileSchema(schema: unknown): SchemaValidator {
  const draft =
    typeof schema === 'object' && schema !== null
      ? String((schema as Record<string, unknown>)['$schema'] ?? '')
      : '';
  const options = { allErrors: true, strict: false } as const;
  const ajv = draft.includes('2020-12') ? new Ajv2020(options) : new Ajv(options);
  const validate = ajv.compile(schema as object);
  return (value) => {
    if (validate(value)) return [];
    return (validate.errors ?? []).map((e) => ({
      instancePath: e.instancePath,
      message: e.message ?? 'is invalid',
    }));
  };
}
