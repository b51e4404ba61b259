// What text the service can store: PostgreSQL refuses NUL in text columns, and other control
// characters (except tab, newline and carriage return) are never meant in a name, a note or a title
// and only hide what a reader sees. Plain code: the workflows' update validators use it too, so
// such text is refused before it reaches history.

const UNSTORABLE = /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]/;

export const UNSTORABLE_TEXT_MESSAGE = 'must not contain control characters (other than tab and newline)';

export function isStorableText(text: string): boolean {
  return !UNSTORABLE.test(text);
}
