// JWTs (HS256 via jose). Two kinds with different audiences so neither is accepted where the other
// belongs: the data-API token from /auth/v1/login and the platform token from
// /public/core/auth/issue. `kid` selects the key, so JWT_SECRET can rotate while old tokens expire.
// Every token expires (one without `exp` is refused) and carries its user's credentials version
// (`cv`), so a password reset ends every token issued before it (auth/guards.ts checks it).
import { decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import type { Config } from '../platform/config.js';

export type TokenKind = 'data' | 'platform';

const AUDIENCE: Record<TokenKind, string> = { data: 'delivr:data-api', platform: 'delivr:platform-api' };
const ISSUER = 'delivr';

export interface TokenClaims {
  userId: string;
  /** Present on data-API tokens: the organization the login answered with. */
  organizationId?: string;
  /** The user's credentials version at sign-in (0 on tokens made before versions existed). */
  credentialsVersion: number;
}

export class TokenService {
  private readonly keys = new Map<string, Uint8Array>();
  constructor(private readonly config: Pick<Config, 'jwtSecret' | 'jwtKid' | 'jwtPreviousKeys' | 'jwtTtlSeconds'>) {
    const enc = new TextEncoder();
    for (const [kid, secret] of Object.entries(config.jwtPreviousKeys)) this.keys.set(kid, enc.encode(secret));
    this.keys.set(config.jwtKid, enc.encode(config.jwtSecret));
  }

  async sign(kind: TokenKind, claims: TokenClaims): Promise<string> {
    const key = this.keys.get(this.config.jwtKid);
    if (!key) throw new Error('current JWT key missing');
    const jwt = new SignJWT({ ...(claims.organizationId ? { org: claims.organizationId } : {}), cv: claims.credentialsVersion })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: this.config.jwtKid })
      .setSubject(claims.userId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE[kind])
      .setIssuedAt()
      .setExpirationTime(`${this.config.jwtTtlSeconds}s`);
    return jwt.sign(key);
  }

  /** Verified claims, 'wrong_kind' for a valid token of the other kind, or null. */
  async verify(kind: TokenKind, token: string): Promise<TokenClaims | 'wrong_kind' | null> {
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(token);
      if (header.alg !== 'HS256') return null;
      kid = header.kid;
    } catch {
      return null;
    }
    const key = kid === undefined ? undefined : this.keys.get(kid);
    if (!key) return null;
    try {
      const { payload } = await jwtVerify(token, key, { algorithms: ['HS256'], issuer: ISSUER, requiredClaims: ['exp'] });
      if (typeof payload.sub !== 'string') return null;
      const aud = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
      if (!aud.includes(AUDIENCE[kind])) {
        const other: TokenKind = kind === 'data' ? 'platform' : 'data';
        return aud.includes(AUDIENCE[other]) ? 'wrong_kind' : null;
      }
      const cv = payload.cv ?? 0;
      if (typeof cv !== 'number' || !Number.isSafeInteger(cv)) return null;
      const claims: TokenClaims = { userId: payload.sub, credentialsVersion: cv };
      if (typeof payload.org === 'string') claims.organizationId = payload.org;
      return claims;
    } catch {
      return null;
    }
  }
}
