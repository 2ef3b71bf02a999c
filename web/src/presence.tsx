// Presence: who else has a case open, and who is typing in it. The case page
// sends heartbeats (POST /v1/cases/{id}/presence every 10 s, and at once
// when typing starts or stops; DELETE when it closes); the API fans them out
// to every replica through PostgreSQL NOTIFY and tells every console through
// the stream (events "presence" and "presence_reset", fed in by live.ts).
import { useEffect, useSyncExternalStore } from "react";
import { api, type Schemas } from "./api/client";

type Viewer = Schemas["Viewer"];
export type CasePresence = Schemas["CasePresence"];

const HEARTBEAT_MS = 10_000;
// Typing stops counting this long after the last keystroke.
const TYPING_MS = 4_000;

let table = new Map<string, Viewer[]>();
const listeners = new Set<() => void>();
const changed = () => listeners.forEach((l) => l());

/** setPresence stores a case's viewers as the stream told them. */
export function setPresence(p: CasePresence) {
  const next = new Map(table);
  if (p.viewers.length === 0) next.delete(p.case_id);
  else next.set(p.case_id, p.viewers);
  table = next;
  changed();
}

/** resetPresence forgets every viewer (the stream sends them again). */
export function resetPresence() {
  table = new Map();
  changed();
}

function usePresenceTable() {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => table,
  );
}

/** useOthers lists the viewers of case id other than the user me. */
export function useOthers(id: string, me: string): Viewer[] {
  const t = usePresenceTable();
  return (t.get(id) ?? []).filter((v) => v.user_id !== me);
}

function words(others: Viewer[]): string {
  return others.map((v) => (v.typing ? `${v.name} (typing…)` : v.name)).join(", ");
}

/** Viewers says who else is on the case page, for the case header. */
export function Viewers({ id, me }: { id: string; me: string }) {
  const others = useOthers(id, me);
  return (
    <p className="viewers" role="status" aria-live="polite">
      {others.length > 0 && <>Also viewing: {words(others)}</>}
    </p>
  );
}

/** RowViewers is the same for a queue row. */
export function RowViewers({ id, me }: { id: string; me: string }) {
  const others = useOthers(id, me);
  if (others.length === 0) return null;
  return <span className="viewers row">Viewing: {words(others)}</span>;
}

// The composer tells of keystrokes; the case page's heartbeat reads them.
let lastKey = 0;
const typingListeners = new Set<() => void>();

/** markTyping is called on every change of the composer's text. */
export function markTyping() {
  const was = Date.now() - lastKey < TYPING_MS;
  lastKey = Date.now();
  if (!was) typingListeners.forEach((l) => l());
}

/** useHeartbeat keeps the user shown as a viewer of case id while mounted. */
export function useHeartbeat(id: string) {
  useEffect(() => {
    let typing = false;
    let gone = false;
    const beat = () => {
      if (gone) return;
      typing = Date.now() - lastKey < TYPING_MS;
      api.POST("/v1/cases/{id}/presence", { params: { path: { id } }, body: { typing } }).catch(() => {});
    };
    const onKeystroke = () => beat();
    typingListeners.add(onKeystroke);
    beat();
    const every = setInterval(beat, HEARTBEAT_MS);
    // Typing ends by itself: tell as soon as it did.
    const check = setInterval(() => {
      if (typing && Date.now() - lastKey >= TYPING_MS) beat();
    }, 1000);
    const leave = () => {
      if (gone) return;
      gone = true;
      api.DELETE("/v1/cases/{id}/presence", { params: { path: { id } }, keepalive: true }).catch(() => {});
    };
    window.addEventListener("pagehide", leave);
    return () => {
      typingListeners.delete(onKeystroke);
      clearInterval(every);
      clearInterval(check);
      window.removeEventListener("pagehide", leave);
      leave();
    };
  }, [id]);
}
