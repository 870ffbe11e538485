// When scheduled audiences run (spec section 5.2): daily at 09:00 UTC, weekly on Saturdays at 18:00
// UTC, manual never by itself. Pure functions of a time, so the scheduler's clock can be injected.
import type { RefreshSchedule } from './store.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const DAILY_HOUR = 9;
const WEEKLY_HOUR = 18;
/** Date.getUTCDay() of Saturday. */
const SATURDAY = 6;

/** The first scheduled time strictly after `afterMs`; null for manual audiences. */
export function nextRunAfter(schedule: RefreshSchedule, afterMs: number): number | null {
  if (schedule === 'manual') return null;
  const dayStart = Math.floor(afterMs / DAY_MS) * DAY_MS;
  if (schedule === 'daily') {
    const today = dayStart + DAILY_HOUR * HOUR_MS;
    return today > afterMs ? today : today + DAY_MS;
  }
  const weekday = new Date(dayStart).getUTCDay();
  const saturday = dayStart + ((SATURDAY - weekday + 7) % 7) * DAY_MS + WEEKLY_HOUR * HOUR_MS;
  return saturday > afterMs ? saturday : saturday + 7 * DAY_MS;
}
