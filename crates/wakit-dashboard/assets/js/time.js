// Human time labels in the organization's timezone: HH:MM today, "Yesterday", the
// weekday within a week, else the date — as the REST API labels them.

const formats = new Map();

function format(timeZone, options) {
  const key = `${timeZone}|${JSON.stringify(options)}`;
  if (!formats.has(key)) {
    let f;
    try { f = new Intl.DateTimeFormat(undefined, { timeZone, ...options }); }
    catch { f = new Intl.DateTimeFormat(undefined, options); }
    formats.set(key, f);
  }
  return formats.get(key);
}

/** YYYY-MM-DD of `date` in `timeZone`. */
export function dayKey(date, timeZone) {
  const parts = format(timeZone, { year: 'numeric', month: '2-digit', day: '2-digit' }).formatToParts(date);
  const get = (t) => parts.find((p) => p.type === t)?.value;
  return `${get('year')}-${get('month')}-${get('day')}`;
}

function daysBetween(a, b) {
  return Math.round((Date.parse(`${b}T00:00:00Z`) - Date.parse(`${a}T00:00:00Z`)) / 86400000);
}

/** The list's label for an instant. */
export function label(iso, timeZone, now = new Date()) {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const ago = daysBetween(dayKey(date, timeZone), dayKey(now, timeZone));
  if (ago <= 0) return clock(date, timeZone);
  if (ago === 1) return 'Yesterday';
  if (ago < 7) return format(timeZone, { weekday: 'long' }).format(date);
  return dayKey(date, timeZone);
}

/** HH:MM in `timeZone`. */
export function clock(date, timeZone) {
  return format(timeZone, { hour: '2-digit', minute: '2-digit', hour12: false }).format(date);
}

/** The heading of a day in a conversation ("Today", "Yesterday", a date). */
export function dayHeading(date, timeZone, now = new Date()) {
  const ago = daysBetween(dayKey(date, timeZone), dayKey(now, timeZone));
  if (ago <= 0) return 'Today';
  if (ago === 1) return 'Yesterday';
  return format(timeZone, { weekday: 'long', year: 'numeric', month: 'long', day: 'numeric' }).format(date);
}

/** "5 h 12 min", "40 min", "less than a minute". */
export function duration(ms) {
  const minutes = Math.floor(ms / 60000);
  if (minutes < 1) return 'less than a minute';
  const hours = Math.floor(minutes / 60);
  return hours ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}
