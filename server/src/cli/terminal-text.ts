/**
 * Characters that a terminal acts on instead of printing: C0 and C1 controls (ESC starts colour, title,
 * clipboard and hyperlink sequences), DEL, and the Unicode bidirectional overrides that make printed code
 * read differently from what it is. Tabs are kept only where the caller allows them.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex -- as above
const UNSAFE_WITH_TAB = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const visible = (c: string) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

/**
 * Text that came from events or files, made safe to print: every control or bidi character is shown as its
 * `\uXXXX` escape, so `\x1b]0;…\x07` prints as text instead of retitling the terminal.
 */
export function terminalSafe(text: string, options: { keepTabs?: boolean } = {}): string {
  return text.replace(options.keepTabs ? UNSAFE : UNSAFE_WITH_TAB, visible);
}

/**
 * JSON for a terminal: JSON.stringify already escapes C0 controls; this also escapes C1 controls, DEL and the
 * bidi characters, leaving the JSON equal in value.
 */
export function terminalSafeJson(json: string): string {
  return json.replace(/[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, visible);
}
