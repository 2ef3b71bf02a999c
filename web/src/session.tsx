// The signed-in session: GET /v1/session, sign-in and sign-out.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { ApiError, api, must, setCSRF, type User } from "./api/client";

export const sessionKey = ["/v1/session"] as const;

export function useSession() {
  return useQuery({
    queryKey: sessionKey,
    queryFn: async () => {
      const { data, response } = await api.GET("/v1/session");
      if (response.status === 401) return null;
      if (!response.ok || !data) throw new ApiError(response.status, {});
      setCSRF(data.csrf_token);
      return data;
    },
    staleTime: Infinity,
    retry: false,
  });
}

/** useMe is the signed-in user (only under a signed-in layout). */
export function useMe(): User {
  const { data } = useSession();
  if (!data) throw new Error("useMe outside a session");
  return data.user;
}

export function useSignOut() {
  const qc = useQueryClient();
  return useMutation({
    mutationFn: () => must(api.DELETE("/v1/session")),
    onSettled: () => {
      setCSRF("");
      qc.setQueryData(sessionKey, null);
      qc.removeQueries({ predicate: (q) => q.queryKey[0] !== sessionKey[0] });
    },
  });
}

export function SignIn() {
  const qc = useQueryClient();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const signIn = useMutation({
    mutationFn: () => must(api.POST("/v1/session", { body: { email, password } })),
    onSuccess: (s) => {
      setCSRF(s.csrf_token);
      qc.setQueryData(sessionKey, s);
    },
  });
  const submit = (e: FormEvent) => {
    e.preventDefault();
    signIn.mutate();
  };
  return (
    <main className="signin">
      <form onSubmit={submit} aria-labelledby="signin-title">
        <h1 id="signin-title">casedesk</h1>
        <p className="muted">Sign in to work your cases.</p>
        <label>
          Email
          <input type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password}
            onChange={(e) => setPassword(e.target.value)} />
        </label>
        {signIn.error && <p role="alert" className="error">{signIn.error.message}</p>}
        <button type="submit" className="primary" disabled={signIn.isPending}>Sign in</button>
      </form>
    </main>
  );
}
