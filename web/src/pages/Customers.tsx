// Customers: find one while they are on the phone (GET /v1/customers?q=:
// name, email, phone or ID), and their page: the profile to keep current
// with its history, their cases, payments and invoices, and for supervisors
// the merge of a duplicate into the customer to keep.
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useEffect, useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { api, ApiError, must } from "../api/client";
import { CustomerProfile } from "../customer";
import { label, money, when } from "../format";
import { useNames } from "../hooks";
import { useMe } from "../session";

export function Customers() {
  const [params, setParams] = useSearchParams();
  const q = params.get("q") ?? "";
  const [text, setText] = useState(q);
  useEffect(() => {
    const t = setTimeout(() => text.trim() !== q && setParams(text.trim() ? { q: text.trim() } : {}, { replace: true }), 300);
    return () => clearTimeout(t);
  });
  const list = useInfiniteQuery({
    queryKey: ["/v1/customers", { q }],
    initialPageParam: "",
    queryFn: ({ pageParam }) =>
      must(api.GET("/v1/customers", { params: { query: { ...(q ? { q } : {}), limit: 50, ...(pageParam ? { cursor: pageParam } : {}) } } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const customers = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <main>
      <h1>Customers</h1>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <label>
          Find a customer
          <input type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="name, email, phone or ID" size={32} />
        </label>
      </form>
      {list.error && <p role="alert" className="error">{list.error.message}</p>}
      <table aria-label="Customers found">
        <thead><tr><th scope="col">Customer</th><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Phone</th><th scope="col">Since</th></tr></thead>
        <tbody>
          {customers.map((c) => (
            <tr key={c.id}>
              <td><Link to={`/customers/${c.id}`} className="case-id">{c.id}</Link>{c.merged_into && <span className="muted"> (merged into {c.merged_into})</span>}</td>
              <td>{c.name}</td>
              <td>{c.email}</td>
              <td>{c.phone ?? ""}</td>
              <td>{when(c.created_at)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted" role="status">
        {list.isPending ? "Searching…" : `${customers.length} customer${customers.length === 1 ? "" : "s"}${list.hasNextPage ? " so far" : ""}`}
      </p>
      {list.hasNextPage && <button type="button" onClick={() => list.fetchNextPage()}>Load more</button>}
    </main>
  );
}

export function CustomerPage() {
  const id = (useParams().id ?? "").toUpperCase();
  const me = useMe();
  const names = useNames();
  const customer = useQuery({
    queryKey: ["/v1/customers/{id}", id],
    queryFn: () => must(api.GET("/v1/customers/{id}", { params: { path: { id } } })),
  });
  const cases = useQuery({
    queryKey: ["/v1/cases", { customer_id: id }],
    queryFn: () => must(api.GET("/v1/cases", { params: { query: { customer_id: id, limit: 100 } } })),
    select: (d) => d.items,
  });
  const payments = useQuery({
    queryKey: ["/v1/customers/{id}/payments", id],
    queryFn: () => must(api.GET("/v1/customers/{id}/payments", { params: { path: { id } } })),
    select: (d) => d.items,
  });
  const invoices = useQuery({
    queryKey: ["/v1/customers/{id}/invoices", id],
    queryFn: () => must(api.GET("/v1/customers/{id}/invoices", { params: { path: { id } } })),
    select: (d) => d.items,
  });
  useEffect(() => {
    if (customer.data) document.title = `${customer.data.name} · casedesk`;
  }, [customer.data]);
  if (customer.error) return <main><h1>Customer {id}</h1><p role="alert" className="error">{customer.error.message}</p></main>;
  if (!customer.data) return <main aria-busy="true"><p>Loading customer…</p></main>;
  const c = customer.data;
  const supervisor = me.role === "supervisor" || me.role === "admin";
  return (
    <main className="customer">
      <h1>{c.name}</h1>
      <div className="case-grid">
        <div className="case-main">
          <section aria-labelledby="cases-title">
            <h2 id="cases-title">Cases</h2>
            {(cases.data ?? []).length === 0 ? <p className="muted">None.</p> : (
              <table aria-labelledby="cases-title">
                <thead><tr><th scope="col">Case</th><th scope="col">Subject</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Assignee</th><th scope="col">Opened</th></tr></thead>
                <tbody>
                  {cases.data!.map((k) => (
                    <tr key={k.id}>
                      <td><Link to={`/cases/${k.id}`} className="case-id">{k.id}</Link></td>
                      <td>{k.subject}</td><td>{label(k.type)}</td><td>{label(k.status)}</td><td>{names(k.assignee_id)}</td><td>{when(k.opened_at)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="payments-title">
            <h2 id="payments-title">Payments</h2>
            {(payments.data ?? []).length === 0 ? <p className="muted">None.</p> : (
              <table aria-labelledby="payments-title">
                <thead><tr><th scope="col">Payment</th><th scope="col">Amount</th><th scope="col">Method</th><th scope="col">Paid</th></tr></thead>
                <tbody>{payments.data!.map((p) => <tr key={p.id}><td>{p.id}</td><td>{money(p.amount, p.currency)}</td><td>{p.method}</td><td>{when(p.paid_at)}</td></tr>)}</tbody>
              </table>
            )}
          </section>
          <section aria-labelledby="invoices-title">
            <h2 id="invoices-title">Invoices</h2>
            {(invoices.data ?? []).length === 0 ? <p className="muted">None.</p> : (
              <table aria-labelledby="invoices-title">
                <thead><tr><th scope="col">Invoice</th><th scope="col">Amount</th><th scope="col">Due</th></tr></thead>
                <tbody>{invoices.data!.map((i) => <tr key={i.id}><td>{i.number}</td><td>{money(i.amount, i.currency)}</td><td>{when(i.due_at)}</td></tr>)}</tbody>
              </table>
            )}
          </section>
        </div>
        <aside className="side" aria-labelledby="profile-title">
          <h2 id="profile-title">Profile</h2>
          <CustomerProfile customer={c} />
          {supervisor && !c.merged_into && <Merge id={c.id} />}
        </aside>
      </div>
    </main>
  );
}

function Merge({ id }: { id: string }) {
  const qc = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [into, setInto] = useState("");
  const merge = useMutation({
    mutationFn: () => must(api.POST("/v1/customers/{id}/merge", { params: { path: { id } }, body: { into: into.trim().toUpperCase() } })),
    onSuccess: async (survivor) => {
      await qc.invalidateQueries();
      navigate(`/customers/${survivor.id}`);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    merge.mutate();
  };
  const field = merge.error instanceof ApiError ? merge.error.field("into") : undefined;
  return (
    <>
      <div className="buttons">
        <button type="button" aria-expanded={open} onClick={() => setOpen(!open)}>Merge into another customer…</button>
      </div>
      {open && (
        <form className="subform" aria-label="Merge this duplicate" onSubmit={submit}>
          <p className="muted">This customer is a duplicate: its cases, payments and invoices move to the customer kept, and both histories record it.</p>
          <label>
            Customer to keep (ID)
            <input value={into} onChange={(e) => setInto(e.target.value)} required placeholder="CU-…" />
            {field && <span className="error">{field}</span>}
          </label>
          {merge.error && <p role="alert" className="error">{merge.error.message}</p>}
          <button type="submit" className="primary" disabled={merge.isPending || !into.trim()}>Merge</button>
        </form>
      )}
    </>
  );
}
