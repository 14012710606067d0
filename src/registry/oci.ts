/** The OCI content descriptor containerd resolves an image to and hands to image verifiers, declared once. */

/** What containerd passes a verifier on stdin (its media type, digest and size). */
export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
}

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
