// The customer's profile in the case's side panel: what staff keep current
// while the customer is on the phone, and its history of changes.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, ApiError, must, type Schemas } from "./api/client";
import { label, when } from "./format";
import { useNames } from "./hooks";

type Customer = Schemas["Customer"];

export function CustomerProfile({ customer }: { customer: Customer }) {
  const [editing, setEditing] = useState(false);
  const [showHistory, setShowHistory] = useState(false);
  return (
    <>
      <p>
        <strong>{customer.name}</strong><br />{customer.email}
        {customer.phone && <><br />{customer.phone}</>}
        {customer.preferred_language && <><br />Language: {customer.preferred_language}</>}
        <br /><span className="muted">{customer.id}</span>
        {customer.merged_into && <><br /><span className="muted">Merged into {customer.merged_into}</span></>}
      </p>
      {customer.notes && <p className="macro-body">{customer.notes}</p>}
      <div className="buttons">
        {!customer.merged_into && <button type="button" aria-expanded={editing} onClick={() => setEditing(!editing)}>Edit profile…</button>}
        <button type="button" aria-expanded={showHistory} onClick={() => setShowHistory(!showHistory)}>History</button>
      </div>
      {editing && <EditCustomer customer={customer} onDone={() => setEditing(false)} />}
      {showHistory && <CustomerHistory id={customer.id} />}
    </>
  );
}

function EditCustomer({ customer, onDone }: { customer: Customer; onDone: () => void }) {
  const qc = useQueryClient();
  const [f, setF] = useState({
    name: customer.name, email: customer.email, phone: customer.phone ?? "",
    preferred_language: customer.preferred_language ?? "", notes: customer.notes ?? "",
  });
  const save = useMutation({
    mutationFn: () => {
      // Only what changed, so the history holds only real changes.
      const body: Schemas["UpdateCustomerRequest"] = {};
      for (const k of Object.keys(f) as (keyof typeof f)[]) {
        if (f[k] !== (customer[k] ?? "")) body[k] = f[k];
      }
      return must(api.PATCH("/v1/customers/{id}", { params: { path: { id: customer.id } }, body }));
    },
    onSuccess: async () => {
      await qc.invalidateQueries({ queryKey: ["/v1/customers/{id}", customer.id] });
      await qc.invalidateQueries({ queryKey: ["/v1/customers/{id}/history", customer.id] });
      onDone();
    },
  });
  const field = (name: keyof typeof f) => (save.error instanceof ApiError ? save.error.field(name) : undefined);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  const input = (name: keyof typeof f, text: string, type = "text") => (
    <label>
      {text}
      <input type={type} value={f[name]} onChange={(e) => setF({ ...f, [name]: e.target.value })} />
      {field(name) && <span className="error">{field(name)}</span>}
    </label>
  );
  return (
    <form className="subform" aria-label="Edit the customer's profile" onSubmit={submit}>
      {input("name", "Name")}
      {input("email", "Email address", "email")}
      {input("phone", "Phone", "tel")}
      {input("preferred_language", "Preferred language")}
      <label>Notes<textarea value={f.notes} rows={2} onChange={(e) => setF({ ...f, notes: e.target.value })} /></label>
      {save.error && <p role="alert" className="error">{save.error.message}</p>}
      <button type="submit" className="primary" disabled={save.isPending}>Save profile</button>
    </form>
  );
}

function CustomerHistory({ id }: { id: string }) {
  const names = useNames();
  const history = useQuery({
    queryKey: ["/v1/customers/{id}/history", id],
    queryFn: () => must(api.GET("/v1/customers/{id}/history", { params: { path: { id } } })),
    select: (d) => d.items,
  });
  if (history.error) return <p role="alert" className="error">{history.error.message}</p>;
  const items = history.data ?? [];
  return (
    <ul aria-label="Customer history">
      {items.length === 0 && <li className="muted">No changes yet.</li>}
      {items.map((h) => (
        <li key={h.seq}>
          {h.kind === "updated" ? `${label(h.field)}: ${h.old || "—"} → ${h.new || "—"}`
            : h.kind === "merged_from" ? `Merged ${h.other} into this customer` : `Merged into ${h.other}`}
          <br /><span className="muted">{names(h.actor)}, {when(h.at)}</span>
        </li>
      ))}
    </ul>
  );
}
