import { useState } from 'preact/hooks';
import { setKey } from '../api.js';

/** Shown when the server answers 401: the key stays in this tab's sessionStorage. */
export function KeyPrompt() {
  const [value, setValue] = useState('');
  return (
    <form
      class="card key-prompt"
      onSubmit={(e) => {
        e.preventDefault();
        setKey(value);
        location.reload();
      }}
    >
      <h2>This server needs an API key</h2>
      <label>
        API key{' '}
        <input
          type="password"
          autoFocus
          value={value}
          onInput={(e) => setValue((e.target as HTMLInputElement).value)}
        />
      </label>
      <button type="submit">Use key</button>
    </form>
  );
}
