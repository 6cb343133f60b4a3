// A small program a frontend would write on the generated types (openapi-typescript) and
// openapi-fetch. It only has to compile with `tsc --strict`: a contract change that breaks a
// typed client (a renamed field, an enum defined again per use, an optional that should be
// required) breaks this file. `node` never runs it in CI; the walk against a live server is
// the Python client's (clients/python).
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type MentorView = components["schemas"]["MentorView"];
type MentorStatus = components["schemas"]["MentorStatus"];

export async function walk(baseUrl: string, adminEmail: string, adminPassword: string) {
  const api = createClient<paths>({ baseUrl });

  // Log in: the token pair is typed, every field present.
  const login = await api.POST("/v1/auth/login", {
    body: { email: adminEmail, password: adminPassword },
  });
  if (!login.data) throw new Error(`login: ${login.error?.code}`);
  const token: string = login.data.access_token;
  const auth = { headers: { authorization: `Bearer ${token}` } };

  // Apply to mentor on the first path, then accept the application.
  const paths = await api.GET("/v1/paths", { ...auth, params: { query: { limit: 10 } } });
  if (!paths.data) throw new Error(`paths: ${paths.error?.code}`);
  const first = paths.data.items[0];
  const more: boolean = paths.data.has_more;
  const cursor: string | null = paths.data.next_cursor;
  const applied = await api.POST("/v1/mentor-applications", {
    body: {
      name: "Grace Hopper",
      email: "grace@example.com",
      password: "a long passphrase",
      path_id: first.id,
      experience_years: 6,
      field_years: 3,
      legal_status: "freelancer",
      country: "FR",
      right_to_work_attested: true,
    },
  });
  if (!applied.data) throw new Error(`apply: ${applied.error?.code}`);
  const accepted = await api.POST("/v1/mentor-applications/{id}/accept", {
    ...auth,
    params: { path: { id: applied.data.id } },
  });
  if (!accepted.data) throw new Error(`accept: ${accepted.error?.code}`);

  const status_after: MentorStatus = accepted.data.status;
  const read = await api.GET("/v1/mentors/{id}", {
    ...auth,
    params: { path: { id: applied.data.id } },
  });
  if (!read.data) throw new Error(`mentor: ${read.error?.code}`);

  // One type per enum: a mentor's status is what the list filter takes.
  const mentor: MentorView = read.data;
  const status: MentorStatus = mentor.status;
  const same = await api.GET("/v1/mentors", { ...auth, params: { query: { status } } });
  // Required means present: a nullable field is `string | null`, never `undefined`.
  const manager: string | null = mentor.manager_id;

  // A document's kind in the path is the enum, not any string.
  const kind: components["schemas"]["DocumentKind"] = "identity";
  await api.GET("/v1/mentors/{id}/documents/{kind}/file", {
    ...auth,
    params: { path: { id: mentor.id, kind } },
    parseAs: "blob",
  });

  // A problem's code is the `ProblemCode` enum.
  const problem = await api.GET("/v1/paths/{id}", {
    ...auth,
    params: { path: { id: "00000000-0000-0000-0000-000000000000" } },
  });
  const code: components["schemas"]["ProblemCode"] | undefined = problem.error?.code;

  return { more, cursor, status_after, same: same.data?.items.length, manager, code };
}
