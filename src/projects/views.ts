// Catalog rows of projects → their wire shape.
import { formatSqlTime } from '../platform/time.js';
import type { Project as ProjectWire } from './schemas.js';
import type { Project } from './store.js';

export const projectView = (p: Project): ProjectWire => ({
  project_id: p.id,
  name: p.name,
  status: p.status,
  time_zone: p.time_zone,
  created_at: formatSqlTime(p.created_at),
  retention_days: p.retention_days,
});
