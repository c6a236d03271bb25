/**
 * GET /live/orders: a small self-contained page (no CDN, inline script and style allowed by their
 * hashes only) where a customer pastes a token (or passes it as #token=...), sees their orders from
 * myOrders, and watches them change live over the WebSocket API ({"action":"watchOrders"}).
 */
import { createHash } from 'node:crypto';
import express, { type Router } from 'express';

export const LIVE_ORDERS_PATH = '/live/orders';

const STYLE = `
body { font: 15px/1.4 system-ui, sans-serif; margin: 2rem; color: #222; }
textarea { width: 100%; max-width: 48rem; height: 4.5rem; font-family: monospace; }
table { border-collapse: collapse; margin-top: 1rem; min-width: 36rem; }
th, td { border-bottom: 1px solid #ddd; padding: .35rem .75rem; text-align: left; }
#state { margin-left: 1rem; font-weight: 600; }
.changed { background: #fff6c8; }
`;

const SCRIPT = `
(() => {
  const $ = (id) => document.getElementById(id);
  const tokenBox = $('token');
  const rows = new Map();
  let socket;
  const fromHash = new URLSearchParams(location.hash.slice(1)).get('token');
  if (fromHash) tokenBox.value = fromHash;

  function setState(text) { $('state').textContent = text; }

  function show(order) {
    let row = rows.get(order.id);
    if (!row) {
      row = document.createElement('tr');
      row.dataset.orderId = order.id;
      for (let i = 0; i < 4; i++) row.appendChild(document.createElement('td'));
      $('orders').prepend(row);
      rows.set(order.id, row);
    }
    const cells = row.children;
    cells[0].textContent = order.id;
    cells[1].textContent = order.status;
    cells[1].className = 'status';
    cells[2].textContent = order.total ? order.total.formatted : '';
    cells[3].textContent = order.updatedAt || '';
    row.classList.add('changed');
    setTimeout(() => row.classList.remove('changed'), 1500);
  }

  async function loadOrders(token) {
    const response = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token },
      body: JSON.stringify({ query: '{ myOrders(first: 50) { nodes { id status total { formatted } updatedAt } } }' }),
    });
    const result = await response.json();
    if (result.errors) throw new Error(result.errors[0].message);
    for (const order of result.data.myOrders.nodes.slice().reverse()) show(order);
  }

  function watch(token) {
    if (socket) socket.close(1000, 'new token');
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    socket = new WebSocket(scheme + '//' + location.host + '${'${WS_PATH}'}?token=' + encodeURIComponent(token));
    socket.onopen = () => socket.send(JSON.stringify({ action: 'watchOrders' }));
    socket.onmessage = (event) => {
      let message;
      try { message = JSON.parse(event.data); } catch { return; }
      if (message.type === 'watching') setState('Live');
      else if (message.type === 'order' && message.order) show(message.order);
      else if (message.type === 'error') setState('Error: ' + message.error.message);
    };
    socket.onclose = (event) => setState('Disconnected (' + event.code + (event.reason ? ': ' + event.reason : '') + ')');
  }

  $('connect').onclick = async () => {
    const token = tokenBox.value.trim();
    if (!token) { setState('Paste a token first'); return; }
    setState('Loading...');
    try {
      await loadOrders(token);
      watch(token);
    } catch (err) {
      setState('Error: ' + err.message);
    }
  };
  if (fromHash) $('connect').click();
})();
`;

function sha256(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

export function liveOrdersPageRouter(options: { websocketPath: string }): Router {
  const script = SCRIPT.replace('${WS_PATH}', options.websocketPath);
  const html = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>My orders, live</title>
<style>${STYLE}</style>
</head>
<body>
<h1>My orders, live</h1>
<p>Paste a token (<code>npm run -s token -- --sub alice</code>) or open this page with <code>#token=...</code>.</p>
<textarea id="token" placeholder="eyJhbGciOi..." spellcheck="false"></textarea>
<p><button id="connect" type="button">Show my orders</button><span id="state" role="status">Not connected</span></p>
<table>
<thead><tr><th>Order</th><th>Status</th><th>Total</th><th>Updated</th></tr></thead>
<tbody id="orders"></tbody>
</table>
<script>${script}</script>
</body>
</html>
`;
  // Only this page's own script and style run; it talks to its own origin (HTTP and WebSocket) only.
  const policy = (host: string) =>
    [
      "default-src 'none'",
      `script-src ${sha256(script)}`,
      `style-src ${sha256(STYLE)}`,
      `connect-src 'self' ws://${host} wss://${host}`,
      "img-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'self'",
    ].join('; ');
  const router = express.Router();
  router.get(LIVE_ORDERS_PATH, (req, res) => {
    const host = /^[A-Za-z0-9.[\]:-]{1,255}$/.test(req.headers.host ?? '') ? req.headers.host! : 'localhost';
    res.setHeader('Content-Type', 'text/html; charset=utf-8');
    res.setHeader('Content-Security-Policy', policy(host));
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Cache-Control', 'no-cache');
    res.send(html);
  });
  return router;
}
