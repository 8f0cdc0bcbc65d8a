import { TenantObject } from "../objects/tenant.ts";
export { TenantObject };
export default {
  async fetch(req: Request, env: any) {
    const stub = env.TENANT.getByName("x");
    return Response.json({ ok: await stub.ping() });
  },
} satisfies ExportedHandler;
