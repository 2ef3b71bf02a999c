import { useQuery } from "@tanstack/react-query";
import { useEffect, useState, useSyncExternalStore } from "react";
import { api, must, type User } from "./api/client";

// One clock for every countdown on the page.
let now = Date.now();
const listeners = new Set<() => void>();
setInterval(() => {
  now = Date.now();
  listeners.forEach((l) => l());
}, 1000);
export function useNow(): number {
  return useSyncExternalStore(
    (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    () => now,
  );
}

export function useUsers() {
  return useQuery({
    queryKey: ["/v1/users"],
    queryFn: () => must(api.GET("/v1/users")),
    staleTime: 60_000,
    select: (d) => d.items,
  });
}

/** useNames maps user IDs to names; system and customer read as such. */
export function useNames(): (id: string | null | undefined) => string {
  const { data } = useUsers();
  const byId = new Map<string, User>((data ?? []).map((u) => [u.id, u]));
  return (id) => {
    if (!id) return "Unassigned";
    if (id === "system") return "casedesk";
    if (id === "customer") return "Customer";
    return byId.get(id)?.name ?? id;
  };
}

/** useDraft is text kept in localStorage under key, so it survives a reload. */
export function useDraft(key: string): [string, (v: string) => void] {
  const [value, setValue] = useState(() => localStorage.getItem(key) ?? "");
  useEffect(() => setValue(localStorage.getItem(key) ?? ""), [key]);
  const set = (v: string) => {
    setValue(v);
    if (v) localStorage.setItem(key, v);
    else localStorage.removeItem(key);
  };
  return [value, set];
}

/** isTyping tells whether a key went to a text field, not a shortcut. */
export function isTyping(e: KeyboardEvent) {
  const t = e.target as HTMLElement | null;
  return !!t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.tagName === "SELECT" || t.isContentEditable);
}
