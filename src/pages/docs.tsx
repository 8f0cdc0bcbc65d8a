/** @jsxImportSource hono/jsx */
/**
 * @module The API reference at `/docs`: the OpenAPI document rendered on the server as one
 * HTML page (operations by tag, their parameters, bodies, answers and error codes, then the
 * named schemas), with its stylesheet at `/docs/style.css`. No script and nothing from
 * elsewhere: it reads the same offline, and `/openapi.json` is the machine-readable source.
 */
import type { Child } from "hono/jsx";

type Json = Record<string, any>;

const METHODS = ["get", "post", "put", "patch", "delete"] as const;
const anchor = (id: string) => `op-${id}`;
const refName = (ref: string) => ref.replace("#/components/schemas/", "");

/** A JSON Schema as a short type expression, linking named schemas. */
function TypeOf(props: { s: Json | undefined }): Child {
  const s = props.s ?? {};
  if (s.$ref) return <a href={`#schema-${refName(s.$ref)}`}>{refName(s.$ref)}</a>;
  if (s.allOf) return <>{s.allOf.map((x: Json, i: number) => <>{i ? " & " : ""}<TypeOf s={x} /></>)}</>;
  if (s.anyOf || s.oneOf) return <>{(s.anyOf ?? s.oneOf).map((x: Json, i: number) => <>{i ? " | " : ""}<TypeOf s={x} /></>)}</>;
  if (s.const !== undefined) return <code>{JSON.stringify(s.const)}</code>;
  if (s.enum) return <code>{s.enum.map((e: unknown) => JSON.stringify(e)).join(" | ")}</code>;
  const t = Array.isArray(s.type) ? s.type.join(" | ") : s.type;
  if (t === "array") return <>array of <TypeOf s={s.items} /></>;
  return <code>{t ?? "any"}{s.format ? ` (${s.format})` : ""}</code>;
}

/** An object's properties as a nested list; anything else as its type. */
function SchemaView(props: { s: Json | undefined; depth?: number }): Child {
  const s = props.s ?? {};
  const depth = props.depth ?? 0;
  const obj = s.properties ? s : s.items?.properties ? s.items : null;
  if (!obj || depth > 3) return <p class="type"><TypeOf s={s} />{s.description ? ` — ${s.description}` : ""}</p>;
  return (
    <ul class="props">
      {Object.entries(obj.properties as Record<string, Json>).map(([name, p]) => (
        <li>
          <code class="name">{name}</code> <TypeOf s={p} />
          {obj.required?.includes(name) ? <span class="req"> required</span> : null}
          {p.description ? <span class="desc"> — {p.description}</span> : null}
          {p.properties || p.items?.properties ? <SchemaView s={p} depth={depth + 1} /> : null}
        </li>
      ))}
    </ul>
  );
}

function Security(props: { req: Json[] }) {
  const parts = props.req.map((r) => (Object.keys(r).length ? Object.entries(r).map(([k, scopes]) => `${k}${(scopes as string[]).length ? ` (${(scopes as string[]).join(", ")})` : ""}`).join(" + ") : "none"));
  return <p class="security">Authentication: {parts.join(" or ")}</p>;
}

function OperationView(props: { path: string; method: string; op: Json }) {
  const { op } = props;
  const params = (op.parameters ?? []) as Json[];
  return (
    <section class="op" id={anchor(op.operationId)}>
      <h3>
        <span class={`method ${props.method}`}>{props.method.toUpperCase()}</span> <code>{props.path}</code>
      </h3>
      <p class="summary">{op.summary} <span class="opid">({op.operationId})</span></p>
      {op.description ? <p>{op.description}</p> : null}
      <Security req={op.security ?? []} />
      {params.length ? (
        <>
          <h4>Parameters</h4>
          <ul class="props">
            {params.map((p) => (
              <li>
                <code class="name">{p.name}</code> <span class="in">{p.in}</span> <TypeOf s={p.schema} />
                {p.required ? <span class="req"> required</span> : null}
                {p.description ? <span class="desc"> — {p.description}</span> : null}
              </li>
            ))}
          </ul>
        </>
      ) : null}
      {op.requestBody ? (
        <>
          <h4>Body{op.requestBody.required ? "" : " (optional)"}: {Object.keys(op.requestBody.content).join(", ")}</h4>
          {Object.values(op.requestBody.content as Record<string, Json>).slice(0, 1).map((m) => (
            <>
              <SchemaView s={m.schema.contentSchema ?? m.schema} />
              {m.example !== undefined ? <pre>{JSON.stringify(m.example, null, 2)}</pre> : null}
            </>
          ))}
        </>
      ) : null}
      <h4>Answers</h4>
      <dl class="answers">
        {Object.entries(op.responses as Record<string, Json>).map(([status, r]) => {
          const media = r.content ? Object.entries(r.content as Record<string, Json>)[0] : null;
          const ok = Number(status) < 400;
          return (
            <>
              <dt class={ok ? "ok" : "err"}>{status}</dt>
              <dd>
                {r.description}
                {r.headers ? <span class="headers"> · headers: {Object.keys(r.headers).join(", ")}</span> : null}
                {ok && media ? (
                  <>
                    <span class="media"> · {media[0]}</span>
                    <SchemaView s={media[1].schema} />
                    {media[1].example !== undefined ? <pre>{JSON.stringify(media[1].example, null, 2)}</pre> : null}
                  </>
                ) : null}
              </dd>
            </>
          );
        })}
      </dl>
    </section>
  );
}

