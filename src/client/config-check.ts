/**
 * @module The verifier's start-up check, so a misconfiguration is one clear error from `ready`
 * rather than every token coming back `invalid`: the tenant's discovery document must name the
 * issuer the verifier expects (RFC 8414 section 3.3: the `issuer` a client is configured with
 * must be the metadata's), and the JWKS must publish at least one key the verifier can use.
 * A Warden without discovery (404) skips the issuer half.
 */
import { JwksUnavailableError } from "./jwks.ts";
import type { FetchLike } from "./types.ts";

export type ConfigProblem = "issuer_mismatch" | "no_usable_key";

/** The verifier is pointed at the wrong place, or expects the wrong issuer or algorithms. */
export class VerifierConfigError extends Error {
  readonly code: ConfigProblem;
  constructor(code: ConfigProblem, message: string) {
    super(message);
    this.name = "VerifierConfigError";
    this.code = code;
  }
}

export async function checkIssuer(fetchFn: FetchLike, tenantUrl: string, expected: string): Promise<void> {
  const res = await fetchFn(`${tenantUrl}/.well-known/openid-configuration`, { headers: { accept: "application/json" } });
  if (res.status === 404) return;
  if (!res.ok) throw new JwksUnavailableError(`discovery answered ${res.status}`);
  const doc = (await res.json()) as { issuer?: unknown };
  if (typeof doc.issuer === "string" && doc.issuer !== expected) {
    throw new VerifierConfigError(
      "issuer_mismatch",
      `Warden at ${tenantUrl} issues tokens as ${doc.issuer}, but the verifier expects ${expected}: set the \`issuer\` option to Warden's public issuer (its PUBLIC_URL + /v1/{tenant}).`,
    );
  }
}

export function noUsableKey(url: string, algorithms: string[]): VerifierConfigError {
  return new VerifierConfigError(
    "no_usable_key",
    `The JWKS at ${url} has no access-token key (warden_use "access_token", use "sig") for ${algorithms.join(", ") || "no algorithm"}: check \`algorithms\` against the tenant's token_alg.`,
  );
}
