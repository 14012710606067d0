/** Which Bottlerocket variants have image-verifier settings, and which use the legacy model. */
import { CivError } from '../errors.ts';

/** What GET /os answers (the fields civctl reads). */
export interface OsInfo {
  arch?: string;
  build_id?: string;
  pretty_name?: string;
  variant_id?: string;
  version_id?: string;
}

export const SUPPORTED_VARIANTS_TEXT = 'aws-ecs-3, aws-ecs-4, and aws-k8s-1.33 and later';

export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

export type VariantModel = 'extensible' | 'legacy' | 'unsupported' | 'unknown';

/** The settings model a variant/version has for image-verifier-plugins. */
export function variantModel(os: OsInfo): VariantModel {
  const variant = os.variant_id ?? '';
  if (!variant) return 'unknown';
  if (/^aws-ecs-3(-|$)/.test(variant))
    return os.version_id && compareVersions(os.version_id, '1.56.0') < 0 ? 'legacy' : 'extensible';
  if (/^aws-ecs-4(-|$)/.test(variant)) return 'extensible';
  const k8s = /^aws-k8s-(\d+)\.(\d+)(-|$)/.exec(variant);
  if (k8s) {
    const [major, minor] = [Number(k8s[1]), Number(k8s[2])];
    return major > 1 || (major === 1 && minor >= 33) ? 'extensible' : 'unsupported';
  }
  return 'unsupported';
}

export function describeOs(os: OsInfo): string {
  return `${os.variant_id ?? 'unknown variant'} ${os.version_id ?? ''}`.trim();
}

/** Refuses, before anything is written, what the node's settings model cannot hold. */
export function assertVariantAccepts(os: OsInfo, verifiers: string[]): void {
  const model = variantModel(os);
  if (model === 'unsupported')
    throw new CivError(
      'E_UNSUPPORTED_VARIANT',
      `${describeOs(os)} has no image verification settings; they exist on ${SUPPORTED_VARIANTS_TEXT}`,
    );
  if (model === 'legacy') {
    const other = verifiers.filter((v) => v !== 'notation');
    if (other.length > 0)
      throw new CivError(
        'E_LEGACY_MODEL',
        `${describeOs(os)} uses the legacy image-verifier model, which has only the notation verifier (not ${other.join(', ')}); update to Bottlerocket 1.56 or later for digestion and custom verifiers`,
      );
  }
}