export function DocsPage(props: { doc: Json }) {
  const { doc } = props;
  const byTag = new Map<string, { path: string; method: string; op: Json }[]>();
  for (const [path, item] of Object.entries(doc.paths as Record<string, Json>)) {
    for (const method of METHODS) {
      const op = item[method];
      if (op) byTag.set(op.tags[0], [...(byTag.get(op.tags[0]) ?? []), { path, method, op }]);
    }
  }
  const tags = (doc.tags as { name: string; description: string }[]).filter((t) => byTag.has(t.name));
  const schemas = Object.entries(doc.components.schemas as Record<string, Json>);
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${doc.info.title} API reference`}</title>
        <link rel="stylesheet" href="/docs/style.css" />
      </head>
      <body>
        <nav aria-label="Contents">
          <p class="product">{doc.info.title} <span class="version">{doc.info.version}</span></p>
          <p><a href="/openapi.json">openapi.json</a></p>
          {tags.map((t) => (
            <details open>
              <summary>{t.description}</summary>
              <ul>
                {byTag.get(t.name)!.map((o) => (
                  <li><a href={`#${anchor(o.op.operationId)}`}><span class={`method ${o.method}`}>{o.method.toUpperCase()}</span> {o.path}</a></li>
                ))}
              </ul>
            </details>
          ))}
          <p><a href="#schemas">Schemas</a></p>
        </nav>
        <main>
          <h1>{doc.info.title} API reference</h1>
          <p>{doc.info.summary} Server: <code>{doc.servers[0].url}</code>. Errors follow the <a href="#schema-Error">Error</a> model, OAuth endpoints the <a href="#schema-OAuthError">OAuthError</a> one (RFC 6749 section 5.2).</p>
          {tags.map((t) => (
            <>
              <h2 id={`tag-${t.name}`}>{t.description}</h2>
              {byTag.get(t.name)!.map((o) => <OperationView {...o} />)}
            </>
          ))}
          <h2 id="schemas">Schemas</h2>
          {schemas.map(([name, s]) => (
            <section class="schema" id={`schema-${name}`}>
              <h3>{name}</h3>
              {s.description ? <p>{s.description}</p> : null}
              <SchemaView s={s} />
            </section>
          ))}
        </main>
      </body>
    </html>
  );
}

export const docsStylesheet = `*{box-sizing:border-box}body{margin:0;display:flex;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2330;background:#f4f6f9}
nav{width:22rem;flex:none;height:100vh;position:sticky;top:0;overflow-y:auto;background:#fff;border-right:1px solid #d6dae1;padding:1rem;font-size:.85rem}
nav ul{list-style:none;padding:0 0 0 .3rem;margin:.3rem 0}nav li{margin:.15rem 0}nav a{text-decoration:none;color:#1c2330}nav summary{font-weight:600;cursor:pointer;margin-top:.5rem}
.product{font-weight:700;font-size:1.1rem}.version{color:#5b6472;font-weight:400}
main{flex:1;min-width:0;max-width:64rem;padding:1rem 2rem}h2{margin-top:2.5rem;border-bottom:1px solid #d6dae1}
section{background:#fff;border:1px solid #d6dae1;border-radius:10px;padding:.8rem 1rem;margin:1rem 0}h3{margin:.2rem 0;font-size:1.05rem;word-break:break-all}h4{margin:.8rem 0 .3rem;font-size:.9rem}
.method{display:inline-block;min-width:3.6rem;text-align:center;border-radius:4px;padding:0 .3rem;font-size:.75rem;font-weight:700;color:#fff;background:#5b6472}
.method.get{background:#0b7a55}.method.post{background:#2f5bea}.method.patch{background:#8a5a00}.method.put{background:#6b3fa0}.method.delete{background:#b3261e}
.opid,.in,.media,.headers{color:#5b6472;font-size:.85rem}.req{color:#b3261e;font-size:.8rem}.security{font-size:.85rem;color:#5b6472}
ul.props{padding-left:1.1rem;margin:.2rem 0}code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.82rem}
pre{background:#f7f9fc;border:1px solid #d6dae1;border-radius:8px;padding:.5rem;overflow-x:auto}
dl.answers{display:grid;grid-template-columns:3.5rem 1fr;gap:.3rem .6rem}dt{font-weight:700}dt.ok{color:#0b7a55}dt.err{color:#b3261e}dd{margin:0}
a:focus{outline:3px solid #9db2f5}
@media (max-width:50rem){body{display:block}nav{width:auto;height:auto;position:static;border-right:0;border-bottom:1px solid #d6dae1}main{padding:1rem}}`;
