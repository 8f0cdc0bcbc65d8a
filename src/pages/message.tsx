/** @jsxImportSource hono/jsx */
/** @module A page that only says something (signed in, link sent, password changed, signed out), with at most one link onward. */
import { Layout, type Page } from "./layout.tsx";

export function MessagePage(props: { page: Page; title: string; text: string; link?: { href: string; label: string } | null }) {
  return (
    <Layout page={props.page} title={props.title}>
      <h1>{props.title}</h1>
      <p>{props.text}</p>
      {props.link ? (
        <nav class="links">
          <a href={props.link.href}>{props.link.label}</a>
        </nav>
      ) : null}
    </Layout>
  );
}
