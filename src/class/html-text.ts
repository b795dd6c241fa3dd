/**
 * HTML text and attribute values (always written in double quotes): &, <, >, " and ' escaped;
 * control characters other than tab, newline and CR, and lone surrogate halves, become U+FFFD
 * (the parser would drop or replace them anyway; they never become markup).
 */
export const escapeHtml = (text: string): string =>
  text
    .replace(
      /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
      "\ufffd",
    )
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
