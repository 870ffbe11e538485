// What each organization role may do. Handlers name the permission they need at their top
// (`requireRole(..., 'keys.manage')`), so the rule is visible where it applies.
import type { Role } from '../catalog/schema.js';

export type Permission =
  | 'org.read'
  | 'members.invite'
  | 'members.manage'
  | 'keys.manage'
  /** The organization's API key policy (whether keys must send their secret): owners only. */
  | 'keys.policy'
  | 'projects.write'
  | 'pixels.write';

const GRANTS: Record<Role, ReadonlySet<Permission>> = {
  owner: new Set(['org.read', 'members.invite', 'members.manage', 'keys.manage', 'keys.policy', 'projects.write', 'pixels.write']),
  admin: new Set(['org.read', 'members.invite', 'keys.manage', 'projects.write', 'pixels.write']),
  member: new Set(['org.read']),
};

export const can = (role: Role, permission: Permission): boolean => GRANTS[role].has(permission);

export const ROLES: readonly Role[] = ['owner', 'admin', 'member'];
