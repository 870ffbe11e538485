// What each role may do, mirroring src/accounts/permissions.ts so the UI hides what the API would
// refuse. The API stays the authority: a hidden button is a courtesy, not the protection.
import type { Role } from './types';

export const canManageKeys = (r: Role): boolean => r === 'owner' || r === 'admin';
/** Whether API keys must send their secret: the organization's owners decide. */
export const canChangeKeyPolicy = (r: Role): boolean => r === 'owner';
export const canInvite = (r: Role): boolean => r === 'owner' || r === 'admin';
export const canManageMembers = (r: Role): boolean => r === 'owner';
export const canWriteProjects = (r: Role): boolean => r === 'owner' || r === 'admin';
export const canWritePixels = (r: Role): boolean => r === 'owner' || r === 'admin';

export const ROLE_LABEL: Record<Role, string> = { owner: 'Owner', admin: 'Admin', member: 'Member' };
/** Proposing a custom topic changes what the organization tracks: owners and admins, as for projects. */
export const canRequestTopics = (r: Role): boolean => r === 'owner' || r === 'admin';
