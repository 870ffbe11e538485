// The one rule for the names people give things (organizations, projects, pixels, keys, apps,
// clients): trimmed, and 1 to 200 characters after trimming, else a 400 naming the field.
import { fail } from './errors.js';

export const NAME_MAX = 200;

export function requireName(raw: string, field = 'name'): string {
  const name = raw.trim();
  if (!name || name.length > NAME_MAX) throw fail('invalid_parameters', `${field} must be 1 to ${NAME_MAX} characters`);
  return name;
}
