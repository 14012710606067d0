/**
 * Warnings for notation policies that pass notation-go's Validate() but will not work as
 * intended on a Bottlerocket node (runtime behaviour of notation, AWS Signer and the wrapper).
 */
import type { JsonNode } from '../json.ts';
import { liveNodesView, liveView, type NotationDocument } from './decode.ts';

export interface Advice {
  rule: string;
  message: string;
  node: JsonNode | undefined;
}

/**
 * What a trust store directory (lint --trust-store) holds for `<type>:<name>`: usable
 * certificates, nothing at all, or notation's text for why it cannot be used (empty, no usable
 * certificate, an unreadable file). Answered by the caller: policy knowledge stays pure.
 */
export type TrustStoreLookup = (type: string, name: string) => 'usable' | 'missing' | { unusable: string };

/** notation's CLI text for a trust store that does not exist (verify.go checkVerificationFailure). */
export function missingStoreText(type: string, name: string): string {
  return `the trust store ${JSON.stringify(name)} of type ${JSON.stringify(type)} does not exist. Use command 'notation cert add' to create and add trusted certificates to the trust store`;
}

/** The only trust stores Bottlerocket ships. */
export const SHIPPED_TRUST_STORES = [
  'signingAuthority:aws-signer-ts',
  'signingAuthority:aws-us-gov-signer-ts',
];

/**
 * What the AWS Signer plugin keeps: an ARN (6 colon-separated parts, the resource may hold more)
 * of service signer whose resource is /signing-profiles/<name>[/<version>]. Others it ignores.
 */
function isSignerProfileArn(id: string): boolean {
  return SIGNER_PROFILE_ARN.test(id);
}
/** Split at colons: "arn", any partition, "signer", region, account, then the resource. */
const SIGNER_PROFILE_ARN = /^arn:[^:]*:signer:[^:]*:[^:]*:\/signing-profiles\/[^/]+(\/[^/]+)?$/;
const PLACEHOLDER = /<[^<>]*>|\{[^{}]*\}|\*{3,}/;
/** containerd passes fully qualified names, so these hosts never appear in a reference. */
const NEVER_SEEN_HOSTS = ['index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com'];

/** Whether any of the stores is of `<type>:` (a loop: no closure per call). */
function hasStoreOfType(stores: readonly string[], typeColon: string): boolean {
  for (let i = 0; i < stores.length; i++) if (stores[i]!.startsWith(typeColon)) return true;
  return false;
}

/**
 * Runs for every statement of a large policy, mostly before V8 optimises it: nothing is allocated
 * for a statement with nothing to say (no closures, iterators or slices), as in validate.ts.
 */
