/**
 * @module The hosted pages' one stylesheet, served by the Worker (`GET /v1/{tenant}/pages/style.css`)
 * so the CSP can stay `style-src 'self'`. The tenant's primary colour goes in as a custom
 * property; it was validated as `#rrggbb` by the settings schema.
 */

export function stylesheet(primary: string): string {
  return `:root{--primary:${/^#[0-9a-fA-F]{6}$/.test(primary) ? primary : "#2f5bea"};--text:#1c2330;--muted:#5b6472;--line:#d6dae1;--bg:#f4f6f9;--error:#b3261e}
*{box-sizing:border-box}
[hidden]{display:none!important}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:26rem;margin:0 auto;padding:2rem 1rem}
.card{background:#fff;border:1px solid var(--line);border-radius:12px;padding:1.5rem}
.brand{display:flex;align-items:center;gap:.75rem;margin-bottom:1.25rem}
.brand img{max-height:40px;max-width:160px}
.brand span{font-weight:600;font-size:1.1rem}
h1{font-size:1.35rem;margin:0 0 .25rem}
p{margin:.5rem 0}
.muted{color:var(--muted);font-size:.95rem}
form{margin:1rem 0 0}
label{display:block;font-weight:600;margin:.9rem 0 .3rem}
input[type=text],input[type=email],input[type=password]{width:100%;font:inherit;padding:.7rem .8rem;border:1px solid var(--line);border-radius:8px;background:#fff}
input:focus,button:focus,a:focus{outline:3px solid color-mix(in srgb,var(--primary) 40%,transparent);outline-offset:1px}
.hint{color:var(--muted);font-size:.875rem;margin:.3rem 0 0}
button{display:block;width:100%;font:inherit;font-weight:600;padding:.75rem 1rem;margin-top:1.25rem;border:0;border-radius:8px;background:var(--primary);color:#fff;cursor:pointer}
button.secondary{background:#fff;color:var(--text);border:1px solid var(--line);margin-top:.75rem}
.row{display:flex;gap:.75rem}.row button{margin-top:1.25rem}
.error{border:1px solid var(--error);color:var(--error);background:#fdf1f0;border-radius:8px;padding:.6rem .8rem;margin:1rem 0 0}
.notice{border:1px solid var(--line);background:#f7f9fc;border-radius:8px;padding:.6rem .8rem;margin:1rem 0 0}
ul.scopes{padding-left:1.25rem;margin:.5rem 0}
ul.apps{list-style:none;padding:0}ul.apps li{border-top:1px solid var(--line);padding:.75rem 0}
.client{display:flex;align-items:center;gap:.75rem}.client img{width:40px;height:40px;object-fit:contain}
.providers{margin-top:1rem}.providers a.button{display:flex;align-items:center;justify-content:center;gap:.5rem;padding:.7rem 1rem;margin-top:.6rem;border:1px solid var(--line);border-radius:8px;color:var(--text);text-decoration:none;font-weight:600}.providers p{text-align:center;margin:.9rem 0 0}
nav.links{margin-top:1.25rem;display:flex;flex-direction:column;gap:.4rem;font-size:.95rem}
a{color:var(--primary)}
footer{text-align:center;color:var(--muted);font-size:.8rem;margin-top:1rem}
.cf-turnstile{margin-top:1rem;min-height:65px}
`;
}
