// Email normalisation, the one place it is defined: trim surrounding whitespace and lowercase.
// User lookup, invites, HEM hashing (identity/hem.ts) and the browser tracker (tracker/src/p.ts
// bundles this module) all go through it, so "Ann@X.com " and "ann@x.com" are the same person
// everywhere. It runs in browsers too: no Node imports here.

export const normalizeEmail = (email: string): string => email.trim().toLowerCase();

/** A deliberately loose shape check: one @, something on each side, a dot in the domain, no spaces. */
export const isEmailLike = (email: string): boolean => email.length <= 254 && /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);
