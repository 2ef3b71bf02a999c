// The one API client: typed from the OpenAPI document (schema.gen.ts is
// generated from api/openapi.json by `npm run gen`), so the console does not
// compile when it and the API drift apart.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema.gen";

export type Schemas = components["schemas"];
export type Case = Schemas["Case"];
export type CaseEvent = Schemas["Event"];
export type User = Schemas["User"];
export type Approval = Schemas["Approval"];
export type Problem = Schemas["Problem"];

let csrfToken = "";

/** setCSRF keeps the session's token, sent on every write. */
export function setCSRF(token: string) {
  csrfToken = token;
}

/** ApiError is a problem document the API answered with. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly problem: Partial<Problem>,
  ) {
    super(problem.detail || problem.title || `HTTP ${status}`);
  }
  get code() {
    return this.problem.code ?? "";
  }
  /** fieldMessage returns the error about one field, if any. */
  field(name: string) {
    return this.problem.errors?.find((e) => e.field === name)?.message;
  }
}

const csrf: Middleware = {
  onRequest({ request }) {
    if (request.method !== "GET" && request.method !== "HEAD" && csrfToken) {
      request.headers.set("X-Casedesk-CSRF", csrfToken);
    }
    return request;
  },
};

let onUnauthorized = () => {};
/** whenSignedOut is called when the API says the session ended. */
export function whenSignedOut(fn: () => void) {
  onUnauthorized = fn;
}

export const api = createClient<paths>({ baseUrl: "", credentials: "same-origin" });
api.use(csrf);

/** must returns a response's data or throws its problem as an ApiError. */
export async function must<T>(
  p: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await p;
  if (!response.ok) {
    if (response.status === 401) onUnauthorized();
    throw new ApiError(response.status, (error ?? {}) as Partial<Problem>);
  }
  return data as T;
}
