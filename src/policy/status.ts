/**
 * What `status` reports: each configured verifier's effect and size, and the warnings an operator
 * needs (nothing verified, every pull rejected, a variant without the settings, what a rollback
 * would lose). Pure: the caller fetched /os and the settings.
 */
import { checkStrictBase64, decodeBase64 } from './base64.ts';
import { type Effect, lintPolicy } from './lint.ts';
import { type VerifierKind, verifierKind } from './names.ts';
import { type RollbackLoss, rollbackLosses } from './rollback.ts';
import { trustPolicyOf } from './settings.ts';
import { describeOs, type OsInfo, SUPPORTED_VARIANTS_TEXT, variantModel } from './variants.ts';

export interface VerifierStatus {
  name: string;
  kind: VerifierKind;
  configured: boolean;
  effect: Effect;
  bytes: number;
  digests?: number;
  statements?: number;
  warnings: string[];
  errors: string[];
}

export interface StatusReport {
  os: OsInfo | null;
  supported: boolean | null;
  legacy: boolean;
  enabled: boolean;
  verifiers: VerifierStatus[];
  warnings: string[];
  /** What rolling this node back would delete (Bottlerocket's downgrade migrations). */
  rollback: RollbackLoss[];
}

/** One stored verifier's effect, from its stored value. */
export function verifierStatus(name: string, plugins: Record<string, unknown>): VerifierStatus {
  const kind = verifierKind(name);
  const stored = trustPolicyOf(plugins, name);
  if (stored === undefined)
    return { name, kind, configured: false, effect: 'allows-all', bytes: 0, warnings: [], errors: [] };
  if (checkStrictBase64(stored))
    return {
      name,
      kind,
      configured: true,
      effect: 'rejects-all',
      bytes: stored.length,
      warnings: [],
      errors: ['stored value is not valid base64'],
    };
  const bytes = decodeBase64(stored);
  const lint = lintPolicy({ bytes, verifier: kind });
  return {
    name,
    kind: lint.verifier,
    configured: true,
    effect: lint.effect,
    bytes: bytes.length,
    ...(lint.size?.digests !== undefined ? { digests: lint.size.digests } : {}),
    ...(lint.size?.statements !== undefined ? { statements: lint.size.statements } : {}),
    warnings: lint.diagnostics.filter((d) => d.severity === 'warning').map((d) => d.message),
    errors: lint.diagnostics.filter((d) => d.severity === 'error').map((d) => d.message),
  };
}

/** Every configured verifier in name order (the order containerd runs them in). */
export function verifierStatuses(plugins: Record<string, unknown>): VerifierStatus[] {
  return Object.keys(plugins)
    .filter((name) => name !== 'enabled')
    .sort()
    .map((name) => verifierStatus(name, plugins));
}

export function buildStatusReport(os: OsInfo | undefined, plugins: Record<string, unknown>): StatusReport {
  const enabled = plugins['enabled'] === true;
  const verifiers = verifierStatuses(plugins);
  const warnings: string[] = [];
  const model = os ? variantModel(os) : 'unknown';
  if (model === 'unsupported')
    warnings.push(
      `${describeOs(os!)} has no image verification settings; they exist on ${SUPPORTED_VARIANTS_TEXT}`,
    );
  if (model === 'legacy')
    warnings.push(`${describeOs(os!)} uses the legacy model: only the notation verifier exists`);
  const configured = verifiers.filter((v) => v.configured);
  if (!enabled && configured.length > 0)
    warnings.push(
      'trust policies are configured but verification is disabled: no image is verified (civctl enable)',
    );
  if (enabled && configured.length === 0)
    warnings.push('verification is enabled but no trust policy is configured: every image is allowed');
  for (const v of configured)
    if (enabled && v.effect === 'rejects-all') warnings.push(`the ${v.name} policy rejects every image pull`);
  return {
    os: os ?? null,
    supported: model === 'extensible' || model === 'legacy' ? true : model === 'unsupported' ? false : null,
    legacy: model === 'legacy',
    enabled,
    verifiers,
    warnings,
    rollback: os ? rollbackLosses(os, plugins) : [],
  };
}

/** Why turning verification on with these policies blocks every pull, or undefined when it does not. */
export function enablingBlocksAllPulls(plugins: Record<string, unknown>): string | undefined {
  const rejecting = verifierStatuses(plugins).filter((v) => v.configured && v.effect === 'rejects-all');
  if (rejecting.length === 0) return undefined;
  const names = rejecting.map((v) => v.name).join(', ');
  return `the stored ${names} ${rejecting.length === 1 ? 'policy rejects' : 'policies reject'} every image pull, so enabling verification blocks all pulls on the node`;
}
