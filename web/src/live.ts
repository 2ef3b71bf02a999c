// Live updates: the API's Server-Sent Events (fed by PostgreSQL
// LISTEN/NOTIFY) invalidate the query keys of what changed; nothing is
// patched by hand.
import { type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { type CasePresence, resetPresence, setPresence } from "./presence";

export type LiveState = "connecting" | "live" | "offline";

export function useLiveUpdates(qc: QueryClient): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  useEffect(() => {
    const es = new EventSource("/v1/stream");
    let dropped = false;
    es.onopen = () => {
      setState("live");
      // Changes made while the stream was down were not told: reread.
      if (dropped) qc.invalidateQueries();
      dropped = false;
    };
    es.onerror = () => {
      dropped = true;
      setState(es.readyState === EventSource.CLOSED ? "offline" : "connecting");
    };
    es.addEventListener("case", (e) => {
      const { id } = JSON.parse((e as MessageEvent).data) as { id: string; version: number };
      // The case, its timeline, email and actions are keyed by its ID.
      qc.invalidateQueries({ predicate: (q) => q.queryKey[1] === id });
      qc.invalidateQueries({ queryKey: ["/v1/cases"] });
      qc.invalidateQueries({ queryKey: ["/v1/queues"] });
      qc.invalidateQueries({ queryKey: ["/v1/approvals"] });
      // What a payment or invoice still allows moves with any case's money.
      qc.invalidateQueries({ queryKey: ["/v1/payments/{id}"] });
      qc.invalidateQueries({ queryKey: ["/v1/invoices/{id}"] });
    });
    es.addEventListener("reset", () => qc.invalidateQueries());
    es.addEventListener("presence", (e) => setPresence(JSON.parse((e as MessageEvent).data) as CasePresence));
    es.addEventListener("presence_reset", () => resetPresence());
    return () => es.close();
  }, [qc]);
  return state;
}
