// A read-only value with a Copy button; the result is announced, and if the clipboard refuses the text is selected instead.
import { useId, useRef, useState } from 'react';

export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const input = useRef<HTMLInputElement>(null);
  const [message, setMessage] = useState('');

  async function copy() {
    try {
      await navigator.clipboard.writeText(value);
      setMessage('Copied to the clipboard.');
    } catch {
      // Clipboard access can be denied (insecure origin, no permission); leave the user one keystroke from done.
      input.current?.select();
      setMessage('Could not copy automatically; the address is selected, press Ctrl+C (⌘C on a Mac).');
    }
  }

  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-field__row">
        <input id={id} ref={input} className="mono" type="text" readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={() => void copy()}>
          Copy
        </button>
      </div>
      <p className="hint" role="status" aria-live="polite">
        {message}
      </p>
    </div>
  );
}
