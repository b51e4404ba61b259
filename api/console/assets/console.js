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
