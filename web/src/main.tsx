import { QueryClient, QueryClientProvider, useQueryClient } from "@tanstack/react-query";
import { lazy, StrictMode, Suspense, useEffect, useState } from "react";
import { createRoot } from "react-dom/client";
import { BrowserRouter, Navigate, NavLink, Route, Routes } from "react-router";
import { ApiError, whenSignedOut } from "./api/client";
import { isTyping } from "./hooks";
import { useLiveUpdates } from "./live";
import { Admin } from "./pages/Admin";
import { Approvals } from "./pages/Approvals";
import { CasePage } from "./pages/Case";
import { CaseList } from "./pages/CaseList";
import { CustomerPage, Customers } from "./pages/Customers";
import { Macros } from "./pages/Macros";
import { Queues } from "./pages/Queues";
import { sessionKey, SignIn, useSession, useSignOut } from "./session";
import "./styles.css";

const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 5_000,
      retry: (n, err) => !(err instanceof ApiError && err.status < 500) && n < 2,
      refetchOnWindowFocus: true,
    },
  },
});
// The dashboard brings its chart library; it loads when first opened.
const Dashboard = lazy(() => import("./pages/Dashboard").then((m) => ({ default: m.Dashboard })));

whenSignedOut(() => queryClient.setQueryData(sessionKey, null));

function Shell() {
  const qc = useQueryClient();
  const { data: session } = useSession();
  const live = useLiveUpdates(qc);
  const signOut = useSignOut();
  const [help, setHelp] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (isTyping(e)) return;
      if (e.key === "?") setHelp((h) => !h);
      if (e.key === "Escape") setHelp(false);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  if (!session) return null;
  const role = session.user.role;
  const supervisor = role === "supervisor" || role === "admin";
  return (
    <>
      <header className="top">
        <a className="brand" href="/queues">casedesk</a>
        <nav aria-label="Main">
          <NavLink to="/queues">Queues</NavLink>
          <NavLink to="/customers">Customers</NavLink>
          {supervisor && <NavLink to="/approvals">Approvals</NavLink>}
          {supervisor && <NavLink to="/dashboard">Dashboard</NavLink>}
          <NavLink to="/macros">Macros</NavLink>
          {role === "admin" && <NavLink to="/admin">Admin</NavLink>}
        </nav>
        <span className={`live ${live}`} role="status" aria-live="polite">
          {live === "live" ? "Live" : live === "connecting" ? "Connecting…" : "Offline"}
        </span>
        <span className="who">{session.user.name} · {role}</span>
        <button type="button" onClick={() => signOut.mutate()}>Sign out</button>
      </header>
      <Routes>
        <Route path="/" element={<Navigate to="/queues" replace />} />
        <Route path="/queues" element={<Queues />} />
        <Route path="/cases" element={<CaseList />} />
        <Route path="/cases/:id" element={<CasePage />} />
        <Route path="/customers" element={<Customers />} />
        <Route path="/customers/:id" element={<CustomerPage />} />
        <Route path="/dashboard" element={supervisor ? <Suspense fallback={<main aria-busy="true"><p>Loading…</p></main>}><Dashboard /></Suspense> : <NotAllowed />} />
        <Route path="/macros" element={<Macros />} />
        <Route path="/approvals" element={supervisor ? <Approvals /> : <NotAllowed />} />
        <Route path="/admin" element={role === "admin" ? <Admin /> : <NotAllowed />} />
        <Route path="*" element={<main><h1>Not found</h1><p>There is no such page.</p></main>} />
      </Routes>
      {help && <Shortcuts onClose={() => setHelp(false)} />}
    </>
  );
}

function NotAllowed() {
  return <main><h1>Not available</h1><p>Your role does not include this page.</p></main>;
}

function Shortcuts({ onClose }: { onClose: () => void }) {
  return (
    <div className="overlay" role="dialog" aria-modal="true" aria-labelledby="keys-title">
      <div className="panel">
        <h2 id="keys-title">Keyboard shortcuts</h2>
        <dl className="keys">
          <dt>j / k</dt><dd>next / previous case in a queue</dd>
          <dt>Enter</dt><dd>open the case</dd>
          <dt>x</dt><dd>select the case for bulk assignment</dd>
          <dt>r</dt><dd>write a reply (in a case)</dd>
          <dt>n</dt><dd>write a note (in a case)</dd>
          <dt>Ctrl+Enter</dt><dd>send the reply</dd>
          <dt>?</dt><dd>show or hide this list</dd>
        </dl>
        <button type="button" onClick={onClose}>Close</button>
      </div>
    </div>
  );
}

function App() {
  const { data: session, isPending, error } = useSession();
  if (isPending) return <main aria-busy="true"><p>Loading…</p></main>;
  if (error) return <main><p role="alert">casedesk is not answering: {error.message}</p></main>;
  if (!session) return <SignIn />;
  return <Shell />;
}

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <QueryClientProvider client={queryClient}>
      <BrowserRouter>
        <App />
      </BrowserRouter>
    </QueryClientProvider>
  </StrictMode>,
);
