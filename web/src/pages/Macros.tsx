import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, ApiError, must, type Schemas } from "../api/client";
import { label } from "../format";
import { useMacros } from "../macros";
import { useMe } from "../session";

const OUTCOMES = ["", "answered", "no_response", "upheld", "rejected", "refunded", "declined"] as const;

/** Macros lists the saved replies; supervisors manage the shared ones, everyone their own. */
export function Macros() {
  const me = useMe();
  const macros = useMacros();
  const qc = useQueryClient();
  const supervisor = me.role === "supervisor" || me.role === "admin";
  const remove = useMutation({
    mutationFn: (id: string) => must(api.DELETE("/v1/macros/{id}", { params: { path: { id } } })),
    onSuccess: () => qc.invalidateQueries({ queryKey: ["/v1/macros"] }),
  });
  return (
    <main className="admin">
      <h1>Macros</h1>
      <p className="muted">Type <kbd>::</kbd> and part of a name in the composer to insert one.</p>
      <CreateMacro supervisor={supervisor} />
      <section aria-labelledby="macros-title">
        <h2 id="macros-title">Saved macros</h2>
        {macros.error && <p role="alert" className="error">{macros.error.message}</p>}
        {remove.error && <p role="alert" className="error">{remove.error.message}</p>}
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Text</th><th scope="col">Then</th><th scope="col">Shared</th><th scope="col">Used</th><th scope="col">Actions</th></tr></thead>
          <tbody>
            {(macros.data?.items ?? []).map((m) => (
              <tr key={m.id}>
                <td>{m.name}</td>
                <td className="macro-body">{m.body}</td>
                <td>{[m.actions.category && `category ${m.actions.category}`, m.actions.priority && `priority ${m.actions.priority}`,
                  m.actions.request_info ? "request info" : "reply", m.actions.resolve && `resolve as ${label(m.actions.resolve)}`].filter(Boolean).join(", ")}</td>
                <td>{m.shared ? "Team" : "Personal"}</td>
                <td>{m.uses}</td>
                <td>
                  {(m.shared ? supervisor : m.owner_id === me.id) &&
                    <button type="button" disabled={remove.isPending} onClick={() => remove.mutate(m.id)} aria-label={`Delete ${m.name}`}>Delete</button>}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
    </main>
  );
}

function CreateMacro({ supervisor }: { supervisor: boolean }) {
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [body, setBody] = useState("");
  const [resolve, setResolve] = useState<(typeof OUTCOMES)[number]>("");
  const [priority, setPriority] = useState<"" | Schemas["Priority"]>("");
  const [category, setCategory] = useState("");
  const [requestInfo, setRequestInfo] = useState(false);
  const [shared, setShared] = useState(supervisor);
  const create = useMutation({
    mutationFn: () => {
      const actions: Schemas["MacroActions"] = {
        ...(resolve ? { resolve } : {}), ...(priority ? { priority } : {}), ...(category.trim() ? { category: category.trim() } : {}),
        ...(requestInfo ? { request_info: true } : {}),
      };
      return must(api.POST("/v1/macros", { body: { name, body, shared, actions } }));
    },
    onSuccess: () => {
      setName("");
      setBody("");
      setResolve("");
      setPriority("");
      setCategory("");
      setRequestInfo(false);
      return qc.invalidateQueries({ queryKey: ["/v1/macros"] });
    },
  });
  const bodyError = create.error instanceof ApiError ? create.error.field("body") : undefined;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <form className="subform" aria-labelledby="new-macro-title" onSubmit={submit}>
      <h2 id="new-macro-title">New macro</h2>
      <label>Name <input value={name} onChange={(e) => setName(e.target.value)} required /></label>
      <label>
        Text
        <textarea value={body} onChange={(e) => setBody(e.target.value)} rows={4} required aria-describedby="macro-help" />
      </label>
      <p id="macro-help" className="muted">
        Placeholders: {"{{customer.name}}"}, {"{{customer.email}}"}, {"{{case.id}}"}, {"{{case.subject}}"}, {"{{agent.name}}"},
        {" {{chargeback.amount}}"}, {"{{chargeback.due_by}}"}.
      </p>
      <label>
        Then resolve as
        <select value={resolve} onChange={(e) => setResolve(e.target.value as typeof resolve)}>
          {OUTCOMES.map((o) => <option key={o} value={o}>{o ? label(o) : "— do not resolve"}</option>)}
        </select>
      </label>
      <label><input type="checkbox" checked={requestInfo} onChange={(e) => setRequestInfo(e.target.checked)} /> Send as a request for information instead of a reply</label>
      <label>
        Set priority
        <select value={priority} onChange={(e) => setPriority(e.target.value as typeof priority)}>
          {(["", "low", "normal", "high", "urgent"] as const).map((p) => <option key={p} value={p}>{p ? label(p) : "— keep"}</option>)}
        </select>
      </label>
      <label>Set category <input value={category} onChange={(e) => setCategory(e.target.value)} /></label>
      {supervisor && <label><input type="checkbox" checked={shared} onChange={(e) => setShared(e.target.checked)} /> Shared with the team</label>}
      {create.error && <p role="alert" className="error">{bodyError ? `Text ${bodyError}` : create.error.message}</p>}
      <button type="submit" className="primary" disabled={create.isPending}>Save macro</button>
    </form>
  );
}
