import { useMutation, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { api, must, type Schemas, type User } from "../api/client";
import { label, when } from "../format";
import { useUsers } from "../hooks";
import { useMe } from "../session";
import { ConfigInForce } from "./Config";

export function Admin() {
  const users = useUsers();
  return (
    <main className="admin">
      <h1>Admin</h1>
      <CreateUser />
      <section aria-labelledby="users-title">
        <h2 id="users-title">Users</h2>
        {users.error && <p role="alert" className="error">{users.error.message}</p>}
        <table>
          <thead><tr><th scope="col">Name</th><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Console</th><th scope="col">State</th><th scope="col">Actions</th></tr></thead>
          <tbody>{(users.data ?? []).map((u) => <UserRow key={u.id} u={u} />)}</tbody>
        </table>
      </section>
      <ConfigInForce />
    </main>
  );
}

function CreateUser() {
  const qc = useQueryClient();
  const [name, setName] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Schemas["Role"]>("agent");
  const [password, setPassword] = useState("");
  const create = useMutation({
    mutationFn: () =>
      must(api.POST("/v1/users", { body: { name, email, role, ...(password && role !== "integration" ? { password } : {}) } })),
    onSuccess: () => {
      setName("");
      setEmail("");
      setPassword("");
      qc.invalidateQueries({ queryKey: ["/v1/users"] });
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    create.mutate();
  };
  return (
    <section aria-labelledby="create-title">
      <h2 id="create-title">Create a user</h2>
      <form className="subform" onSubmit={submit} aria-labelledby="create-title">
        <label>Name<input value={name} onChange={(e) => setName(e.target.value)} required /></label>
        <label>Email<input type="email" value={email} onChange={(e) => setEmail(e.target.value)} required /></label>
        <label>
          Role
          <select value={role} onChange={(e) => setRole(e.target.value as Schemas["Role"])}>
            {(["agent", "supervisor", "admin", "integration"] as const).map((r) => <option key={r} value={r}>{label(r)}</option>)}
          </select>
        </label>
        {role !== "integration" && (
          <label>
            Console password (12+ characters, optional)
            <input type="password" autoComplete="new-password" value={password} onChange={(e) => setPassword(e.target.value)} minLength={12} />
          </label>
        )}
        {create.error && <p role="alert" className="error">{create.error.message}</p>}
        <button type="submit" className="primary" disabled={create.isPending}>Create user</button>
      </form>
      {create.data && (
        <div className="secret" role="status">
          <p>
            {create.data.name} was created. {create.data.role === "integration" ? "Its API key" : "Their API token"} is shown
            only now; copy it:
          </p>
          <code>{create.data.token}</code>
        </div>
      )}
    </section>
  );
}

function UserRow({ u }: { u: User }) {
  const me = useMe();
  const qc = useQueryClient();
  const [resetting, setResetting] = useState(false);
  const [password, setPassword] = useState("");
  const done = () => qc.invalidateQueries({ queryKey: ["/v1/users"] });
  const deactivate = useMutation({
    mutationFn: () => must(api.POST("/v1/users/{id}/deactivate", { params: { path: { id: u.id } } })),
    onSettled: done,
  });
  const reset = useMutation({
    mutationFn: () => must(api.PUT("/v1/users/{id}/password", { params: { path: { id: u.id } }, body: { password } })),
    onSuccess: () => {
      setResetting(false);
      setPassword("");
      done();
    },
  });
  const active = !u.deactivated_at;
  const staff = u.role !== "integration";
  return (
    <tr>
      <td>{u.name}</td>
      <td>{u.email}</td>
      <td>{label(u.role)}</td>
      <td>{staff ? (u.has_password ? "Can sign in" : "No password") : "API key"}</td>
      <td>{active ? "Active" : `Deactivated ${when(u.deactivated_at)}`}</td>
      <td>
        {active && u.id !== me.id && (
          <button type="button" onClick={() => confirm(`Deactivate ${u.name}? Their sessions and token stop working.`) && deactivate.mutate()}>
            Deactivate <span className="visually-hidden">{u.name}</span>
          </button>
        )}
        {active && staff && u.id !== me.id && !resetting && (
          <button type="button" onClick={() => setResetting(true)}>Reset password <span className="visually-hidden">of {u.name}</span></button>
        )}
        {resetting && (
          <form className="inline" onSubmit={(e) => { e.preventDefault(); reset.mutate(); }}>
            <label>New password<input type="password" autoComplete="new-password" minLength={12} value={password} onChange={(e) => setPassword(e.target.value)} required /></label>
            <button type="submit">Set password</button>
            <button type="button" onClick={() => setResetting(false)}>Cancel</button>
          </form>
        )}
        {(deactivate.error || reset.error) && <p role="alert" className="error">{(deactivate.error ?? reset.error)!.message}</p>}
      </td>
    </tr>
  );
}
