/**
 * @module The console's one stylesheet, served at `/admin/style.css` so the CSP stays
 * `style-src 'self'`. Tables scroll sideways on a phone rather than squeezing.
 */
export const consoleStylesheet = `:root{--primary:#2f5bea;--text:#1c2330;--muted:#5b6472;--line:#d6dae1;--bg:#f4f6f9;--error:#b3261e;--ok:#0b7a55}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--text);font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
header{background:#1c2330;color:#fff;padding:.6rem 1rem;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center}
header a{color:#fff}header .product{font-weight:700;margin-right:auto}
header form{margin:0}header button{margin:0;width:auto;padding:.35rem .8rem;background:#fff;color:#1c2330}
nav.tenant{display:flex;flex-wrap:wrap;gap:.25rem .9rem;padding:.6rem 1rem;background:#fff;border-bottom:1px solid var(--line)}
nav.tenant a[aria-current=page]{font-weight:700;text-decoration:none;color:var(--text)}
main{max-width:72rem;margin:0 auto;padding:1.25rem 1rem}
h1{font-size:1.4rem;margin:.25rem 0 1rem}h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1rem;margin:0 0 1rem}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.45rem .5rem;border-top:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600}
td.mono,code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.85rem;word-break:break-all}
pre{background:#f7f9fc;border:1px solid var(--line);border-radius:8px;padding:.6rem;overflow-x:auto;white-space:pre-wrap}
label{display:block;font-weight:600;margin:.7rem 0 .25rem}
input[type=text],input[type=password],input[type=search],input[type=datetime-local],select,textarea{width:100%;max-width:36rem;font:inherit;padding:.5rem .6rem;border:1px solid var(--line);border-radius:8px;background:#fff}
textarea{min-height:5rem}
input:focus,button:focus,a:focus,select:focus,textarea:focus{outline:3px solid #9db2f5;outline-offset:1px}
button{font:inherit;font-weight:600;padding:.5rem .9rem;margin-top:.8rem;border:0;border-radius:8px;background:var(--primary);color:#fff;cursor:pointer}
button.danger{background:var(--error)}button.secondary{background:#fff;color:var(--text);border:1px solid var(--line)}
td button,form.inline button{margin:0;padding:.3rem .6rem}form.inline{display:inline}
.row{display:flex;flex-wrap:wrap;gap:.5rem;align-items:end}.row>*{flex:0 1 auto}
label.check{display:inline;font-weight:400;margin:0 .4rem 0 0}
.hint{color:var(--muted);font-size:.85rem;margin:.2rem 0 0}
.field-error{color:var(--error);font-size:.85rem;margin:.2rem 0 0}
[aria-invalid=true]{border-color:var(--error)!important}
.error{border:1px solid var(--error);color:var(--error);background:#fdf1f0;border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem}
.notice{border:1px solid var(--ok);background:#eef8f3;border-radius:8px;padding:.6rem .8rem;margin:0 0 1rem}
.secret{font-family:ui-monospace,monospace;background:#fff8e1;border:1px dashed #b08a00;padding:.5rem;border-radius:6px;word-break:break-all}
dl.stats{display:grid;grid-template-columns:repeat(auto-fill,minmax(11rem,1fr));gap:.75rem;margin:0}
dl.stats div{border:1px solid var(--line);border-radius:8px;padding:.5rem .7rem}dl.stats dt{color:var(--muted);font-size:.85rem}dl.stats dd{margin:0;font-weight:700;font-size:1.1rem}
.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(18rem,1fr));gap:1rem}
figure{margin:0}figcaption{font-size:.9rem;font-weight:600;margin-bottom:.25rem}svg.chart{width:100%;height:auto;display:block}
svg.chart rect.bar{fill:var(--primary)}svg.chart line{stroke:var(--line)}svg.chart text{font-size:9px;fill:var(--muted)}
a{color:var(--primary)}
@media (max-width:40rem){th,td{padding:.35rem .3rem}main{padding:1rem .6rem}}
`;
