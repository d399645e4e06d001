// The site's one small stylesheet, shared by the front page, the digest archive and the subscriber API's pages, so
// they look like one site. Written to the output as style.css; light and dark by the reader's setting.
export const STYLE_KEY = 'style.css';

export const SITE_CSS = `:root{color-scheme:light dark;--fg:#1f2328;--muted:#57606a;--bg:#fff;--line:#d0d7de;--link:#0a58ca;--accent:#0a58ca;--on-accent:#fff;--field:#fff}
@media (prefers-color-scheme:dark){:root{--fg:#e6edf3;--muted:#9198a1;--bg:#0d1117;--line:#30363d;--link:#58a6ff;--accent:#1f6feb;--on-accent:#fff;--field:#161b22}}
*{box-sizing:border-box}
body{font:16px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI",Helvetica,Arial,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;color:var(--fg);background:var(--bg);overflow-wrap:break-word}
a{color:var(--link)}h1{margin:0 0 .25rem;line-height:1.2}h3{margin:1.25rem 0 .25rem;font-size:1rem}h2{margin:2rem 0 .5rem;font-size:1.1rem;border-bottom:1px solid var(--line);padding-bottom:.25rem}
.muted,.n{color:var(--muted);font-size:.9em}
ul.plain{list-style:none;padding:0}ul.plain li{margin:.6rem 0}
form.card,.card{border:1px solid var(--line);border-radius:8px;padding:1rem;margin:1rem 0}
label{display:block;margin:.4rem 0}input[type=email]{width:100%;max-width:24rem;padding:.5rem;font:inherit;color:var(--fg);background:var(--field);border:1px solid var(--line);border-radius:6px}
fieldset{border:0;padding:0;margin:.75rem 0}legend{font-weight:600;padding:0}
.topics{display:flex;flex-wrap:wrap;gap:.25rem 1rem}.topics label{margin:0}
button{font:inherit;padding:.5rem 1rem;border:0;border-radius:6px;background:var(--accent);color:var(--on-accent);cursor:pointer}
.hp{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}
`;
