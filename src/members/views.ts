// Catalog rows of members and invitations → their wire shapes.
import { formatIso } from '../platform/time.js';
import type { Invite as InviteWire, Member } from './schemas.js';
import type { Invite, MemberRow } from './store.js';

export const inviteView = (i: Invite): InviteWire => ({
  invite_id: i.id,
  email: i.email,
  role: i.role,
  created_at: formatIso(i.created_at),
  expires_at: formatIso(i.expires_at),
});

export const adminInviteView = (i: Invite) => ({ invite_id: i.id, email: i.email, role: i.role, expires_at: formatIso(i.expires_at) });

export const memberView = (m: MemberRow): Member => ({
  user_id: m.user_id,
  email: m.email,
  first_name: m.first_name,
  last_name: m.last_name,
  role: m.role,
  joined_at: formatIso(m.created_at),
});
