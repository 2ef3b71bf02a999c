// Display helpers.
export function label(s: string | null | undefined): string {
  if (!s) return "";
  const t = s.replace(/_/g, " ");
  return t.charAt(0).toUpperCase() + t.slice(1);
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" });
export function when(iso: string | null | undefined): string {
  return iso ? dateTime.format(new Date(iso)) : "—";
}

/** ago says how long ago an instant was, briefly. */
export function ago(iso: string, now: number): string {
  return duration(now - Date.parse(iso)) + " ago";
}

/** duration renders milliseconds as "2d 3h", "3h 12m", "4m 10s". */
export function duration(ms: number): string {
  const s = Math.floor(Math.abs(ms) / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s % 60}s`;
}

export function money(amount: string | null | undefined, currency: string | null | undefined): string {
  if (!amount) return "";
  return `${amount} ${currency ?? ""}`.trim();
}
