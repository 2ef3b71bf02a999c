// Macros in the composer: typing "::" and part of a macro's name offers the
// matching macros; Enter (or a click) inserts the text rendered for the case
// by the preview endpoint. The macro's other actions are applied only from
// the Apply button, so inserting text never changes the case by itself.
import { useQuery } from "@tanstack/react-query";
import { type KeyboardEvent, type RefObject, useState } from "react";
import { api, must, type Schemas } from "./api/client";

export type Macro = Schemas["Macro"];

/** useMacros is the macros the signed-in user may use, cached as /v1/macros. */
export function useMacros(enabled = true) {
  return useQuery({
    queryKey: ["/v1/macros"],
    queryFn: () => must(api.GET("/v1/macros")),
    enabled,
    staleTime: 60_000,
  });
}

// The "::word" being typed right before the caret, if any.
const trigger = /(?:^|\s)::([\p{L}\p{N}_-]*)$/u;

/** useMacroPicker offers macros while the composer's text ends in ::word. */
export function useMacroPicker(caseId: string, text: string, setText: (t: string) => void, box: RefObject<HTMLTextAreaElement | null>) {
  const [caret, setCaret] = useState(0);
  const [active, setActive] = useState(0);
  const [dismissed, setDismissed] = useState("");
  const [error, setError] = useState("");
  const typed = trigger.exec(text.slice(0, caret));
  const word = typed ? typed[1].toLowerCase() : null;
  const open = word !== null && dismissed !== text;
  const macros = useMacros(open);
  const matches = open ? (macros.data?.items ?? []).filter((m) => m.name.toLowerCase().includes(word!)).slice(0, 8) : [];

  const insert = async (m: Macro) => {
    setError("");
    try {
      const p = await must(api.POST("/v1/cases/{id}/macros/{macro_id}/preview", { params: { path: { id: caseId, macro_id: m.id } } }));
      const start = caret - (word!.length + 2);
      const next = text.slice(0, start) + p.body + text.slice(caret);
      setText(next);
      const at = start + p.body.length;
      setCaret(at);
      requestAnimationFrame(() => box.current?.setSelectionRange(at, at));
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };

  /** onKeyDown handles the picker's keys and reports whether it took the key. */
  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (!open || matches.length === 0) return false;
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      setActive((a) => (a + (e.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length);
      return true;
    }
    if (e.key === "Enter" && !e.ctrlKey && !e.metaKey) {
      e.preventDefault();
      void insert(matches[Math.min(active, matches.length - 1)]);
      return true;
    }
    if (e.key === "Escape") {
      e.preventDefault();
      setDismissed(text);
      return true;
    }
    return false;
  };
  const track = (el: HTMLTextAreaElement) => {
    setCaret(el.selectionStart);
    setActive(0);
  };

  const list = open && matches.length > 0 ? (
    <ul role="listbox" id="macro-picker" aria-label="Macros" className="macro-picker">
      {matches.map((m, i) => (
        <li key={m.id} id={`macro-${m.id}`} role="option" aria-selected={i === active}
          onMouseDown={(e) => { e.preventDefault(); void insert(m); }}>
          {m.name}{m.shared ? "" : " (personal)"}
        </li>
      ))}
    </ul>
  ) : null;
  const activeId = open && matches.length > 0 ? `macro-${matches[Math.min(active, matches.length - 1)].id}` : undefined;
  return { list, onKeyDown, track, error, open: open && matches.length > 0, activeId };
}