export function notationWarnings(doc: NotationDocument, trustStore?: TrustStoreLookup): Advice[] {
  const out: Advice[] = [];
  const statements = liveView(doc.trustPolicies);
  for (let s = 0; s < statements.length; s++) {
    const st = statements[s]!;
    const stores = liveView(st.trustStores);
    const identities = liveView(st.trustedIdentities);
    const scopes = liveView(st.registryScopes);
    const storeNodes = liveNodesView(st.trustStores);
    const identityNodes = liveNodesView(st.trustedIdentities);
    const scopeNodes = liveNodesView(st.registryScopes);
    const skip = st.level === 'skip';

    if (!skip && identities.includes('*') && hasStoreOfType(stores, 'signingAuthority:')) {
      out.push({
        rule: 'notation/aws-signer-wildcard-identity',
        message: `statement ${JSON.stringify(st.name)} pairs a signingAuthority trust store with the "*" identity: the AWS Signer plugin rejects wildcard identities, so every AWS-signed image fails verification; list signing-profile ARNs instead`,
        node: identityNodes[identities.indexOf('*')],
      });
    }
    for (let i = 0; i < stores.length; i++) {
      const store = stores[i]!;
      if (stores.indexOf(store) < i)
        out.push({
          rule: 'notation/duplicate-trust-store',
          message: `statement ${JSON.stringify(st.name)} lists trust store ${JSON.stringify(store)} twice`,
          node: storeNodes[i],
        });
      else {
        const colon = store.indexOf(':');
        const held = trustStore?.(store.slice(0, colon), store.slice(colon + 1));
        // notation reads a tsa store only for the timestamp of a notary.x509 signature, which a
        // ca store verifies: beside signingAuthority stores alone it is never opened.
        const neverRead = store.startsWith('tsa:') && !hasStoreOfType(stores, 'ca:');
        if (neverRead) {
          // nothing to say: the node never looks for it
        } else if (held === 'missing' || (held === undefined && !SHIPPED_TRUST_STORES.includes(store)))
          out.push({
            rule: 'notation/unshipped-trust-store',
            message: `trust store ${JSON.stringify(store)} ${
              trustStore
                ? 'is not in the trust store directory given'
                : `is not shipped on Bottlerocket (only ${SHIPPED_TRUST_STORES.join(' and ')} exist)`
            }, so verification with statement ${JSON.stringify(st.name)} fails at pull time: Error: ${missingStoreText(store.slice(0, colon), store.slice(colon + 1))}`,
            node: storeNodes[i],
          });
        else if (held !== undefined && held !== 'usable')
          out.push({
            rule: 'notation/unusable-trust-store',
            message: `trust store ${JSON.stringify(store)} holds no usable certificate, so verification with statement ${JSON.stringify(st.name)} fails at pull time: Error: ${held.unusable}`,
            node: storeNodes[i],
          });
      }
    }
    let arns = false;
    for (let i = 0; i < identities.length; i++) {
      const id = identities[i]!;
      if (PLACEHOLDER.test(id))
        out.push({
          rule: 'notation/placeholder',
          message: `trusted identity ${JSON.stringify(id)} still contains a placeholder`,
          node: identityNodes[i],
        });
      if (!id.startsWith('arn:')) continue;
      arns = true;
      if (!isSignerProfileArn(id))
        out.push({
          rule: 'notation/signer-arn',
          message: `trusted identity ${JSON.stringify(id)} is not an AWS Signer signing-profile ARN (arn:<partition>:signer:<region>:<account>:/signing-profiles/<name>[/<version>]); the AWS Signer plugin silently ignores it`,
          node: identityNodes[i],
        });
    }
    if (!skip && arns && !hasStoreOfType(stores, 'signingAuthority:')) {
      out.push({
        rule: 'notation/arn-without-signing-authority',
        message: `statement ${JSON.stringify(st.name)} trusts AWS Signer ARNs but has no signingAuthority trust store, so no AWS Signer signature can verify`,
        node: st.nodes['trustStores'],
      });
    }
    for (let i = 0; i < scopes.length; i++) {
      const scope = scopes[i]!;
      if (!scope.includes('docker')) continue; // every host below names docker
      const host = scope.split('/')[0] ?? '';
      const rest = scope.slice(host.length + 1);
      if (NEVER_SEEN_HOSTS.includes(host) || (host === 'docker.io' && rest !== '' && !rest.includes('/'))) {
        const hint = host === 'docker.io' ? `docker.io/library/${rest}` : `docker.io/${rest}`;
        out.push({
          rule: 'notation/unreachable-scope',
          message: `registry scope ${JSON.stringify(scope)} never matches: containerd names images fully qualified (use ${JSON.stringify(hint)})`,
          node: scopeNodes[i],
        });
      }
    }
    if ((st.level === 'audit' || skip) && scopes.includes('*')) {
      out.push({
        rule: 'notation/permissive-wildcard',
        message: `statement ${JSON.stringify(st.name)} applies level "${st.level}" to the "*" scope: images that match no other statement are not enforced`,
        node: st.nodes['level'],
      });
    }
  }
  return out;
}
