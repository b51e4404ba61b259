// The console works without JavaScript; this only adds "copy" buttons for keys and links.
document.addEventListener('click', async (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-copy]') : null;
  if (!button) return;
  const source = document.querySelector(button.getAttribute('data-copy'));
  if (!source) return;
  try {
    await navigator.clipboard.writeText(source.textContent.trim());
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Select and copy it by hand';
  }
});

// A refused form: move focus to the list of what to fix (it is also announced, role="alert").
document.addEventListener('DOMContentLoaded', () => document.getElementById('form-errors')?.focus());

// A part of the page that follows a workflow in flight (an order being paid and provisioned):
// fetched again every 2 s and replaced, until it says it has settled.
function follow(region) {
  const url = region.getAttribute('data-refresh');
  if (!url) return;
  const every = Number(region.getAttribute('data-refresh-every')) || 2000;
  setTimeout(async () => {
    try {
      const res = await fetch(url, { credentials: 'same-origin', headers: { Accept: 'text/html' } });
      if (!res.ok) return follow(region);
      const holder = document.createElement('div');
      holder.innerHTML = await res.text();
      const fresh = holder.firstElementChild;
      if (!fresh) return follow(region);
      // The regions stay (screen readers announce what changes inside a live region); their content
      // is replaced. A fragment of several parts updates each part of the page with its id.
      const parts = fresh.querySelectorAll('[data-live-part]');
      if (parts.length) {
        for (const part of parts) {
          const here = document.getElementById(part.id);
          if (here) here.innerHTML = part.innerHTML;
        }
      } else {
        region.innerHTML = fresh.innerHTML;
      }
      if (fresh.hasAttribute('data-refresh')) return follow(region);
      region.removeAttribute('data-refresh');
      region.setAttribute('data-settled', 'true');
    } catch {
      follow(region);
    }
  }, every);
}
document.addEventListener('DOMContentLoaded', () => document.querySelectorAll('[data-refresh]').forEach(follow));

// "Add products": the total as quantities change (the server computes it again when it places the order).
document.addEventListener('input', (event) => {
  const form = event.target instanceof Element ? event.target.closest('form[data-total]') : null;
  if (!form) return;
  let cents = 0;
  let currency = '';
  for (const input of form.querySelectorAll('input[data-price]')) {
    const qty = Number(input.value);
    if (Number.isInteger(qty) && qty > 0) {
      cents += Math.round(Number(input.getAttribute('data-price')) * 100) * qty;
      currency = input.getAttribute('data-currency');
    }
  }
  const out = form.querySelector('#order-total');
  if (out) out.textContent = cents ? `${(cents / 100).toFixed(2)} ${currency}` : 'nothing chosen yet';
});

// A small table that holds all of its rows (orders by status, failing receivers) sorts in the
// browser: each header becomes a button; a cell's data-sort-value, if any, is what it sorts by.
document.addEventListener('DOMContentLoaded', () => {
  for (const table of document.querySelectorAll('table[data-client-sort]')) {
    const headers = [...table.querySelectorAll('thead th')];
    headers.forEach((th, column) => {
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'sort';
      button.textContent = th.textContent;
      th.replaceChildren(button);
      th.setAttribute('aria-sort', 'none');
      button.addEventListener('click', () => {
        const ascending = th.getAttribute('aria-sort') !== 'ascending';
        for (const h of headers) h.setAttribute('aria-sort', 'none');
        th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
        const body = table.tBodies[0];
        const rows = [...body.rows].filter((row) => row.cells.length === headers.length);
        const key = (row) => {
          const cell = row.cells[column];
          const text = cell.getAttribute('data-sort-value') ?? cell.textContent.trim();
          return text !== '' && !Number.isNaN(Number(text)) ? Number(text) : text;
        };
        rows.sort((a, b) => {
          const [x, y] = [key(a), key(b)];
          const order = typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y));
          return ascending ? order : -order;
        });
        body.append(...rows);
      });
    });
  }
});
