// A list of cases for any GET /v1/cases query, as the dashboard's tiles link
// to them (drill-down filters included).
import { useInfiniteQuery } from "@tanstack/react-query";
import { Link, useSearchParams } from "react-router";
import { api, must } from "../api/client";
import type { paths } from "../api/schema.gen";
import { label } from "../format";
import { useNames } from "../hooks";

type ListQuery = paths["/v1/cases"]["get"]["parameters"]["query"];

export function CaseList() {
  const [params] = useSearchParams();
  const names = useNames();
  const query = Object.fromEntries(params.entries());
  const list = useInfiniteQuery({
    queryKey: ["/v1/cases", query],
    initialPageParam: "",
    queryFn: ({ pageParam }) =>
      must(api.GET("/v1/cases", { params: { query: { ...query, limit: 100, ...(pageParam ? { cursor: pageParam } : {}) } as ListQuery } })),
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const cases = list.data?.pages.flatMap((p) => p.items) ?? [];
  return (
    <main>
      <h1>Cases</h1>
      <p className="muted">{Object.entries(query).map(([k, v]) => `${label(k)}: ${v}`).join(" · ")}</p>
      {list.error && <p role="alert" className="error">{list.error.message}</p>}
      <table>
        <thead><tr><th scope="col">Case</th><th scope="col">Subject</th><th scope="col">Type</th><th scope="col">Status</th><th scope="col">Assignee</th></tr></thead>
        <tbody>
          {cases.map((c) => (
            <tr key={c.id}>
              <td><Link to={`/cases/${c.id}`} className="case-id">{c.id}</Link></td>
              <td>{c.subject}</td>
              <td>{label(c.type)}</td>
              <td>{label(c.status)}</td>
              <td>{names(c.assignee_id)}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <p className="muted" role="status">{cases.length} case{cases.length === 1 ? "" : "s"}{list.hasNextPage ? " so far" : ""}</p>
      {list.hasNextPage && <button type="button" onClick={() => list.fetchNextPage()}>Load more</button>}
    </main>
  );
}
