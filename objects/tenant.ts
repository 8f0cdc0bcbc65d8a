import { Server } from "partyserver";
export class TenantObject extends Server {
  static override options = { hibernate: true };
  ping() { return this.ctx.storage.sql.exec("select 1 as x").one().x; }
}
