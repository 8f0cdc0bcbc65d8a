/** @jsxImportSource hono/jsx */
/**
 * @module The live events page: the tenant's revocation stream over the console's WebSocket,
 * newest first, with pause. The one page that needs a script (a browser opens a WebSocket only
 * from script); it is inline, allowed by its SHA-256 in the CSP, reads the tenant from a data
 * attribute, and writes text only (no HTML from the stream reaches the page).
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8 } from "../../crypto/bytes.ts";
import { ConsoleLayout, tenantPath, type Frame } from "./layout.tsx";
import { texts } from "./texts.ts";

const T = texts.events;

export const EVENTS_SCRIPT = `(function(){
var root=document.getElementById("live"),rows=document.getElementById("rows"),state=document.getElementById("state"),btn=document.getElementById("pause");
var paused=false,held=[];
function cell(tr,t){var td=document.createElement("td");td.textContent=t==null?"":String(t);tr.appendChild(td);}
function show(e){var tr=document.createElement("tr");tr.setAttribute("data-type",e.type);cell(tr,e.ts||new Date().toISOString());cell(tr,e.type);cell(tr,e.sub);cell(tr,e.sid);cell(tr,e.reason);cell(tr,e.seq);rows.insertBefore(tr,rows.firstChild);}
btn.hidden=false;
btn.addEventListener("click",function(){paused=!paused;btn.textContent=paused?root.dataset.resume:root.dataset.pause;btn.setAttribute("aria-pressed",String(paused));if(!paused){held.forEach(show);held=[];}});
function open(){
var ws=new WebSocket(location.origin.replace(/^http/,"ws")+root.dataset.ws);
ws.onopen=function(){state.textContent="open";};
ws.onclose=function(ev){state.textContent="closed ("+ev.code+")";setTimeout(open,3000);};
ws.onmessage=function(m){var e;try{e=JSON.parse(m.data);}catch(x){return;}
if(e.type==="hello"){state.textContent="open, seq "+e.seq;return;}
if(e.type==="reset"||e.type==="pong")return;
if(paused)held.push(e);else show(e);};
}
open();
})();`;
export const EVENTS_SCRIPT_HASH = `'sha256-${btoa(String.fromCharCode(...sha256(utf8(EVENTS_SCRIPT))))}'`;

export function EventsPage(props: { frame: Frame; slug: string }) {
  return (
    <ConsoleLayout frame={props.frame} title={T.title} script={EVENTS_SCRIPT}>
      <section id="live" data-ws={`${tenantPath(props.slug, "events")}/ws`} data-pause={T.pause} data-resume={T.resume}>
        <p>{T.intro}</p>
        <noscript><p class="error">{T.noScript}</p></noscript>
        <p>{T.status}: <span id="state" role="status">{T.connecting}</span></p>
        <button type="button" id="pause" aria-pressed="false" hidden>{T.pause}</button>
        <div class="scroll">
          <table>
            <thead><tr><th scope="col">{T.when}</th><th scope="col">{T.type}</th><th scope="col">{T.sub}</th><th scope="col">{T.sid}</th><th scope="col">{T.reason}</th><th scope="col">seq</th></tr></thead>
            <tbody id="rows" aria-live="polite"></tbody>
          </table>
        </div>
      </section>
    </ConsoleLayout>
  );
}
