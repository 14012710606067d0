/**
 * Go errors as far as notation's CLI looks into them: the text, the errors a value wraps (what
 * errors.As and errors.Is walk, depth first), the typed errors the CLI singles out
 * (truststore.TrustStoreError, truststore.CertificateError, notation.ErrorVerificationFailed) and
 * fs.ErrNotExist.
 */

export type GoErrKind = 'TrustStoreError' | 'CertificateError' | 'VerificationFailed';

export interface GoErr {
  message: string;
  kind?: GoErrKind;
  /** What Unwrap returns: %w operands, an InnerError, errors.Join's members. */
  wraps?: GoErr[];
  /** The error is fs.ErrNotExist (or an *fs.PathError / syscall error that Is it). */
  notExist?: boolean;
  /** TrustStoreError / CertificateError InnerError (also listed in wraps). */
  inner?: GoErr;
}

export function goErr(message: string, ...wraps: GoErr[]): GoErr {
  return wraps.length > 0 ? { message, wraps } : { message };
}

/** A TrustStoreError or CertificateError: Error() is Msg, Unwrap() is InnerError. */
export function storeErr(kind: 'TrustStoreError' | 'CertificateError', msg: string, inner?: GoErr): GoErr {
  return inner ? { message: msg, kind, inner, wraps: [inner] } : { message: msg, kind };
}

export const ERR_NOT_EXIST: GoErr = { message: 'file does not exist', notExist: true };

/** errors.As: the first error of this kind in a depth-first walk. */
export function findKind(err: GoErr, kind: GoErrKind): GoErr | undefined {
  if (err.kind === kind) return err;
  for (const w of err.wraps ?? []) {
    const found = findKind(w, kind);
    if (found) return found;
  }
  return undefined;
}

/** errors.Is(err, fs.ErrNotExist). */
export function isNotExist(err: GoErr): boolean {
  if (err.notExist) return true;
  return (err.wraps ?? []).some(isNotExist);
}

/** errors.Join: members' texts on separate lines. */
export function joinErrs(errs: GoErr[]): GoErr {
  return { message: errs.map((e) => e.message).join('\n'), wraps: errs };
}
