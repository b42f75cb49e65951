/* Mend widget loader: a launcher in a Shadow DOM that opens the report panel in an iframe. */
(() => {
  const me = document.currentScript, d = me && me.dataset;
  if (!d || !d.site || window.__mend) return;
  window.__mend = 1;
  const base = new URL(me.src).origin, site = encodeURIComponent(d.site);
  // The panel and the launcher's words come in the language the site and the customer agree on.
  const lq = new URLSearchParams({lang: d.lang || "", langs: (navigator.languages || [navigator.language]).join()});
  const q = new URLSearchParams({
    embed: 1, page_url: location.href, referrer: document.referrer,
    viewport: innerWidth + "x" + innerHeight, tz_offset_min: -new Date().getTimezoneOffset()
  });
  fetch(`${base}/w/${site}/launcher?${lq}`).then(r => r.json()).then(t => {
    q.set("lang", t.lang);
    for (const [k, v] of Object.entries({customerId: "customer_id", customerSig: "customer_sig", customerTier: "customer_tier",
      customerEmail: "email", customerName: "name", busy: "busy", location: "location"})) {
      if (d[k]) q.set(v, d[k]);
    }
    const host = document.createElement("div"), root = host.attachShadow({mode: "open"});
    // Constructed styles pass a host CSP without 'unsafe-inline'; older browsers get <style nonce=data-nonce>.
    const css = `:host{all:initial}
.l,.p{position:fixed;right:1rem;bottom:1rem;z-index:2147483000;font:15px/1.4 system-ui,sans-serif}
.l{border:0;border-radius:2rem;padding:.7rem 1.1rem;background:#24406e;color:#fff;cursor:pointer;box-shadow:0 2px 10px #0004}
.r .l,.r .p{right:auto;left:1rem}.r .x{right:auto;left:.4rem}
.l:focus-visible,.x:focus-visible{outline:3px solid #f5b400;outline-offset:2px}
.p{width:min(26rem,calc(100vw - 2rem));height:min(42rem,calc(100vh - 2rem));background:#fff;border-radius:.8rem;box-shadow:0 8px 40px #0006;overflow:hidden}
.p[hidden]{display:none}
iframe{border:0;width:100%;height:100%}
.x{position:absolute;top:.4rem;right:.4rem;width:2.2rem;height:2.2rem;border:0;border-radius:50%;background:inherit;color:inherit;font-size:1.4rem;cursor:pointer}
@media (prefers-color-scheme:dark){.l{background:#9db8ff;color:#0c1526}.p{background:#161b26;color:#e8ecf5}}
@media (prefers-reduced-motion:no-preference){.p{animation:i .18s ease-out}@keyframes i{from{opacity:0;transform:translateY(1rem)}}}
@media (max-width:480px){.p{inset:0;width:auto;height:auto;border-radius:0}}`;
    root.innerHTML = `<div class=${t.dir == "rtl" || getComputedStyle(document.documentElement).direction == "rtl" ? "r" : ""} lang=${t.lang} dir=${t.dir}><button class=l type=button aria-haspopup=dialog></button>
<div class=p role=dialog aria-modal=true hidden><button class=x type=button>×</button></div></div>`;
    try {
      const sheet = new CSSStyleSheet();
      sheet.replaceSync(css);
      root.adoptedStyleSheets = [sheet];
    } catch {
      root.prepend(Object.assign(document.createElement("style"), {nonce: d.nonce || "", textContent: css}));
    }
    const launch = root.querySelector(".l"), panel = root.querySelector(".p"), close = panel.firstChild;
    launch.textContent = t.label;
    panel.setAttribute("aria-label", t.title);
    close.setAttribute("aria-label", t.close);
    let frame;
    const into = m => (frame.focus(), frame.contentWindow.postMessage(m, base));
    const open = () => {
      if (!frame) {
        frame = document.createElement("iframe");
        frame.title = t.title;
        frame.src = `${base}/w/${site}?${q}`;
        frame.onload = () => panel.hidden || into("mend:focus");
        close.after(frame);
      }
      panel.hidden = false;
      launch.setAttribute("aria-expanded", "true");
      into("mend:focus");
    };
    const shut = () => {
      panel.hidden = true;
      launch.setAttribute("aria-expanded", "false");
      launch.focus();
    };
    launch.onclick = open;
    close.onclick = shut;
    // Tab goes round the dialog: the close button, then the panel's controls, which say "mend:out" past either end.
    panel.onkeydown = e => {
      if (e.key === "Escape") shut();
      else if (e.key === "Tab" && root.activeElement === close) {
        e.preventDefault();
        into(e.shiftKey ? "mend:last" : "mend:first");
      }
    };
    addEventListener("message", e => {
      if (!frame || e.source !== frame.contentWindow || e.origin !== base) return;
      if (e.data === "mend:close") shut();
      if (e.data === "mend:out") close.focus();
    });
    (document.body || document.documentElement).append(host);
  });
})();
